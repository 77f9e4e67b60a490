"""``ingest`` job: every new landing file -> its bronze table, exactly once.

One Structured Streaming query per bronze table, ``trigger(availableNow=True)`` with a checkpoint, so
a file already ingested is never read again. All values land as text: nothing can fail to parse, and
a record that does not fit the expected columns (extra/missing CSV fields, malformed JSON, unknown
JSON keys) keeps its raw line in ``_rescued_data``. Column lists come from the bronze DDL.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery
from pyspark.sql.types import StringType, StructField, StructType

from lakehouse_inv.lakehouse.catalog import table_names
from lakehouse_inv.lakehouse.contracts import load_contract
from lakehouse_inv.pipeline.context import JobContext, StepResult

RESCUED = "_rescued_data"
LINEAGE = ("_source_file", "_ingested_at", "_run_id", "_record_id")


def expected_columns(bronze_schema: StructType) -> list[str]:
    """The export's columns: everything in the bronze DDL except rescue and lineage columns."""
    return [f.name for f in bronze_schema.fields if f.name != RESCUED and f.name not in LINEAGE]


def read_csv_stream(spark: SparkSession, path: str, columns: list[str]) -> DataFrame:
    schema = StructType([StructField(c, StringType()) for c in [*columns, RESCUED]])
    return (
        spark.readStream.format("csv")
        .schema(schema)
        .option("header", True)
        .option("enforceSchema", False)  # a renamed/reordered export header fails loudly instead of shifting data
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", RESCUED)
        .load(path)
        .withColumn("_source_file", F.col("_metadata.file_path"))
    )


def parse_json_lines(lines: DataFrame, columns: list[str]) -> DataFrame:
    """Parse JSON-lines text (column ``value``) into string columns; rescue bad or unexpected records."""
    schema = StructType([StructField(c, StringType()) for c in columns])
    keys = F.expr("json_object_keys(value)")
    unexpected = F.array_except(keys, F.array(*[F.lit(c) for c in columns]))
    rescued = F.when(keys.isNull() | (F.size(unexpected) > 0), F.col("value"))
    parsed = F.from_json("value", schema)
    return lines.select(
        *[parsed[c].alias(c) for c in columns], rescued.alias(RESCUED), *[c for c in lines.columns if c != "value"]
    )


def read_json_stream(spark: SparkSession, path: str, columns: list[str]) -> DataFrame:
    lines = spark.readStream.format("text").load(path).withColumn("_source_file", F.col("_metadata.file_path"))
    return parse_json_lines(lines.filter(F.trim("value") != ""), columns)


def with_lineage(df: DataFrame, run_id: str) -> DataFrame:
    return (
        df.withColumn("_ingested_at", F.current_timestamp())
        .withColumn("_run_id", F.lit(run_id))
        .withColumn("_record_id", F.expr("uuid()"))
    )


def start_ingest(ctx: JobContext, table: str) -> StreamingQuery:
    spark = ctx.spark
    contract = load_contract("bronze", table)
    target = ctx.table("bronze", table)
    columns = expected_columns(spark.table(target).schema)
    source = Path(ctx.landing_dir, contract.source["landing"])
    source.mkdir(parents=True, exist_ok=True)  # an entity with no files yet is simply empty
    reader = read_json_stream if contract.source["format"] == "json" else read_csv_stream
    stream = with_lineage(reader(spark, str(source.absolute()), columns), ctx.run_id)
    return (
        stream.writeStream.format("delta")
        .outputMode("append")
        .queryName(f"ingest_{table}")
        .option("checkpointLocation", ctx.checkpoint("bronze", table))
        .trigger(availableNow=True)
        .toTable(target)
    )


def _rows_written(progress: dict) -> int:
    """Rows the Delta sink committed; it reports -1 when unknown, then the source's row count stands in."""
    written = progress["sink"].get("numOutputRows", -1)
    return written if written >= 0 else progress["numInputRows"]


def ingest_tables(ctx: JobContext, tables: list[str]) -> StepResult:
    """Ingest the new landing files of ``tables``; the streams run concurrently to hide their start-up."""
    ctx.catalog.ensure_tables(ctx.spark, "bronze", tables)
    queries = {table: start_ingest(ctx, table) for table in tables}
    result, failures = StepResult(), []
    for table, query in queries.items():
        try:
            query.awaitTermination()
        except Exception as exc:  # keep waiting for the others; report every failing table
            failures.append(f"{table}: {exc}")
            continue
        rows = sum(_rows_written(p) for p in query.recentProgress)
        result.rows_in += rows
        result.wrote(f"bronze.{table}", rows)
    if failures:
        raise RuntimeError("ingest failed for " + "; ".join(failures))
    return result


def run(ctx: JobContext) -> StepResult:
    tables = table_names("bronze")
    result = ingest_tables(ctx, tables)
    files = sum(
        1 for t in tables for _ in Path(ctx.landing_dir, load_contract("bronze", t).source["landing"]).glob("*")
    )
    result.message = f"{len(tables)} bronze tables, {files} landing files known"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["ingest"], argv, prog="lakehouse-inv-ingest")
