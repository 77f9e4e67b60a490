"""Readers shared by the jobs that use policies: the latest forecast, current item inputs, latest decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.optimize.config import ITEM_KEYS, PolicyConfig
from lakehouse_inv.optimize.features import item_inputs
from lakehouse_inv.pipeline.context import JobContext

SOLVED = ("optimal", "feasible")


class MissingForecast(RuntimeError):
    """No demand forecast exists at or before the run date."""


def latest_forecast_origin(ctx: JobContext) -> dt.date:
    origin = (
        ctx.read("gold", "demand_forecast").where(F.col("as_of") <= F.lit(ctx.as_of)).agg(F.max("as_of")).first()[0]
    )
    if origin is None:
        raise MissingForecast(
            f"gold.demand_forecast has no forecast on or before {ctx.as_of}: run the forecast step first"
        )
    return origin


def latest_forecast(ctx: JobContext) -> tuple[dt.date, DataFrame]:
    """The origin and rows of the most recent forecast on or before ``--as-of``."""
    origin = latest_forecast_origin(ctx)
    return origin, ctx.read("gold", "demand_forecast").where(F.col("as_of") == F.lit(origin))


def current_items(ctx: JobContext, forecast: DataFrame, forecast_keys: Sequence[str] = ()) -> DataFrame:
    """Per store-product policy inputs (terms, costs, forecast rate ``a``) from ``forecast`` and master data; with
    ``forecast_keys`` one row per store-product and key (see :func:`item_inputs`)."""
    return item_inputs(
        ctx.read("silver", "store_product"),
        ctx.read("silver", "products"),
        ctx.read("silver", "store_product_supplier"),
        ctx.read("silver", "suppliers"),
        forecast,
        horizon_days=ctx.configs["policies"].planning_horizon_days,
        forecast_keys=forecast_keys,
    )


def latest_parameters(ctx: JobContext, policies: list[PolicyConfig]) -> DataFrame:
    """Each policy's most recent solved decision per item, on or before ``--as-of``, with its plan period."""
    params = ctx.read("gold", "policy_parameters").where(
        (F.col("as_of") <= F.lit(ctx.as_of))
        & F.col("policy_id").isin([p.id for p in policies])
        & F.col("status").isin(*SOLVED)
    )
    newest = params.withColumn("_newest", F.max("as_of").over(Window.partitionBy("policy_id", *ITEM_KEYS)))
    periods = ctx.spark.createDataFrame([(p.id, p.period_days) for p in policies], "policy_id string, period_days int")
    return (
        newest.where(F.col("as_of") == F.col("_newest"))
        .select("policy_id", "policy_type", *ITEM_KEYS, "decision_json", F.col("as_of").alias("parameters_as_of"))
        .join(F.broadcast(periods), "policy_id")
    )
