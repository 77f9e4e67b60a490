"""``backtest`` job: rolling-origin forecast accuracy per store x product into ``gold.forecast_accuracy``.

One row per series x ``as_of`` x model, always including seasonal naive. Reads ``silver.daily_demand`` up to
``--as-of``, computes with :func:`lakehouse_inv.forecast.step.backtest_as_of` (the per-series work is
:mod:`lakehouse_inv.forecast.backtest`), replaces its rows for that origin and logs an MLflow run.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pyspark.sql import functions as F

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.runs import SOURCE, log_step_run
from lakehouse_inv.forecast.step import backtest_as_of
from lakehouse_inv.lakehouse.numeric import exact_mean
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.schedule import due, note
from lakehouse_inv.pipeline.writes import publish_gold, rows_of_the_day


def run(ctx: JobContext) -> StepResult:
    config: ForecastConfig = ctx.configs["forecast"]
    ctx.catalog.ensure_tables(ctx.spark, "gold", ["forecast_accuracy"])
    _add_new_columns(ctx)
    result = StepResult()
    last = ctx.read("gold", "forecast_accuracy").where(F.col("as_of") <= F.lit(ctx.as_of)).agg(F.max("as_of"))
    decision = due(ctx, "backtest", config.backtest.schedule, last.first()[0])
    note(result, "backtest", decision)
    if not decision.due:
        return result
    accuracy = backtest_as_of(ctx.read("silver", "daily_demand"), ctx.as_of, config)
    day = rows_of_the_day(ctx)  # every accuracy row carries its origin: the scope is also the renewal
    result.record(
        "gold.forecast_accuracy",
        publish_gold(ctx, "forecast_accuracy", accuracy, scope=day, source=SOURCE, renewal=day),
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
            exact_mean("pit_coverage_80").alias("pit_coverage_80"),
        )
        .orderBy("model")
        .toPandas()
    )
    metrics: dict[str, float] = {}
    for row in summary.itertuples():
        metrics |= {f"{row.model}_{m}": getattr(row, m) for m in SUMMARY_METRICS}
    by_model = summary.set_index("model")
    if {"auto", "seasonal_naive"} <= set(by_model.index):
        metrics["auto_mae_vs_seasonal_naive"] = by_model.at["auto", "mae"] / by_model.at["seasonal_naive", "mae"]
    segments = segment_summary(ctx)
    metrics |= segment_metrics(segments)
    tables = {"accuracy_summary": summary, "accuracy_by_segment": segments}
    mlflow_run = log_step_run(ctx, "backtest", config, metrics, tables)
    ratio = metrics.get("auto_mae_vs_seasonal_naive", float("nan"))
    rmsse = metrics.get("auto_rmsse_vs_seasonal_naive", float("nan"))
    result.message = (
        f"MAE of published method / seasonal naive = {ratio:.3f}, RMSSE ratio {rmsse:.3f}; "
        f"{segment_line(segments)}; mlflow run {mlflow_run}"
    )
    return result


# Columns gold.forecast_accuracy gained after its first release, in the order they were added.
ADDED_COLUMNS = (("quantile_method", "STRING"), ("pit_coverage_80", "DOUBLE"))


def _add_new_columns(ctx: JobContext) -> None:
    """A warehouse created before :data:`ADDED_COLUMNS` existed gets them (NULL on its older rows)."""
    table = ctx.table("gold", "forecast_accuracy")
    existing = set(ctx.spark.table(table).columns)
    for name, kind in ADDED_COLUMNS:
        if name not in existing:
            ctx.spark.sql(f"ALTER TABLE {table} ADD COLUMNS ({name} {kind})")


SUMMARY_METRICS = ("mae", "rmse", "mase_median", "wape", "bias", "coverage_80", "pit_coverage_80")
SEGMENT_METRICS = (
    "rmsse", "mae_p50", "pinball_p10", "pinball_p50", "pinball_p90", "spl", "coverage_80", "pit_coverage_80",
)  # fmt: skip
# The published method and the references every segment is reported against (forecast/backtest.py REFERENCE_MODELS).
REPORTED_MODELS = {"auto": "published", "seasonal_naive": "seasonal naive", "dow_mean": "12-week dow mean"}


def segment_summary(ctx: JobContext) -> pd.DataFrame:
    """Per model and rate bucket (and ``all``): each output scored by what it is for (see
    :mod:`lakehouse_inv.forecast.backtest`)."""
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
    """The step's summary: per segment, RMSSE / p50 MAE / scaled pinball / coverage (closed, then ties split) of the
    published method and of the references (means over the segment's series)."""
    table = segments.set_index(["model", "segment"])
    parts = []
    for segment in sorted(segments["segment"].unique(), key=lambda s: (s == "all", s)):
        scores = [
            f"{label} {row['rmsse']:.3f}/{row['mae_p50']:.3f}/{row['spl']:.3f}/{row['coverage_80']:.3f}"
            f"/{row['pit_coverage_80']:.3f}"
            for model, label in REPORTED_MODELS.items()
            if (model, segment) in table.index
            for row in [table.loc[(model, segment)]]
        ]
        parts.append(f"[{segment}] " + ", ".join(scores))
    return "RMSSE/p50 MAE/scaled pinball/coverage/coverage ties split per segment: " + " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["backtest"], argv, prog="lakehouse-inv-backtest")
