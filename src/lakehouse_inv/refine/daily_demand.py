"""``silver.daily_demand``: one row per store x product x day, zero-filled — the forecasting input.

Totals are exact and independent of partitioning and task order: counts sum as BIGINT (the contract then
rejects a day whose total does not fit the table's INT instead of failing the cast), money sums as
DECIMAL(30,2) from the 2-decimal line revenues, and ``avg_price`` is that exact revenue / units rounded
to 4 decimals (the shelf price on days without sales).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

KEYS = ["store_id", "product_id"]
MONEY = "decimal(20,2)"  # one line's revenue (rounded to cents in silver.sales); sums widen to decimal(30,2)


def series_first_dates(sales: DataFrame, inventory: DataFrame, stores: DataFrame | None = None) -> DataFrame:
    """When each store-product enters the data: its first stock count or sale, but never before its store's first
    business day (``stores.open_date``, else the store's first sale), so zero-filling never invents days of no
    demand before the store traded."""
    firsts = sales.select(*KEYS, F.col("sale_date").alias("d")).unionByName(
        inventory.select(*KEYS, F.col("snapshot_date").alias("d"))
    )
    series = firsts.groupBy(*KEYS).agg(F.min("d").alias("first_date"))
    if stores is None:
        return series
    first_day = sales.groupBy("store_id").agg(F.min("sale_date").alias("_first_day"))
    if "open_date" in stores.columns:
        opened = stores.select("store_id", F.col("open_date").alias("_opened"))
        first_day = opened.join(first_day, "store_id", "full").select(
            "store_id", F.coalesce("_opened", "_first_day").alias("_first_day")
        )
    later = F.col("_first_day") > F.col("first_date")
    bounded = F.when(later, F.col("_first_day")).otherwise(F.col("first_date"))
    return series.join(first_day, "store_id", "left").select(*KEYS, bounded.alias("first_date"))


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
            F.sum(F.col("units").cast("bigint")).alias("units_sold"),
            F.sum(F.col("revenue").cast(MONEY)).alias("revenue"),
            F.count("*").alias("transactions"),
        )
    )
    stock = (
        in_window(inventory, "snapshot_date")
        .groupBy(*KEYS, "date")
        .agg(F.sum(F.col("units").cast("bigint")).alias("on_hand_end"))
    )
    out = calendar.join(sold, [*KEYS, "date"], "left").join(stock, [*KEYS, "date"], "left")
    if requests is not None:
        units = F.col("units").cast("bigint")
        asked = (
            in_window(requests, "request_date")
            .groupBy(*KEYS, "date")
            .agg(
                F.sum(units).alias("requests"),
                F.sum(F.when(~F.col("fulfilled"), units).otherwise(0)).alias("lost_requests"),
            )
        )
        out = out.join(asked, [*KEYS, "date"], "left")
        requested = [
            F.coalesce("requests", F.lit(0).cast("bigint")),
            F.coalesce("lost_requests", F.lit(0).cast("bigint")),
        ]
    else:
        requested = [F.lit(None).cast("bigint"), F.lit(None).cast("bigint")]
    # a day without a sales row is 0; coalesce (not fillna, which would also turn a NaN into 0) fills only absence
    units_sold = F.coalesce("units_sold", F.lit(0).cast("bigint"))
    revenue = F.coalesce("revenue", F.lit(0).cast(MONEY))
    avg_price = F.when(units_sold > 0, F.round(revenue / units_sold, 4).cast("double")).otherwise(F.col("list_price"))
    lost = requested[1]
    stockout = F.coalesce(F.col("on_hand_end") == 0, F.lit(False)) | F.coalesce(lost > 0, F.lit(False))
    return out.select(
        *KEYS,
        "date",
        units_sold.alias("units_sold"),
        revenue.cast("double").alias("revenue"),
        F.coalesce("transactions", F.lit(0).cast("bigint")).alias("transactions"),
        avg_price.alias("avg_price"),
        "on_hand_end",
        requested[0].alias("requests"),
        lost.alias("lost_requests"),
        stockout.alias("stockout"),
    )
