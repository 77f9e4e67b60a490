"""Pure transforms behind the gold reporting tables."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.numeric import exact_sum


def daily_sales(daily_demand: DataFrame, stores: DataFrame, products: DataFrame) -> DataFrame:
    """Store x product x day sales with readable names, straight from the zero-filled daily demand."""
    return (
        daily_demand.join(stores.select("store_id", "store_name"), "store_id", "left")
        .join(products.select("product_id", "product_name", "is_perishable"), "product_id", "left")
        .select(
            "store_id",
            "product_id",
            "date",
            "store_name",
            "product_name",
            "is_perishable",
            F.col("units_sold").alias("units"),
            "revenue",
            "avg_price",
            "on_hand_end",
            F.col("stockout").alias("stockout_flag"),
            "lost_requests",
        )
    )


def inventory_status(
    inventory: DataFrame, store_product_supplier: DataFrame, *, expiring_within_days: int = 2
) -> DataFrame:
    """Store x day on-hand units and value (at the primary supplier's unit cost)."""
    unit_cost = store_product_supplier.where("is_primary").select("store_id", "product_id", "unit_cost")
    per_item = (
        inventory.groupBy("store_id", "product_id", "snapshot_date")
        .agg(
            F.sum("units").alias("units"),
            F.sum(
                F.when(
                    F.col("expiry_date") <= F.date_add("snapshot_date", expiring_within_days), F.col("units")
                ).otherwise(0)
            ).alias("expiring_units"),
        )
        .join(unit_cost, ["store_id", "product_id"], "left")
    )
    return per_item.groupBy("store_id", F.col("snapshot_date").alias("date")).agg(
        F.sum("units").cast("bigint").alias("on_hand_units"),
        F.round(exact_sum(F.col("units") * F.coalesce("unit_cost", F.lit(0.0))), 2).alias("on_hand_value"),
        F.count("*").cast("int").alias("items"),
        F.sum(F.when(F.col("units") == 0, 1).otherwise(0)).cast("int").alias("items_out_of_stock"),
        F.sum("expiring_units").cast("bigint").alias("expiring_units"),
    )
