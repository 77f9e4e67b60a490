"""Which bronze table feeds which silver table, and how its columns are typed and derived."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.refine.conform import ConformSpec


def _products(df: DataFrame) -> DataFrame:
    return df.withColumn("is_perishable", F.col("shelf_life_days").isNotNull())


def _sales(df: DataFrame) -> DataFrame:
    return df.withColumn("sale_date", F.to_date("transaction_ts")).withColumn(
        "revenue", F.round(F.col("units") * F.col("unit_price"), 2)
    )


def _demand_requests(df: DataFrame) -> DataFrame:
    return df.withColumn("request_date", F.to_date("requested_at"))


SPECS: dict[str, ConformSpec] = {
    s.target: s
    for s in (
        ConformSpec(
            "stores",
            {
                "avg_household_income": "double",
                "avg_traffic": "double",
                "open_hour": "int",
                "close_hour": "int",
                "open_date": "date",
            },
        ),
        ConformSpec("store_storage", {"storage_volume": "double", "storage_cost_budget": "double"}),
        ConformSpec("departments"),
        ConformSpec("brands"),
        ConformSpec(
            "products",
            {"msrp": "double", "product_volume": "double"},
            durations={"shelf_life_days": "shelf_life"},
            derive=_products,
        ),
        ConformSpec(
            "store_product",
            {
                "msrp": "double",
                "price": "double",
                "storage_cost": "double",
                "missed_sale_cost": "double",
                "disposal_cost": "double",
                "min_inventory": "int",
                "max_inventory": "int",
            },
        ),
        ConformSpec(
            "suppliers",
            {
                "shipping_cost": "double",
                "min_shipping_volume": "double",
                "max_shipping_volume": "double",
                "fixed_order_size": "int",
                "purchase_cost_budget": "double",
            },
            minus_one_is_null=(
                "min_shipping_volume",
                "max_shipping_volume",
                "fixed_order_size",
                "purchase_cost_budget",
            ),
        ),
        ConformSpec(
            "store_product_supplier",
            {
                "lead_time_days": "int",
                "lead_time_ci_days": "int",
                "min_order_qty": "int",
                "max_order_qty": "int",
                "qty_multiple": "int",
                "unit_cost": "double",
                "backorder_cost": "double",
                "shipping_cost": "double",
                "service_level": "double",
                "is_primary": "boolean",
            },
            durations={"shipment_freq_days": "shipment_freq"},
            minus_one_is_null=("max_order_qty",),
        ),
        ConformSpec(
            "sales",
            {"transaction_ts": "timestamp", "units": "int", "unit_price": "double"},
            derive=_sales,
            local_times={"transaction_ts": "sale_date"},
        ),
        ConformSpec("inventory_snapshot", {"snapshot_date": "date", "expiry_date": "date", "units": "int"}),
        ConformSpec(
            "demand_requests",
            {"requested_at": "timestamp", "units": "int", "fulfilled": "boolean"},
            derive=_demand_requests,
            local_times={"requested_at": "request_date"},
        ),
        ConformSpec(
            "orders", {"order_date": "date", "quantity": "int", "unit_cost": "double", "expected_arrival_date": "date"}
        ),
        ConformSpec("deliveries", {"delivery_date": "date", "quantity_received": "int"}),
    )
}
