from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality

from lakehouse_inv.gold.transforms import daily_sales, inventory_status

D = dt.date


def test_inventory_status_values_stock_at_primary_cost_and_counts_empty_items(spark):
    inventory = spark.createDataFrame(
        [
            ("S1", "P1", D(2025, 1, 1), D(2025, 1, 2), 3),  # expires tomorrow
            ("S1", "P1", D(2025, 1, 1), D(2025, 1, 9), 2),
            ("S1", "P2", D(2025, 1, 1), None, 0),
        ],
        "store_id string, product_id string, snapshot_date date, expiry_date date, units int",
    )
    terms = spark.createDataFrame(
        [("S1", "P1", 2.0, True), ("S1", "P1", 9.0, False), ("S1", "P2", 1.0, True)],
        "store_id string, product_id string, unit_cost double, is_primary boolean",
    )
    expected = spark.createDataFrame(
        [("S1", D(2025, 1, 1), 5, 10.0, 2, 1, 3)],
        "store_id string, date date, on_hand_units bigint, on_hand_value double, items int, items_out_of_stock int, "
        "expiring_units bigint",
    )
    assert_df_equality(inventory_status(inventory, terms), expected, ignore_nullable=True)


def test_daily_sales_adds_names_and_renames_for_analysts(spark):
    demand = spark.createDataFrame(
        [("S1", "P1", D(2025, 1, 1), 2, 3.0, 1.5, 0, True, 1)],
        "store_id string, product_id string, date date, units_sold int, revenue double, avg_price double, "
        "on_hand_end int, stockout boolean, lost_requests int",
    )
    stores = spark.createDataFrame([("S1", "Store 1")], "store_id string, store_name string")
    products = spark.createDataFrame(
        [("P1", "Milk", True)], "product_id string, product_name string, is_perishable boolean"
    )
    row = daily_sales(demand, stores, products).first().asDict()
    assert row == {
        "store_id": "S1",
        "product_id": "P1",
        "date": D(2025, 1, 1),
        "store_name": "Store 1",
        "product_name": "Milk",
        "is_perishable": True,
        "units": 2,
        "revenue": 3.0,
        "avg_price": 1.5,
        "on_hand_end": 0,
        "stockout_flag": True,
        "lost_requests": 1,
    }
