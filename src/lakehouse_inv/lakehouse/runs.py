"""``gold.job_runs``: one row per step execution (rows in/out/quarantined, duration, status)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.catalog import Catalog
from lakehouse_inv.lakehouse.writes import merge_into

JOB_RUNS = "job_runs"


def record_run(
    spark: SparkSession,
    catalog: Catalog,
    *,
    run_id: str,
    as_of: dt.date,
    job: str,
    started_at: dt.datetime,
    seconds: float,
    status: str,
    rows_in: int = 0,
    rows_out: int = 0,
    rows_quarantined: int = 0,
    tables: Mapping[str, int] | None = None,
    message: str | None = None,
    notes: Sequence[str] = (),
    run_is_new: bool = False,
) -> None:
    """MERGE one step execution's row into ``gold.job_runs``; with ``run_is_new`` (the table holds no row of this
    run id, :func:`run_recorded`) it is appended without a lookup."""
    if not run_is_new:  # run_recorded created the table
        catalog.ensure_tables(spark, "gold", [JOB_RUNS])
    table = catalog.name("gold", JOB_RUNS)
    row = {
        "run_id": run_id,
        "job": job,
        "as_of": as_of,
        "started_at": started_at.replace(tzinfo=None),
        "duration_s": round(seconds, 3),
        "status": status,
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_quarantined": rows_quarantined,
        "tables_json": json.dumps(dict(tables or {}), sort_keys=True),
        "message": message,
        "notes": "\n".join(notes) if notes else None,
    }
    schema = spark.table(table).schema
    if "notes" not in schema.fieldNames():  # a warehouse created before the column existed
        spark.sql(f"ALTER TABLE {table} ADD COLUMNS (notes STRING)")
        schema = spark.table(table).schema
    fields = [f for f in schema.fields if f.name in row]
    frame = spark.createDataFrame(
        [tuple(row[f.name] for f in fields)], ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in fields)
    )
    # a step's row is new unless the same run id ran the step before (a retried run)
    merge_into(spark, frame, table, ["run_id", "job"], run_id=run_id, keys_usually_new=True, keys_new=run_is_new)


def run_recorded(spark: SparkSession, catalog: Catalog, run_id: str, jobs: Sequence[str]) -> bool:
    """Whether ``gold.job_runs`` holds a row of ``run_id`` for any of ``jobs`` (a retried run); creates the table
    if missing. A run asks once, before its first record: each of its steps' rows is then known to be new (one
    writer per run and step) and is appended alone, one Delta commit, instead of looked up and merged."""
    catalog.ensure_tables(spark, "gold", [JOB_RUNS])
    runs = spark.table(catalog.name("gold", JOB_RUNS))
    return not runs.where((F.col("run_id") == run_id) & F.col("job").isin(list(jobs))).limit(1).isEmpty()
