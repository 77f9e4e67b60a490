"""What a step receives: the as-of date, run id, typed run options, validated configuration and (lazily) a Spark
session."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lakehouse_inv.config import PipelineConfig, SimulatorConfig
from lakehouse_inv.lakehouse.catalog import Catalog
from lakehouse_inv.lakehouse.checked_write import CheckedWrite
from lakehouse_inv.pipeline.options import RunOptions


@dataclass
class StepResult:
    """What a step did, for the progress line, the summary and ``gold.job_runs``."""

    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows written (inserted + updated)
    message: str = ""
    report: str = ""  # a longer text shown after the run summary (e.g. the policy comparison)
    # one line each, naming the file/table: input held back (the step went on without it; status "partial") ...
    errors: list[str] = field(default_factory=list)
    # ... and anything else a person must know (files not read, files changed after they were read)
    warnings: list[str] = field(default_factory=list)
    # steps with schedules (their own or their policies'): what was due and why, what was skipped and why
    due: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "partial" if self.errors else "succeeded"

    def notes(self) -> list[str]:
        return [f"ERROR: {e}" for e in self.errors] + [f"WARNING: {w}" for w in self.warnings]

    def wrote(self, table: str, rows: int) -> None:
        self.tables[table] = self.tables.get(table, 0) + rows
        self.rows_out += rows

    def record(self, table: str, outcome: CheckedWrite, *, counts_input: bool = True) -> None:
        """Count a contract-checked write: rows written and quarantined, and (unless the step counts its input
        itself) the rows read."""
        if counts_input:
            self.rows_in += outcome.rows_in
        self.rows_quarantined += outcome.quarantined
        self.wrote(table, outcome.written)


def new_run_id(as_of: dt.date) -> str:
    return f"{as_of:%Y%m%d}-{dt.datetime.now(dt.UTC):%H%M%S}-{uuid.uuid4().hex[:6]}"


@dataclass
class JobContext:
    configs: dict[str, Any]
    conf_dir: Path
    as_of: dt.date
    run_id: str
    options: RunOptions = field(default_factory=RunOptions)
    spark_session: SparkSession | None = None
    _spark_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @property
    def pipeline(self) -> PipelineConfig:
        return self.configs["pipeline"]

    @property
    def simulator(self) -> SimulatorConfig:
        return self.configs["simulator"]

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.pipeline.schemas)

    @property
    def spark(self) -> SparkSession:
        """The run's session, started and given the warehouse's tables on first use, once: a run's records are
        written on a background thread while the first step starts, and two threads registering the same views at
        once made one of them fail (``TABLE_OR_VIEW_ALREADY_EXISTS``). The session is published only once its
        tables are registered, so no thread reads a catalog that is still being filled."""
        if self.spark_session is None:
            with self._spark_lock:
                if self.spark_session is None:
                    from lakehouse_inv.spark import build_spark

                    cfg = self.pipeline
                    session = build_spark(
                        "lakehouse_inv", master=cfg.spark_master, warehouse_dir=cfg.warehouse_dir, conf=cfg.spark_conf
                    )
                    self.catalog.attach_existing(session)
                    self.spark_session = session
        return self.spark_session

    def table(self, layer: str, name: str) -> str:
        return self.catalog.name(layer, name)

    def read(self, layer: str, name: str) -> DataFrame:
        return self.spark.table(self.table(layer, name))

    @property
    def landing_dir(self) -> Path:
        return Path(self.pipeline.landing_dir)

    def checkpoint(self, *parts: str) -> str:
        return str(Path(self.pipeline.checkpoint_dir).absolute().joinpath(*parts))
