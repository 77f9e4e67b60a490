"""generate_orders on a hand-built lakehouse: the recommended order per item is marked, the baseline orders only for
items recommended to stay on it, export-orders exports the recommended orders unless --policy names others, and a
re-run (also after the recommendation changed) leaves exactly the orders of the latest recommendation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from chispa import assert_df_equality
from pyspark.sql.types import StructType

from lakehouse_inv.generate_orders.export import export_orders, policy_ids, run_export
from lakehouse_inv.generate_orders.job import latest_recommendation, mark_recommended, run

AS_OF = dt.date(2026, 1, 1)  # a review day of the baseline's 7-day calendar (20454 days since 1970-01-01)
PRODUCTS = ["P1", "P2", "P3"]
BUSINESS = ["order_id", "policy_id", "product_id", "need", "quantity", "status", "parameters_as_of", "recommended"]


def _append(ctx, layer: str, table: str, rows: list[dict]) -> None:
    schema: StructType = ctx.spark.table(ctx.table(layer, table)).schema
    data = [tuple(r.get(f.name) for f in schema.fields) for r in rows]
    ctx.spark.createDataFrame(data, schema).write.format("delta").mode("append").saveAsTable(ctx.table(layer, table))


def _recommend(ctx, as_of: dt.date, choice: dict[str, str]) -> None:
    rows = [
        {"as_of": as_of, "store_id": "S1", "product_id": p, "policy_id": c, "reason": "test"} for p, c in choice.items()
    ]
    _append(ctx, "gold", "policy_recommendation", rows)


@pytest.fixture(scope="module")
def world(make_context):
    """Store S1, products P1-P3 (4 units on hand each, nothing on order, lead time 2, no shelf life), sQ solved with
    s = 10, Q = 12 for all three; P2 sold 2, 4, 2, 4, ... on 28 in-stock days. Recommendations: P1 -> sQ, P2 ->
    baseline (latest on or before AS_OF; an older one and a later one say otherwise), P3 none."""
    ctx = make_context(as_of=AS_OF, run_id="orders-1")
    spark = ctx.spark
    ctx.catalog.ensure_tables(
        spark,
        "silver",
        ["stores", "store_product", "products", "store_product_supplier", "suppliers", "inventory_snapshot",
         "orders", "deliveries", "daily_demand", "quarantine"],
    )  # fmt: skip
    ctx.catalog.ensure_tables(spark, "gold", ["demand_forecast", "policy_parameters", "policy_recommendation"])
    _append(ctx, "silver", "stores", [{"store_id": "S1"}])
    _append(ctx, "silver", "suppliers", [{"supplier_id": "X", "shipping_cost": 10.0}])
    _append(
        ctx, "silver", "products", [{"product_id": p, "is_perishable": False, "product_volume": 1.0} for p in PRODUCTS]
    )
    _append(
        ctx,
        "silver",
        "store_product",
        [{"store_id": "S1", "product_id": p, "storage_id": "A", "price": 5.0, "storage_cost": 0.1,
          "missed_sale_cost": 1.0, "disposal_cost": 0.0} for p in PRODUCTS],
    )  # fmt: skip
    _append(
        ctx,
        "silver",
        "store_product_supplier",
        [{"store_id": "S1", "product_id": p, "supplier_id": "X", "lead_time_days": 2, "qty_multiple": 1,
          "unit_cost": 2.0, "service_level": 0.95, "is_primary": True} for p in PRODUCTS],
    )  # fmt: skip
    _append(
        ctx,
        "silver",
        "inventory_snapshot",
        [{"store_id": "S1", "product_id": p, "snapshot_date": AS_OF, "units": 4} for p in PRODUCTS],
    )
    days = [AS_OF - dt.timedelta(days=27 - k) for k in range(28)]
    _append(
        ctx,
        "silver",
        "daily_demand",
        [{"store_id": "S1", "product_id": "P2", "date": d, "units_sold": 2 + 2 * (k % 2), "revenue": 0.0,
          "transactions": 1, "stockout": False} for k, d in enumerate(days)],
    )  # fmt: skip
    origin = AS_OF - dt.timedelta(days=1)
    _append(
        ctx,
        "gold",
        "demand_forecast",
        [{"store_id": "S1", "product_id": p, "as_of": origin, "target_date": origin + dt.timedelta(days=h),
          "horizon_day": h, "mean": 3.0, "variance": 3.0, "status": "ok"} for p in PRODUCTS for h in range(1, 29)],
    )  # fmt: skip
    _append(
        ctx,
        "gold",
        "policy_parameters",
        [{"policy_id": "sQ", "as_of": origin, "store_id": "S1", "product_id": p, "policy_type": "sQ",
          "status": "optimal", "decision_json": json.dumps({"s": 10, "Q": 12})} for p in PRODUCTS],
    )  # fmt: skip
    _recommend(ctx, AS_OF - dt.timedelta(days=31), {"P1": "baseline", "P2": "sQ"})
    _recommend(ctx, AS_OF - dt.timedelta(days=17), {"P1": "sQ", "P2": "baseline"})
    _recommend(ctx, AS_OF + dt.timedelta(days=31), {"P1": "baseline", "P2": "sQ", "P3": "sQ"})
    result = run(ctx)
    ctx.message = result.message
    return ctx


def _orders(ctx) -> pd.DataFrame:
    orders = ctx.read("gold", "orders").toPandas()[BUSINESS]
    return orders.sort_values("order_id").reset_index(drop=True)


def test_mark_recommended_flags_only_the_recommended_policy(spark):
    orders = spark.createDataFrame(
        [("a", "sQ", "S1", "P1"), ("b", "RS", "S1", "P1"), ("c", "sQ", "S1", "P2")],
        "order_id string, policy_id string, store_id string, product_id string",
    )
    recommendation = spark.createDataFrame(
        [("S1", "P1", "RS")], "store_id string, product_id string, recommended_policy_id string"
    )
    expected = spark.createDataFrame(
        [("a", "sQ", "S1", "P1", False), ("b", "RS", "S1", "P1", True), ("c", "sQ", "S1", "P2", False)],
        "order_id string, policy_id string, store_id string, product_id string, recommended boolean",
    )
    assert_df_equality(mark_recommended(orders, recommendation), expected, ignore_row_order=True, ignore_nullable=True)


def test_the_latest_recommendation_on_or_before_the_run_date_counts(world):
    latest = latest_recommendation(world).toPandas().sort_values("product_id")
    assert latest.to_dict("records") == [
        {"store_id": "S1", "product_id": "P1", "recommended_policy_id": "sQ"},
        {"store_id": "S1", "product_id": "P2", "recommended_policy_id": "baseline"},
    ]


def test_orders_mark_the_recommended_policy_and_the_baseline_orders_only_where_recommended(world):
    orders = _orders(world)
    assert orders[["order_id", "quantity", "recommended"]].to_dict("records") == [
        # P2 on the baseline: ⌈(2 + 7)·3 + 1.645·1·√9⌉ = 32 minus IP 4
        {"order_id": "baseline-S1-P2-20260101", "quantity": 28.0, "recommended": True},
        {"order_id": "sQ-S1-P1-20260101", "quantity": 12.0, "recommended": True},
        {"order_id": "sQ-S1-P2-20260101", "quantity": 12.0, "recommended": False},
        {"order_id": "sQ-S1-P3-20260101", "quantity": 12.0, "recommended": False},  # no recommendation yet
    ]
    assert pd.isna(orders.loc[0, "parameters_as_of"]) and "2 recommended" in world.message


def test_export_writes_the_recommended_orders_unless_policies_are_named(world, tmp_path: Path):
    output = tmp_path / "orders.csv"
    written, _ = export_orders(world, ["S1"], AS_OF, AS_OF, None, output)
    assert written == 2
    assert list(pd.read_csv(output)["order_id"]) == ["baseline-S1-P2-20260101", "sQ-S1-P1-20260101"]
    written, _ = export_orders(world, ["S1"], AS_OF, AS_OF, policy_ids(["sQ"]), output)
    assert list(pd.read_csv(output)["order_id"]) == [f"sQ-S1-{p}-20260101" for p in PRODUCTS]
    written, _ = export_orders(world, ["S1"], AS_OF, AS_OF, policy_ids(["baseline", "sQ,RS"]), output)
    assert written == 4


def test_policy_option_repeats_and_splits_commas():
    assert policy_ids(["sQ", " RS,nvbudget ", "sQ", ","]) == ["sQ", "RS", "nvbudget"]
    assert policy_ids(None) is None and policy_ids([" "]) is None


def test_without_policy_an_orders_table_from_before_recommendations_is_an_error(make_context, tmp_path, capsys):
    ctx = make_context()
    ctx.catalog.ensure_tables(ctx.spark, "silver", ["stores"])
    ctx.spark.sql(f"INSERT INTO {ctx.table('silver', 'stores')} (store_id) VALUES ('S1')")
    ctx.spark.sql(f"CREATE TABLE {ctx.table('gold', 'orders')} (order_id STRING, store_id STRING) USING DELTA")
    output = tmp_path / "orders.csv"
    assert run_export(ctx, ["S1"], AS_OF, AS_OF, None, output) == 2
    err = capsys.readouterr().err
    assert "has no recommended column" in err and "--policy" in err and not output.exists()


def test_a_rerun_leaves_the_orders_identical(world):
    before = _orders(world)
    run(dataclasses.replace(world, run_id="orders-2"))
    pd.testing.assert_frame_equal(_orders(world), before)


def test_a_rerun_after_the_recommendation_changed_replaces_the_baseline_order(world):
    """Runs last: it adds a recommendation (P2 -> sQ) dated before AS_OF but after the one it replaces."""
    _recommend(world, AS_OF - dt.timedelta(days=3), {"P2": "sQ"})
    run(dataclasses.replace(world, run_id="orders-3"))
    orders = _orders(world)
    assert orders[["order_id", "recommended"]].to_dict("records") == [
        {"order_id": "sQ-S1-P1-20260101", "recommended": True},
        {"order_id": "sQ-S1-P2-20260101", "recommended": True},
        {"order_id": "sQ-S1-P3-20260101", "recommended": False},
    ]
