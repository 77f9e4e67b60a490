"""The forecast and backtest steps' computations on DataFrames, without reading or writing a table.

The jobs (:mod:`.job`: read ``silver.daily_demand``, call these, write gold) and the walk-forward evaluation
(:mod:`lakehouse_inv.evaluate.walk_forward`: the same forecast at many past origins) call the same functions, so
the evaluation scores exactly the method the forecast step publishes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.distributed import backtest_frame
from lakehouse_inv.forecast.pooling import forecast_group
from lakehouse_inv.forecast.refit import forecast_by_plan
from lakehouse_inv.forecast.series import forecast_output_schema
from lakehouse_inv.grouped import apply_per_group

SERIES_KEYS = ["store_id", "product_id"]
ORIGIN = "origin"
# series are forecast per product (all its stores in one pandas call), so sparse ones can pool (forecast.pooling)
POOL_BY = "product_id"


def history_columns(daily_demand: DataFrame) -> DataFrame:
    """The daily demand each series is forecast from: units sold (zero-filled), realised price, and the stock-out
    flag with the unmet requests where known (sales on a stock-out day are a lower bound, see ``history``)."""
    return daily_demand.select(
        *SERIES_KEYS,
        "date",
        F.col("units_sold").cast("double").alias("demand"),
        F.col("avg_price").alias("price"),
        "stockout",
        F.col("lost_requests").cast("double").alias("lost_requests"),
    )


def demand_history(daily_demand: DataFrame, as_of: dt.date, config: ForecastConfig, extra_days: int = 0) -> DataFrame:
    """:func:`history_columns` of the ``history_days`` (+ ``extra_days``) days up to ``as_of``."""
    first = F.date_sub(F.lit(as_of), config.history_days + extra_days)
    return history_columns(daily_demand.where((F.col("date") <= F.lit(as_of)) & (F.col("date") > first)))


def forecast_as_of(daily_demand: DataFrame, as_of: dt.date, config: ForecastConfig, plan: pd.DataFrame) -> DataFrame:
    """``gold.demand_forecast`` rows of every series at ``as_of``; ``plan`` (:mod:`.refit`) says which series
    refit their last model and which select in full."""
    return forecast_by_plan(demand_history(daily_demand, as_of, config), plan, config=config, as_of=as_of)


def backtest_as_of(daily_demand: DataFrame, as_of: dt.date, config: ForecastConfig) -> DataFrame:
    """``gold.forecast_accuracy`` rows of every series at ``as_of`` (rolling origins ending on it)."""
    span = config.backtest_horizon + config.backtest.step_days * (config.backtest.origins - 1)
    history = demand_history(daily_demand, as_of, config, extra_days=span)
    return backtest_frame(history, key_cols=SERIES_KEYS, config=config, as_of=as_of)


def _forecast_at_origin(pdf: pd.DataFrame, *, config: ForecastConfig, key_cols: Sequence[str]) -> pd.DataFrame:
    origin = pdf[ORIGIN].iat[0]
    return forecast_group(pdf.drop(columns=[ORIGIN]), config=config, key_cols=key_cols, group_col=POOL_BY, as_of=origin)


def forecasts_at_origins(daily_demand: DataFrame, origins: Sequence[dt.date], config: ForecastConfig) -> DataFrame:
    """``gold.demand_forecast``-shaped rows of every series at every origin, from the data up to each origin only
    (``as_of`` renamed ``origin``), all origins in one grouped pass (``origin`` is part of the group key)."""
    spark = daily_demand.sparkSession
    frame = spark.createDataFrame([(o,) for o in origins], f"{ORIGIN} date")
    history = history_columns(
        daily_demand.where(
            (F.col("date") <= F.lit(max(origins)))
            & (F.col("date") > F.date_sub(F.lit(min(origins)), config.history_days))
        )
    )
    cut = history.crossJoin(F.broadcast(frame)).where(
        (F.col("date") <= F.col(ORIGIN)) & (F.col("date") > F.date_sub(F.col(ORIGIN), config.history_days))
    )
    schema = forecast_output_schema("store_id string, product_id string", config.quantiles)
    fn = partial(_forecast_at_origin, config=config, key_cols=tuple(SERIES_KEYS))
    return apply_per_group(cut, [ORIGIN, POOL_BY], fn, schema).withColumnRenamed("as_of", ORIGIN)
