"""``forecast`` job: ARIMA-family forecasts per store x product into ``gold.demand_forecast``, tracked in MLflow.

One row per series x ``as_of`` x target date. Reads ``silver.daily_demand`` up to ``--as-of``, computes with
:mod:`.step` and replaces its rows for that origin (:mod:`.runs`). The ``backtest`` step is
:mod:`lakehouse_inv.backtest.job`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.config import ConfigError
from lakehouse_inv.forecast.config import ForecastConfig, quantile_column
from lakehouse_inv.forecast.refit import plan_for_run, plan_metrics
from lakehouse_inv.forecast.runs import SOURCE, log_step_run
from lakehouse_inv.forecast.step import forecast_as_of
from lakehouse_inv.lakehouse.numeric import exact_sum
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.writes import publish_gold, rows_of_the_day


def _check_quantile_columns(ctx: JobContext, config: ForecastConfig) -> None:
    columns = set(ctx.spark.table(ctx.table("gold", "demand_forecast")).columns)
    missing = [quantile_column(q) for q in config.quantiles if quantile_column(q) not in columns]
    if missing:
        raise ConfigError(
            f"forecast.yml: quantiles {config.quantiles} need columns {missing} that gold.demand_forecast lacks"
        )


def refit_plan(ctx: JobContext, config: ForecastConfig) -> pd.DataFrame:
    """Which series select their model in full at this run and which refit their last one
    (:mod:`lakehouse_inv.forecast.refit`), from the published forecasts and drift checks before ``--as-of``."""

    def optional(table: str) -> DataFrame | None:
        name = ctx.table("gold", table)
        return ctx.spark.table(name) if ctx.spark.catalog.tableExists(name) else None

    return plan_for_run(
        optional("demand_forecast"),
        optional("forecast_drift"),
        as_of=ctx.as_of,
        every_days=ctx.configs["monitoring"].refit.selection_every_days,
        candidates=list(config.candidates),
    )


def run(ctx: JobContext) -> StepResult:
    config: ForecastConfig = ctx.configs["forecast"]
    ctx.catalog.ensure_tables(ctx.spark, "gold", ["demand_forecast"])
    _check_quantile_columns(ctx, config)
    result = StepResult()
    plan = refit_plan(ctx, config)  # drifted series re-select their model whatever the schedule says
    forecasts = forecast_as_of(ctx.read("silver", "daily_demand"), ctx.as_of, config, plan)
    day = rows_of_the_day(ctx)  # every forecast row carries its origin: the scope is also the renewal
    result.record(
        "gold.demand_forecast",
        publish_gold(ctx, "demand_forecast", forecasts, scope=day, source=SOURCE, renewal=day),
    )

    written = ctx.read("gold", "demand_forecast").where(F.col("as_of") == F.lit(ctx.as_of))
    summary = (
        written.where("horizon_day = 1")
        .groupBy("model", "status", "distribution")
        .agg(F.count("*").alias("series"))
        .orderBy("model", "status")
        .toPandas()
    )
    n_series = int(summary["series"].sum())
    ok = int(summary.loc[summary["status"] == "ok", "series"].sum())
    metrics = {"series": n_series, "series_ok": ok, "fallback_share": 1 - ok / n_series if n_series else 0.0}
    metrics |= {f"model_share_{m}": s / n_series for m, s in summary.groupby("model")["series"].sum().items()}
    metrics["forecast_units_total"] = float(written.agg(exact_sum("mean")).first()[0] or 0.0)
    refit_metrics, refit_tables = plan_metrics(plan)
    metrics |= refit_metrics
    mlflow_run = log_step_run(ctx, "forecast", config, metrics, {"forecast_summary": summary, **refit_tables})
    result.message = f"{n_series} series x {config.horizon} days, {ok} ok; mlflow run {mlflow_run}"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["forecast"], argv, prog="lakehouse-inv-forecast")
