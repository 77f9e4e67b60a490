"""``monitor`` step (end of the daily DAG): gold.data_quality, gold.forecast_drift, gold.demand_anomalies and
gold.alerts through the one gold write path (:func:`publish_gold`). Rules with ``fail_run`` make the step (and
so the run) fail after everything is written."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse_inv.monitor.alerts import Facts, evaluate_rules, format_alerts
from lakehouse_inv.monitor.anomalies import anomaly_window, demand_anomalies
from lakehouse_inv.monitor.config import MonitoringConfig
from lakehouse_inv.monitor.drift import expected_mae, forecast_drift, series_errors
from lakehouse_inv.monitor.quality import data_quality, quarantine_failures, written_per_table
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.writes import publish_gold, rows_of_the_day

TABLES = ["data_quality", "forecast_drift", "demand_anomalies", "alerts"]


class AlertsFailedRun(RuntimeError):
    """Alert rules configured with ``fail_run: true`` fired."""


def to_spark(ctx: JobContext, table: str, pdf: pd.DataFrame) -> DataFrame:
    """A pandas frame with the target's (non-audit) columns as a Spark DataFrame of the target's types;
    NaN becomes null."""
    target = ctx.spark.table(ctx.table("gold", table)).schema
    schema = StructType([f for f in target.fields if not f.name.startswith("_")])
    if pdf.empty:
        return ctx.spark.createDataFrame([], schema)
    frame = pdf[schema.fieldNames()].astype(object)
    frame = frame.where(pd.notna(frame), None)
    rows = [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False, name=None)]
    return ctx.spark.createDataFrame(rows, schema)


def _plain(value: object) -> object:
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _optional(ctx: JobContext, layer: str, table: str) -> DataFrame | None:
    name = ctx.table(layer, table)
    return ctx.spark.table(name) if ctx.spark.catalog.tableExists(name) else None


def publish_quality(ctx: JobContext, result: StepResult) -> pd.DataFrame:
    runs = _optional(ctx, "gold", "job_runs")
    tables_json = (
        []
        if runs is None
        else [r[0] for r in runs.where(F.col("run_id") == ctx.run_id).select("tables_json").collect()]
    )
    quarantine = _optional(ctx, "silver", "quarantine")
    failed = (
        pd.DataFrame(columns=["table_name", "check_name", "rows_failed"])
        if quarantine is None
        else quarantine_failures(quarantine, ctx.run_id).toPandas()
    )
    quality = data_quality(written_per_table(tables_json), failed, run_id=ctx.run_id, as_of=ctx.as_of)
    scope = f"t.run_id = '{ctx.run_id}'"
    write = publish_gold(
        ctx, "data_quality", to_spark(ctx, "data_quality", quality), scope=scope, source="gold.job_runs"
    )
    result.record("gold.data_quality", write)
    return quality


def publish_drift(ctx: JobContext, config: MonitoringConfig, result: StepResult) -> pd.DataFrame:
    forecasts, accuracy = _optional(ctx, "gold", "demand_forecast"), _optional(ctx, "gold", "forecast_accuracy")
    empty = pd.DataFrame(columns=["level", "status", "drifted"])
    if forecasts is None or accuracy is None:
        return empty
    stats = series_errors(
        forecasts, ctx.read("silver", "daily_demand"), as_of=ctx.as_of, window_days=config.drift.window_days
    )
    stats_pd = stats.toPandas()
    expected = (
        expected_mae(accuracy, stats).toPandas()
        if len(stats_pd)
        else pd.DataFrame(columns=["store_id", "product_id", "mae_expected"])
    )
    departments = ctx.read("silver", "store_product").select("store_id", "product_id", "department_id").toPandas()
    drift = forecast_drift(stats_pd, expected, departments, config.drift, as_of=ctx.as_of) if len(stats_pd) else None
    rows = to_spark(ctx, "forecast_drift", drift if drift is not None else pd.DataFrame())
    scope = rows_of_the_day(ctx)
    result.record(
        "gold.forecast_drift", publish_gold(ctx, "forecast_drift", rows, scope=scope, source="gold.demand_forecast")
    )
    return drift if drift is not None else empty


def publish_anomalies(ctx: JobContext, config: MonitoringConfig, result: StepResult) -> int:
    forecasts = _optional(ctx, "gold", "demand_forecast")
    if forecasts is None:
        return 0
    start, end = anomaly_window(ctx.as_of, config.anomalies)
    rows = demand_anomalies(forecasts, ctx.read("silver", "daily_demand"), config.anomalies, start=start, end=end)
    scope = f"t.date BETWEEN DATE'{start}' AND DATE'{end}'"
    result.record(
        "gold.demand_anomalies", publish_gold(ctx, "demand_anomalies", rows, scope=scope, source="gold.demand_forecast")
    )
    return ctx.read("gold", "demand_anomalies").where(F.col("date").between(F.lit(start), F.lit(end))).count()


def _status_counts(frame: DataFrame | None, date_column: str, ctx: JobContext) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame(columns=["policy_id", "status", "rows"])
    today = frame.where(F.col(date_column) == F.lit(ctx.as_of))
    return today.groupBy("policy_id", "status").agg(F.count("*").alias("rows")).toPandas()


def gather_facts(ctx: JobContext, quality: pd.DataFrame, drift: pd.DataFrame, anomalies: int) -> Facts:
    runs = _optional(ctx, "gold", "job_runs")
    run_cols = ["run_id", "job", "started_at", "duration_s", "rows_out", "status"]
    return Facts(
        run_id=ctx.run_id,
        quality=quality,
        runs=pd.DataFrame(columns=run_cols) if runs is None else runs.select(*run_cols).toPandas(),
        drift=drift,
        anomalies=anomalies,
        policy_status=_status_counts(_optional(ctx, "gold", "policy_parameters"), "as_of", ctx),
        order_status=_status_counts(_optional(ctx, "gold", "orders"), "order_date", ctx),
    )


def run(ctx: JobContext) -> StepResult:
    config: MonitoringConfig = ctx.configs["monitoring"]
    ctx.catalog.ensure_tables(ctx.spark, "gold", TABLES)
    result = StepResult()
    quality = publish_quality(ctx, result)
    drift = publish_drift(ctx, config, result)
    anomalies = publish_anomalies(ctx, config, result)
    alerts = evaluate_rules(config.rules, gather_facts(ctx, quality, drift, anomalies), as_of=ctx.as_of)
    scope = f"t.run_id = '{ctx.run_id}'"
    result.record(
        "gold.alerts", publish_gold(ctx, "alerts", to_spark(ctx, "alerts", alerts), scope=scope, source="monitor")
    )
    series = drift[drift["level"] == "series"] if len(drift) else drift
    result.message = (
        f"{len(quality)} quality rows, {int(series['drifted'].astype(bool).sum()) if len(series) else 0} of "
        f"{len(series)} series drifted, {anomalies} anomalies, {len(alerts)} alerts"
    )
    result.report = format_alerts(alerts)
    failing = alerts[alerts["fails_run"].astype(bool)] if len(alerts) else alerts
    if len(failing):
        raise AlertsFailedRun(f"{len(failing)} alert(s) set to fail the run:\n{format_alerts(failing)}")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["monitor"], argv, prog="lakehouse-inv-monitor")
