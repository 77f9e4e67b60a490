"""``ingest`` job: every new landing file -> its bronze table, exactly once, or held back and reported.

For each bronze table the job lists ``landing/<entity>/``, compares it with the table's ledger (see
:mod:`lakehouse_inv.ingest.files`) and appends the records of the new files, whole files of up to
:data:`BATCH_ROWS` records per Delta commit (each commit its own ledger batch, so the driver holds one batch at a
time whatever lands: a backlog of many days at 100,000 store-products does not fit in a driver's memory). All
values land as text, and a record that does not fit the export layout keeps its raw text in
``_rescued_data``. Column lists come from the bronze DDL.

Nothing is skipped silently. The step's result lists, in one line each:

* ERROR: a file held back (binary content, a header other than the export's): nothing of it is written and
  the next run tries it again, so a fixed or replaced file is ingested then. The other files of the table and
  the other tables go on, and so do the later steps; the step's status is ``partial``.
* WARNING: an ingested file that changed afterwards (rows appended, rewritten): its new content is *not*
  ingested, since rows already in bronze cannot be told apart from new ones; land changes as a new file.
* WARNING: files the ingest does not read: names starting with ``.`` or ``_`` and files in subfolders.

This replaces a Structured Streaming file source (``availableNow`` + checkpoint), which could neither hold
back one bad file while reading the good ones, nor re-read a fixed file, nor tell about changed or ignored
files; the ledger gives the same exactly-once guarantee (intent, atomic append, commit).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, IntegerType, StringType, StructField, StructType

from lakehouse_inv.ingest.files import (
    RESCUED,
    Batch,
    FileState,
    HeldBack,
    Ledger,
    file_state,
    json_lines,
    list_landing,
    name_some,
    parse_csv,
)
from lakehouse_inv.lakehouse.catalog import table_names
from lakehouse_inv.lakehouse.contracts import load_contract
from lakehouse_inv.pipeline.context import JobContext, StepResult

LINE = "_line_number"
LINEAGE = ("_source_file", LINE, "_ingested_at", "_run_id", "_record_id")
UNDECODABLE = "_undecodable"
PARALLEL_TABLES = 4
BATCH_ROWS = 500_000  # records per ledger batch and Delta commit (a larger file forms a batch alone)
FAILPOINT_ENV = "LAKEHOUSE_INV_INGEST_FAILPOINT"  # "<point>:<table>": the process kills itself there (kill tests)


def failpoint(point: str, table: str) -> None:
    """Crash-test hook: SIGKILL this process at ``point`` of ``table``'s ingest when the environment asks for it,
    with its Spark JVM when the process leads its own process group (as the kill test starts it)."""
    if os.environ.get(FAILPOINT_ENV) == f"{point}:{table}":
        if os.getpgid(0) == os.getpid():
            os.killpg(os.getpid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


def expected_columns(bronze_schema: StructType) -> list[str]:
    """The export's columns: everything in the bronze DDL except rescue and lineage columns."""
    return [f.name for f in bronze_schema.fields if f.name != RESCUED and f.name not in LINEAGE]


def parse_json_lines(lines: DataFrame, columns: list[str]) -> DataFrame:
    """Parse JSON-lines text (column ``value``) into string columns; rescue bad, unexpected or undecodable
    records (optional boolean column ``_undecodable``: the line held bytes that are not UTF-8)."""
    schema = StructType([StructField(c, StringType()) for c in columns])
    keys = F.expr("json_object_keys(value)")
    unexpected = F.array_except(keys, F.array(*[F.lit(c) for c in columns]))
    bad = keys.isNull() | (F.size(unexpected) > 0)
    if UNDECODABLE in lines.columns:
        bad = bad | F.col(UNDECODABLE)
    parsed = F.from_json("value", schema)
    passed = [c for c in lines.columns if c not in ("value", UNDECODABLE)]
    return lines.select(*[parsed[c].alias(c) for c in columns], F.when(bad, F.col("value")).alias(RESCUED), *passed)


def with_lineage(df: DataFrame, run_id: str) -> DataFrame:
    return (
        df.withColumn("_ingested_at", F.current_timestamp())
        .withColumn("_run_id", F.lit(run_id))
        .withColumn("_record_id", F.expr("uuid()"))
    )


