"""Inventory position inputs from silver: stock on hand and units on order as of a date."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

KEYS = ["store_id", "product_id"]


def on_hand(inventory: DataFrame, as_of: dt.date) -> DataFrame:
    """Units on hand per store-product at the latest stock count on or before ``as_of``."""
    counted = inventory.where(F.col("snapshot_date") <= F.lit(as_of))
    latest = counted.withColumn("_latest", F.max("snapshot_date").over(Window.partitionBy(*KEYS)))
    return (
        latest.where(F.col("snapshot_date") == F.col("_latest"))
        .groupBy(*KEYS)
        .agg(F.sum("units").cast("double").alias("on_hand"))
    )


def on_order(orders: DataFrame, deliveries: DataFrame, as_of: dt.date) -> DataFrame:
    """Units ordered on or before ``as_of`` and not delivered by then (a delivered order is closed, even if short)."""
    delivered = deliveries.where(F.col("delivery_date") <= F.lit(as_of)).select("order_id").distinct()
    open_orders = orders.where(F.col("order_date") <= F.lit(as_of)).join(delivered, "order_id", "left_anti")
    return open_orders.groupBy(*KEYS).agg(F.sum("quantity").cast("double").alias("on_order"))
