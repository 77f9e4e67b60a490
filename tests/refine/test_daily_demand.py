from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality

from lakehouse_inv.lakehouse.contracts import ERRORS, evaluate_checks, load_contract
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
        "store_id string, product_id string, date date, units_sold bigint, revenue double, transactions bigint, "
        "avg_price double, on_hand_end bigint, requests bigint, lost_requests bigint, stockout boolean",
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


def _one_item(spark, sales_rows):
    store_product = spark.createDataFrame([("S1", "P1", 2.0)], "store_id string, product_id string, price double")
    sales = spark.createDataFrame(
        sales_rows, "store_id string, product_id string, sale_date date, units int, revenue double"
    )
    inventory = spark.createDataFrame([], "store_id string, product_id string, snapshot_date date, units int")
    return build_daily_demand(
        store_product,
        series_first_dates(sales, inventory),
        sales,
        inventory,
        None,
        start=D(2025, 1, 1),
        end=D(2025, 1, 1),
    )


def test_daily_totals_sum_in_a_wide_type_and_a_total_beyond_int_is_rejected_by_the_contract(spark):
    big = [("S1", "P1", D(2025, 1, 1), 2_000_000_000, 1.0), ("S1", "P1", D(2025, 1, 1), 2_000_000_000, 1.0)]
    out = _one_item(spark, big)
    assert out.first().units_sold == 4_000_000_000  # was a CAST_OVERFLOW naming no table
    contract = load_contract("silver", "daily_demand")
    schema = spark.createDataFrame([], "store_id string, product_id string, date date, units_sold int").schema
    checked = evaluate_checks(out, contract, as_of=D(2025, 1, 1), reference=lambda _: None, target_schema=schema)
    assert checked.first()[ERRORS] == ["[fits_type] units_sold=4000000000 does not fit int of silver.daily_demand"]


def test_revenue_and_average_price_are_exact_decimals(spark):
    # 1.23 / 8 = 0.15375 -> 0.1538 (half up); the double 1.23 is 1.22999.., whose quotient rounded to 0.1537
    sales = [("S1", "P1", D(2025, 1, 1), 1, 0.1), ("S1", "P1", D(2025, 1, 1), 7, 1.13)]
    row = _one_item(spark, sales).first()
    assert (row.revenue, row.avg_price, row.transactions) == (1.23, 0.1538, 2)


def test_a_series_never_starts_before_its_store_opened_or_first_sold(spark):
    d = dt.date
    sales = spark.createDataFrame(
        [("S1", "P1", d(2025, 1, 3)), ("S2", "P1", d(2025, 1, 5))], "store_id string, product_id string, sale_date date"
    )
    inventory = spark.createDataFrame(
        [("S1", "P2", d(2024, 12, 1)), ("S2", "P2", d(2024, 12, 1)), ("S3", "P1", d(2025, 1, 1))],
        "store_id string, product_id string, snapshot_date date",
    )
    stores = spark.createDataFrame(
        [("S1", d(2025, 1, 2)), ("S2", None), ("S3", None)], "store_id string, open_date date"
    )
    starts = {(r.store_id, r.product_id): r.first_date for r in series_first_dates(sales, inventory, stores).collect()}
    assert starts == {
        ("S1", "P1"): d(2025, 1, 3),
        ("S1", "P2"): d(2025, 1, 2),  # a count before the store opened does not start zero-filling
        ("S2", "P1"): d(2025, 1, 5),
        ("S2", "P2"): d(2025, 1, 5),  # no open date: the store's first sale
        ("S3", "P1"): d(2025, 1, 1),  # neither: its own first count
    }