@dataclass
class TableIngest:
    """What one table's ingest did."""

    rows: int = 0
    files: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    path: Path
    state: FileState
    rows: list[tuple]


class TableIngester:
    def __init__(self, ctx: JobContext, table: str):
        self.ctx, self.table = ctx, table
        contract = load_contract("bronze", table)
        self.target = ctx.table("bronze", table)
        self.schema = ctx.spark.table(self.target).schema
        if LINE not in self.schema.fieldNames():  # a table created before bronze recorded line numbers
            ctx.spark.sql(f"ALTER TABLE {self.target} ADD COLUMNS ({LINE} INT)")
            self.schema = ctx.spark.table(self.target).schema
        self.columns = expected_columns(self.schema)
        self.fmt = contract.source["format"]
        self.optional = contract.source.get("optional_columns", [])
        self.folder = Path(ctx.landing_dir, contract.source["landing"])
        self.ledger = Ledger(ctx.checkpoint("bronze", table, "ledger"))
        self.outcome = TableIngest()

    def display(self, name: str) -> str:
        return f"{self.folder.name}/{name}"

    # -- bronze ------------------------------------------------------------------------------------------------

    def _file_names(self) -> DataFrame:
        return self.ctx.spark.table(self.target).select(F.element_at(F.split("_source_file", "/"), -1).alias("name"))

    def rows_per_file(self) -> dict[str, int]:
        return {r.name: r["count"] for r in self._file_names().groupBy("name").count().collect()}

    def holds_any(self, names: list[str]) -> bool:
        return self._file_names().where(F.col("name").isin(names)).limit(1).count() > 0

    def frame(self, parsed: list[ParsedFile]) -> DataFrame | None:
        spark = self.ctx.spark
        if self.fmt == "json":
            fields = [StructField("value", StringType()), StructField(UNDECODABLE, BooleanType())]
        else:
            fields = [StructField(c, StringType()) for c in [*self.columns, RESCUED]]
        schema = StructType([*fields, StructField(LINE, IntegerType()), StructField("_source_file", StringType())])
        data = [(*row, f.path.absolute().as_uri()) for f in parsed for row in f.rows]
        if not data:
            return None
        df = spark.createDataFrame(pd.DataFrame(data, columns=schema.fieldNames(), dtype=object), schema)
        if self.fmt == "json":
            df = parse_json_lines(df, self.columns)
        return with_lineage(df, self.ctx.run_id).select(*self.schema.fieldNames())

    def append(self, batch: Batch, parsed: list[ParsedFile]) -> int:
        """Intent, one atomic append, commit: a kill anywhere leaves either nothing or all of the batch."""
        self.ledger.intend(batch)
        failpoint("after_intent", self.table)
        df = self.frame(parsed)
        if df is not None:
            df.write.format("delta").mode("append").saveAsTable(self.target)
        failpoint("after_append", self.table)
        self.ledger.commit(batch)
        return sum(len(f.rows) for f in parsed)

    # -- files -------------------------------------------------------------------------------------------------

    def parse(self, path: Path) -> ParsedFile:
        data = path.read_bytes()
        display = self.display(path.name)
        rows = (
            json_lines(data, display) if self.fmt == "json" else parse_csv(data, self.columns, display, self.optional)
        )
        return ParsedFile(path, file_state(path, data, len(rows)), rows)

    def bootstrap(self) -> None:
        """A table ingested before the ledger existed (or whose checkpoint folder was lost): its files are the
        ones bronze names."""
        if self.ledger.exists() or not self.ctx.spark.sql(f"DESCRIBE DETAIL {self.target}").first().numFiles:
            return
        counts = self.rows_per_file()
        if not counts:
            return
        states = []
        for name, rows in sorted(counts.items()):
            path = self.folder / name
            data = path.read_bytes() if path.is_file() else b""
            states.append(FileState(name, len(data), path.stat().st_mtime_ns if data else 0, "", rows))
        batch = Batch(self.ledger.next_number(), self.ctx.run_id, states)
        self.ledger.intend(batch)
        self.ledger.commit(batch)

    def recover(self) -> None:
        """Finish the batch a killed run left as an intent: commit it if its append went through, else redo it."""
        batch = self.ledger.pending()
        if batch is None:
            return
        names = [f.name for f in batch.files]
        if self.holds_any(names):
            self.ledger.commit(batch)
            return
        parsed = list(self.read_each([self.folder / n for n in names if (self.folder / n).is_file()]))
        redo = Batch(batch.number, self.ctx.run_id, [p.state for p in parsed])
        self.outcome.rows += self.append(redo, parsed)
        self.outcome.files += len(parsed)

    def read_each(self, paths: list[Path]) -> Iterator[ParsedFile]:
        """Parse ``paths`` one by one; a file that cannot be read is held back (reported) and skipped."""
        for path in paths:
            try:
                yield self.parse(path)
            except HeldBack as exc:
                self.outcome.errors.append(f"bronze.{self.table}: held back {exc}")
            except OSError as exc:
                self.outcome.errors.append(f"bronze.{self.table}: held back {self.display(path.name)}: {exc}")

    def batches(self, paths: list[Path]) -> Iterator[list[ParsedFile]]:
        """The readable files of ``paths`` in order, in groups of whole files of up to :data:`BATCH_ROWS` records."""
        group: list[ParsedFile] = []
        rows = 0
        for parsed in self.read_each(paths):
            if group and rows + len(parsed.rows) > BATCH_ROWS:
                yield group
                group, rows = [], 0
            group.append(parsed)
            rows += len(parsed.rows)
        if group:
            yield group

    def run(self) -> TableIngest:
        self.folder.mkdir(parents=True, exist_ok=True)  # an entity with no files yet is simply empty
        self.bootstrap()
        self.recover()
        known = self.ledger.committed()
        listing = list_landing(self.folder)
        if listing.ignored:
            self.outcome.warnings.append(
                f"bronze.{self.table}: {len(listing.ignored)} file(s) not ingested (hidden, '_' or in a subfolder "
                f"of {self.folder.name}/): {name_some(listing.ignored)}"
            )
        changed = [
            p.name for p in listing.files if p.name in known and known[p.name].sha256 and not known[p.name].same_as(p)
        ]
        if changed:
            self.outcome.warnings.append(
                f"bronze.{self.table}: {len(changed)} file(s) changed after they were ingested, new content NOT "
                f"ingested (land changes as a new file): {name_some([self.display(n) for n in changed])}"
            )
        for parsed in self.batches([p for p in listing.files if p.name not in known]):
            batch = Batch(self.ledger.next_number(), self.ctx.run_id, [p.state for p in parsed])
            self.outcome.rows += self.append(batch, parsed)
            self.outcome.files += len(parsed)
        return self.outcome


