"""``gold.job_runs``: one row per step execution (rows in/out/quarantined, duration, status)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from lakehouse_inv.lakehouse.writes import merge_into

if TYPE_CHECKING:
    from lakehouse_inv.pipeline.context import JobContext, StepResult

JOB_RUNS = "job_runs"


def record_run(
    ctx: JobContext,
    job: str,
    started_at: dt.datetime,
    seconds: float,
    result: StepResult | None,
    error: str | None,
) -> None:
    spark = ctx.spark
    ctx.catalog.ensure_tables(spark, "gold", [JOB_RUNS])
    row = {
        "run_id": ctx.run_id,
        "job": job,
        "as_of": ctx.as_of,
        "started_at": started_at.replace(tzinfo=None),
        "duration_s": round(seconds, 3),
        "status": "failed" if error is not None else result.status if result else "succeeded",
        "rows_in": result.rows_in if result else 0,
        "rows_out": result.rows_out if result else 0,
        "rows_quarantined": result.rows_quarantined if result else 0,
        "tables_json": json.dumps(result.tables if result else {}, sort_keys=True),
        "message": (result.message if result else None) or error,
        "notes": "\n".join(result.notes()) if result and result.notes() else None,
    }
    schema = spark.table(ctx.table("gold", JOB_RUNS)).schema
    if "notes" not in schema.fieldNames():  # a warehouse created before the column existed
        spark.sql(f"ALTER TABLE {ctx.table('gold', JOB_RUNS)} ADD COLUMNS (notes STRING)")
        schema = spark.table(ctx.table("gold", JOB_RUNS)).schema
    fields = [f for f in schema.fields if f.name in row]
    frame = spark.createDataFrame(
        [tuple(row[f.name] for f in fields)], ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in fields)
    )
    # a step's row is new unless the same run id ran the step before (a retried run)
    merge_into(spark, frame, ctx.table("gold", JOB_RUNS), ["run_id", "job"], run_id=ctx.run_id, keys_usually_new=True)
