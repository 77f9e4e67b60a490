"""``forecast`` and ``backtest`` jobs: ARIMA-family forecasts per store x product into gold, tracked in MLflow.

``forecast`` writes ``gold.demand_forecast`` (one row per series x ``as_of`` x target date); ``backtest``
writes ``gold.forecast_accuracy`` (one row per series x ``as_of`` x model, always including seasonal
naive). Both read ``silver.daily_demand`` up to ``--as-of``, compute with :mod:`.step` and replace their rows for
that origin.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.config import ConfigError
from lakehouse_inv.forecast.config import ForecastConfig, quantile_column
from lakehouse_inv.forecast.refit import plan_for_run, plan_metrics
from lakehouse_inv.forecast.step import backtest_as_of, forecast_as_of
from lakehouse_inv.forecast.tracking import log_run
from lakehouse_inv.lakehouse.numeric import exact_mean, exact_sum
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.writes import publish_gold

SOURCE = "silver.daily_demand"


def origin(ctx: JobContext) -> str:
    """The rows a forecast or backtest run replaces: those of its origin."""
    return f"t.as_of = DATE'{ctx.as_of}'"


def _check_quantile_columns(ctx: JobContext, config: ForecastConfig) -> None:
    columns = set(ctx.spark.table(ctx.table("gold", "demand_forecast")).columns)
    missing = [quantile_column(q) for q in config.quantiles if quantile_column(q) not in columns]
    if missing:
        raise ConfigError(
            f"forecast.yml: quantiles {config.quantiles} need columns {missing} that gold.demand_forecast lacks"
        )


def _tracking(
    ctx: JobContext, name: str, config: ForecastConfig, metrics: dict[str, float], tables: dict[str, pd.DataFrame]
) -> str:
    return log_run(
        tracking_uri=ctx.pipeline.mlflow_tracking_uri,
        experiment=ctx.pipeline.mlflow_experiment,
        run_name=f"{name}-{ctx.as_of}",
        params={"as_of": ctx.as_of, "run_id": ctx.run_id, **config.model_dump(mode="json", exclude={"distribution"})},
        metrics=metrics,
        tables=tables,
        tags={"job": name, "pipeline_run_id": ctx.run_id},
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
    result.record(
        "gold.demand_forecast", publish_gold(ctx, "demand_forecast", forecasts, scope=origin(ctx), source=SOURCE)
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
    mlflow_run = _tracking(ctx, "forecast", config, metrics, {"forecast_summary": summary, **refit_tables})
    result.message = f"{n_series} series x {config.horizon} days, {ok} ok; mlflow run {mlflow_run}"
    return result


def run_backtest(ctx: JobContext) -> StepResult:
    config: ForecastConfig = ctx.configs["forecast"]
    ctx.catalog.ensure_tables(ctx.spark, "gold", ["forecast_accuracy"])
    _add_quantile_method_column(ctx)
    result = StepResult()
    accuracy = backtest_as_of(ctx.read("silver", "daily_demand"), ctx.as_of, config)
    result.record(
        "gold.forecast_accuracy", publish_gold(ctx, "forecast_accuracy", accuracy, scope=origin(ctx), source=SOURCE)
    )

    summary = (
        ctx.read("gold", "forecast_accuracy")
        .where((F.col("as_of") == F.lit(ctx.as_of)) & F.col("mae").isNotNull())
        .groupBy("model")
        .agg(
            F.count("*").alias("series"),
            exact_mean("mae").alias("mae"),
            exact_mean("rmse").alias("rmse"),
            F.median("mase").alias("mase_median"),
            exact_mean("wape").alias("wape"),
            exact_mean("bias").alias("bias"),
            exact_mean("coverage_80").alias("coverage_80"),
        )
        .orderBy("model")
        .toPandas()
    )
    metrics: dict[str, float] = {}
    for row in summary.itertuples():
        metrics |= {
            f"{row.model}_{m}": getattr(row, m) for m in ("mae", "rmse", "mase_median", "wape", "bias", "coverage_80")
        }
    by_model = summary.set_index("model")
    if {"auto", "seasonal_naive"} <= set(by_model.index):
        metrics["auto_mae_vs_seasonal_naive"] = by_model.at["auto", "mae"] / by_model.at["seasonal_naive", "mae"]
    segments = segment_summary(ctx)
    metrics |= segment_metrics(segments)
    tables = {"accuracy_summary": summary, "accuracy_by_segment": segments}
    mlflow_run = _tracking(ctx, "backtest", config, metrics, tables)
    ratio = metrics.get("auto_mae_vs_seasonal_naive", float("nan"))
    rmsse = metrics.get("auto_rmsse_vs_seasonal_naive", float("nan"))
    result.message = (
        f"MAE of published method / seasonal naive = {ratio:.3f}, RMSSE ratio {rmsse:.3f}; "
        f"{segment_line(segments)}; mlflow run {mlflow_run}"
    )
    return result


def _add_quantile_method_column(ctx: JobContext) -> None:
    """A warehouse created before ``quantile_method`` existed gets the column (NULL on its older rows)."""
    table = ctx.table("gold", "forecast_accuracy")
    if "quantile_method" not in ctx.spark.table(table).columns:
        ctx.spark.sql(f"ALTER TABLE {table} ADD COLUMNS (quantile_method STRING)")


SEGMENT_METRICS = ("rmsse", "mae_p50", "pinball_p10", "pinball_p50", "pinball_p90", "spl", "coverage_80")
# The published method and the references every segment is reported against (backtest.REFERENCE_MODELS).
REPORTED_MODELS = {"auto": "published", "seasonal_naive": "seasonal naive", "dow_mean": "12-week dow mean"}


def segment_summary(ctx: JobContext) -> pd.DataFrame:
    """Per model and rate bucket (and ``all``): each output scored by what it is for (see ``backtest``)."""
    rows = ctx.read("gold", "forecast_accuracy").where(
        (F.col("as_of") == F.lit(ctx.as_of)) & F.col("rmsse").isNotNull()
    )
    aggregates = [F.count("*").alias("series"), *[exact_mean(m).alias(m) for m in SEGMENT_METRICS]]
    by_bucket = rows.groupBy("model", F.coalesce("rate_bucket", F.lit("unknown")).alias("segment")).agg(*aggregates)
    overall = rows.groupBy("model", F.lit("all").alias("segment")).agg(*aggregates)
    return by_bucket.unionByName(overall).orderBy("model", "segment").toPandas()


def segment_metrics(segments: pd.DataFrame) -> dict[str, float]:
    """MLflow metrics: the published method's scores per segment, and its RMSSE / p50 MAE relative to seasonal
    naive's (means over the same series)."""
    metrics: dict[str, float] = {}
    table = segments.set_index(["model", "segment"])
    for (model, segment), row in table.iterrows():
        if model in REPORTED_MODELS:
            safe = segment.replace("<", "lt").replace(">=", "ge").replace(".", "_")
            metrics |= {f"{model}_{m}_{safe}": float(row[m]) for m in SEGMENT_METRICS}
    if ("auto", "all") in table.index and ("seasonal_naive", "all") in table.index:
        auto, naive = table.loc[("auto", "all")], table.loc[("seasonal_naive", "all")]
        metrics["auto_rmsse_vs_seasonal_naive"] = float(auto["rmsse"] / naive["rmsse"])
        metrics["auto_mae_p50_vs_seasonal_naive"] = float(auto["mae_p50"] / naive["mae_p50"])
    return metrics


def segment_line(segments: pd.DataFrame) -> str:
    """The step's summary: per segment, RMSSE / p50 MAE / scaled pinball / coverage of the published method and
    of the references (means over the segment's series)."""
    table = segments.set_index(["model", "segment"])
    parts = []
    for segment in sorted(segments["segment"].unique(), key=lambda s: (s == "all", s)):
        scores = [
            f"{label} {row['rmsse']:.3f}/{row['mae_p50']:.3f}/{row['spl']:.3f}/{row['coverage_80']:.3f}"
            for model, label in REPORTED_MODELS.items()
            if (model, segment) in table.index
            for row in [table.loc[(model, segment)]]
        ]
        parts.append(f"[{segment}] " + ", ".join(scores))
    return "RMSSE/p50 MAE/scaled pinball/coverage per segment: " + " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["forecast"], argv, prog="lakehouse-inv-forecast")


def main_backtest(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["backtest"], argv, prog="lakehouse-inv-backtest")