def _ingest_one(ctx: JobContext, table: str) -> TableIngest:
    spark = ctx.spark  # a pool thread has no active session of its own, and Spark 4 plans need one
    spark._jvm.org.apache.spark.sql.SparkSession.setActiveSession(spark._jsparkSession)
    return TableIngester(ctx, table).run()


def ingest_tables(ctx: JobContext, tables: list[str]) -> StepResult:
    """Ingest the new landing files of ``tables`` (a few tables at a time, to overlap their Spark jobs); a file
    that cannot be read is held back alone."""
    ctx.catalog.ensure_tables(ctx.spark, "bronze", tables)
    result = StepResult()
    files = 0
    with ThreadPoolExecutor(max_workers=PARALLEL_TABLES) as pool:
        outcomes = list(pool.map(lambda t: _ingest_one(ctx, t), tables))
    for table, outcome in zip(tables, outcomes, strict=True):
        result.rows_in += outcome.rows
        result.wrote(f"bronze.{table}", outcome.rows)
        result.errors += outcome.errors
        result.warnings += outcome.warnings
        files += outcome.files
    held = sum(1 for e in result.errors if " held back " in e)
    result.message = f"{len(tables)} bronze tables, {files} new files ingested" + (
        f", {held} held back" if held else ""
    )
    return result


def run(ctx: JobContext) -> StepResult:
    return ingest_tables(ctx, table_names("bronze"))


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["ingest"], argv, prog="lakehouse-inv-ingest")
