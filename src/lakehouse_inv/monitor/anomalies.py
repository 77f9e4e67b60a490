"""``gold.demand_anomalies``: store x product x day whose sales fell far outside the forecast interval.

Each day is compared with the most recent forecast made before it (latest origin < date). The interval is
[p10, p90]; ``excess_units`` is how far the actual lies outside it (signed, 0 inside) and ``surprise`` that
distance in interval widths (a width under one unit counts as one). A day is an anomaly when
``surprise >= min_surprise`` and ``|excess_units| >= min_units``.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.monitor.config import AnomalyConfig

KEYS = ["store_id", "product_id"]


def anomaly_window(as_of: dt.date, config: AnomalyConfig) -> tuple[dt.date, dt.date]:
    return as_of - dt.timedelta(days=config.lookback_days - 1), as_of


def demand_anomalies(
    forecasts: DataFrame, actuals: DataFrame, config: AnomalyConfig, *, start: dt.date, end: dt.date
) -> DataFrame:
    """Anomalous days in ``[start, end]`` from gold.demand_forecast and silver.daily_demand."""
    candidates = forecasts.where(
        (F.col("target_date") >= F.lit(start))
        & (F.col("target_date") <= F.lit(end))
        & (F.col("as_of") < F.col("target_date"))
    )
    latest = Window.partitionBy(*KEYS, "target_date").orderBy(F.col("as_of").desc())
    forecast = candidates.withColumn("_rank", F.row_number().over(latest)).where("_rank = 1")
    days = forecast.join(
        actuals.select(*KEYS, F.col("date").alias("target_date"), F.col("units_sold").alias("actual_units")),
        [*KEYS, "target_date"],
    )
    actual = F.col("actual_units")
    excess = (
        F.when(actual > F.col("p90"), actual - F.col("p90"))
        .when(actual < F.col("p10"), actual - F.col("p10"))
        .otherwise(F.lit(0))
        .cast("double")
    )
    width = F.greatest(F.col("p90") - F.col("p10"), F.lit(1)).cast("double")
    sd = F.sqrt(F.greatest(F.col("variance"), F.lit(1e-9)))
    scored = days.select(
        *KEYS,
        F.col("target_date").alias("date"),
        F.col("as_of").alias("forecast_as_of"),
        "horizon_day",
        actual.cast("int").alias("actual_units"),
        F.round("mean", 6).alias("forecast_mean"),
        "p10",
        "p90",
        excess.alias("excess_units"),
        F.round(F.abs(excess) / width, 6).alias("surprise"),
        F.round((actual - F.col("mean")) / sd, 6).alias("z_score"),
    )
    flagged = scored.where(
        (F.col("surprise") >= config.min_surprise) & (F.abs(F.col("excess_units")) >= config.min_units)
    )
    return flagged.withColumn("direction", F.when(F.col("excess_units") > 0, "above").otherwise("below"))
