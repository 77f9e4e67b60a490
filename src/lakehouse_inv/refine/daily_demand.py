"""``silver.daily_demand``: one row per store x product x day, zero-filled — the forecasting input."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

KEYS = ["store_id", "product_id"]


def series_first_dates(sales: DataFrame, inventory: DataFrame) -> DataFrame:
    """When each store-product enters the data: its first stock count or sale."""
    firsts = sales.select(*KEYS, F.col("sale_date").alias("d")).unionByName(
        inventory.select(*KEYS, F.col("snapshot_date").alias("d"))
    )
    return firsts.groupBy(*KEYS).agg(F.min("d").alias("first_date"))


def build_daily_demand(
    store_product: DataFrame,
    series_start: DataFrame,
    sales: DataFrame,
    inventory: DataFrame,
    requests: DataFrame | None,
    *,
    start: dt.date,
    end: dt.date,
) -> DataFrame:
    """Daily demand for ``start..end`` (inclusive) of every assortment item that has started.

    ``requests`` (true demand) is optional: without it ``requests``/``lost_requests`` are NULL and a
    stock-out is a day that ended with nothing on hand.
    """
    calendar = (
        store_product.select(*KEYS, F.col("price").alias("list_price"))
        .join(series_start, KEYS)
        .where(F.col("first_date") <= F.lit(end))
        .select(
            *KEYS, "list_price", F.explode(F.sequence(F.greatest("first_date", F.lit(start)), F.lit(end))).alias("date")
        )
    )

    def in_window(df: DataFrame, column: str) -> DataFrame:
        return df.where(F.col(column).between(F.lit(start), F.lit(end))).withColumnRenamed(column, "date")

    sold = (
        in_window(sales, "sale_date")
        .groupBy(*KEYS, "date")
        .agg(
            F.sum("units").cast("int").alias("units_sold"),
            F.sum("revenue").alias("revenue"),
            F.count("*").cast("int").alias("transactions"),
        )
    )
    stock = (
        in_window(inventory, "snapshot_date")
        .groupBy(*KEYS, "date")
        .agg(F.sum("units").cast("int").alias("on_hand_end"))
    )
    out = calendar.join(sold, [*KEYS, "date"], "left").join(stock, [*KEYS, "date"], "left")
    if requests is not None:
        asked = (
            in_window(requests, "request_date")
            .groupBy(*KEYS, "date")
            .agg(
                F.sum("units").cast("int").alias("requests"),
                F.sum(F.when(~F.col("fulfilled"), F.col("units")).otherwise(0)).cast("int").alias("lost_requests"),
            )
        )
        out = out.join(asked, [*KEYS, "date"], "left").fillna(0, ["requests", "lost_requests"])
    else:
        out = out.withColumn("requests", F.lit(None).cast("int")).withColumn("lost_requests", F.lit(None).cast("int"))
    out = out.fillna(0, ["units_sold", "transactions"]).fillna(0.0, ["revenue"])
    avg_price = F.when(F.col("units_sold") > 0, F.round(F.col("revenue") / F.col("units_sold"), 4)).otherwise(
        F.col("list_price")
    )
    stockout = F.coalesce(F.col("on_hand_end") == 0, F.lit(False)) | F.coalesce(
        F.col("lost_requests") > 0, F.lit(False)
    )
    return out.select(
        *KEYS,
        "date",
        "units_sold",
        F.round("revenue", 2).alias("revenue"),
        "transactions",
        avg_price.alias("avg_price"),
        "on_hand_end",
        "requests",
        "lost_requests",
        stockout.alias("stockout"),
    )
