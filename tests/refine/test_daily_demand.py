from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality

from lakehouse_inv.refine.daily_demand import build_daily_demand, series_first_dates

D = dt.date


def test_zero_fill_stockouts_and_true_demand(spark):
    store_product = spark.createDataFrame(
        [("S1", "P1", 2.0), ("S1", "P2", 5.0)], "store_id string, product_id string, price double"
    )
    sales = spark.createDataFrame(
        [("S1", "P1", D(2025, 1, 1), 2, 4.0), ("S1", "P1", D(2025, 1, 1), 1, 1.5), ("S1", "P1", D(2025, 1, 3), 1, 2.0)],
        "store_id string, product_id string, sale_date date, units int, revenue double",
    )
    inventory = spark.createDataFrame(
        [
            ("S1", "P1", D(2025, 1, 1), 4),
            ("S1", "P1", D(2025, 1, 2), 0),
            ("S1", "P1", D(2025, 1, 3), 3),
            ("S1", "P2", D(2025, 1, 2), 9),
        ],
        "store_id string, product_id string, snapshot_date date, units int",
    )
    requests = spark.createDataFrame(
        [
            ("S1", "P1", D(2025, 1, 1), 1, True),
            ("S1", "P1", D(2025, 1, 2), 2, False),
            ("S1", "P1", D(2025, 1, 3), 1, True),
        ],
        "store_id string, product_id string, request_date date, units int, fulfilled boolean",
    )
    out = build_daily_demand(
        store_product,
        series_first_dates(sales, inventory),
        sales,
        inventory,
        requests,
        start=D(2025, 1, 1),
        end=D(2025, 1, 3),
    )
    expected = spark.createDataFrame(
        [
            ("S1", "P1", D(2025, 1, 1), 3, 5.5, 2, 1.8333, 4, 1, 0, False),
            ("S1", "P1", D(2025, 1, 2), 0, 0.0, 0, 2.0, 0, 2, 2, True),
            ("S1", "P1", D(2025, 1, 3), 1, 2.0, 1, 2.0, 3, 1, 0, False),
            # P2 starts on its first stock count (Jan 2): no row before it
            ("S1", "P2", D(2025, 1, 2), 0, 0.0, 0, 5.0, 9, 0, 0, False),
            ("S1", "P2", D(2025, 1, 3), 0, 0.0, 0, 5.0, None, 0, 0, False),
        ],
        "store_id string, product_id string, date date, units_sold int, revenue double, transactions int, "
        "avg_price double, on_hand_end int, requests int, lost_requests int, stockout boolean",
    )
    assert_df_equality(out.orderBy("product_id", "date"), expected, ignore_nullable=True)


def test_without_true_demand_requests_are_null_and_stockout_is_empty_shelf(spark):
    store_product = spark.createDataFrame([("S1", "P1", 2.0)], "store_id string, product_id string, price double")
    sales = spark.createDataFrame([], "store_id string, product_id string, sale_date date, units int, revenue double")
    inventory = spark.createDataFrame(
        [("S1", "P1", D(2025, 1, 1), 0)], "store_id string, product_id string, snapshot_date date, units int"
    )
    out = build_daily_demand(
        store_product,
        series_first_dates(sales, inventory),
        sales,
        inventory,
        None,
        start=D(2025, 1, 1),
        end=D(2025, 1, 1),
    ).first()
    assert (out.units_sold, out.requests, out.lost_requests, out.stockout) == (0, None, None, True)
