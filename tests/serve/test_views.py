"""The analyst views (gold/v_*.sql) on a hand-made warehouse: grain, the row each view picks, derived flags."""

from __future__ import annotations

import datetime as dt

import pytest
import serve_world as world
from pyspark.errors import AnalysisException

from lakehouse_inv.config import SchemaNames
from lakehouse_inv.lakehouse.catalog import Catalog

D = dt.date


@pytest.fixture(scope="module")
def views(world_catalog) -> Catalog:
    return world_catalog


def rows(spark, catalog: Catalog, view: str, order: str) -> list[dict]:
    return [r.asDict() for r in spark.table(catalog.name("gold", view)).orderBy(*order.split(",")).collect()]


def test_the_jobs_create_every_analyst_view_once_its_tables_exist(spark, views):
    created = {r.viewName for r in spark.sql(f"SHOW VIEWS IN {views.schemas.gold}").collect()}
    assert set(world.ANALYST_VIEWS) <= created


def test_policy_comparison_latest_evaluation_with_the_baseline_beside_each_policy(spark, views):
    got = rows(spark, views, "v_policy_comparison", "store_id,cost_rank")
    assert {(r["evaluation"], r["as_of"]) for r in got} == {("replay", world.LATEST)}  # not the 2025-03-03 one
    assert [(r["store_id"], r["policy_id"], r["cost_rank"], r["is_baseline"]) for r in got] == [
        ("ALL", "sQ", 1, False),
        ("ALL", "RS", 2, False),
        ("ALL", "baseline", 3, True),
        ("S01", "sQ", 1, False),
        ("S01", "RS", 2, False),
        ("S01", "baseline", 3, True),
    ]
    first = got[0]
    assert first["store_name"] == "All stores" and got[3]["store_name"] == "North"
    assert (first["total_cost"], first["total_cost_baseline"], first["fill_rate"], first["fill_rate_baseline"]) == (
        85.0,
        105.0,
        0.9,
        0.8,
    )


def test_order_book_keeps_open_and_recent_orders_with_supplier_and_eta(spark, views):
    got = {r["order_id"]: r for r in rows(spark, views, "v_order_book", "order_id")}
    # RS-S01-P01-20250201 arrived long ago: neither open nor recent
    assert sorted(got) == ["RS-S02-P01-20250301", "RS-S02-P02-20250220", "sQ-S01-P01-20250310", "sQ-S01-P02-20250310"]
    old_open = got["RS-S02-P02-20250220"]
    assert (old_open["is_open"], old_open["days_to_arrival"], old_open["supplier_name"]) == (True, 5, "Grain Ltd")
    blocked = got["sQ-S01-P02-20250310"]
    assert (blocked["is_open"], blocked["status"], blocked["reason"]) == (False, "blocked", "max order 5 below MOQ 12")
    arrived = got["RS-S02-P01-20250301"]
    assert (arrived["is_open"], arrived["days_to_arrival"], arrived["store_name"]) == (False, -7, "South")
    assert got["sQ-S01-P01-20250310"]["is_open"] is True


def test_forecast_vs_actual_uses_the_latest_forecast_before_each_day_and_flags_the_band(spark, views):
    got = {r["date"]: r for r in rows(spark, views, "v_forecast_vs_actual", "date")}
    assert sorted(got) == [D(2025, 3, d) for d in range(6, 13)]  # one row per day, not one per forecast
    assert {d: r["forecast_as_of"] for d, r in got.items()} == {
        **{D(2025, 3, d): D(2025, 3, 5) for d in (6, 7, 8)},
        **{D(2025, 3, d): D(2025, 3, 8) for d in (9, 10, 11, 12)},
    }
    sold = {d: r["actual_units"] for d, r in got.items()}
    assert sold == {
        **{D(2025, 3, d): world._units("S01", "P01", D(2025, 3, d)) for d in range(6, 11)},
        D(2025, 3, 11): None,
        D(2025, 3, 12): None,
    }
    # bands: [1, 6] from 2025-03-05, [2, 5] from 2025-03-08
    assert {d.day: r["inside_band"] for d, r in got.items()} == {
        6: True,  # 5 in [1, 6]
        7: False,  # 0 below 1
        8: True,  # 2
        9: True,  # 4 in [2, 5]
        10: False,  # 6 above 5
        11: None,  # not observed yet
        12: None,
    }
    assert got[D(2025, 3, 10)]["error"] == pytest.approx(6 - 3.5)


def test_inventory_health_cover_stockouts_and_expiring_units_on_the_latest_day(spark, views):
    got = {(r["store_id"], r["product_id"]): r for r in rows(spark, views, "v_inventory_health", "store_id,product_id")}
    assert len(got) == 4 and {r["date"] for r in got.values()} == {world.LATEST}
    sales = [r for r in world.sales_rows() if r["date"] > world.LATEST - dt.timedelta(days=28)]

    def mean_units(store: str, product: str) -> float:
        units = [r["units"] for r in sales if (r["store_id"], r["product_id"]) == (store, product)]
        return sum(units) / len(units)

    milk = got[("S01", "P01")]
    assert milk["avg_daily_units_28d"] == pytest.approx(mean_units("S01", "P01"), abs=5e-4)
    assert milk["days_of_cover"] == pytest.approx(round(10 / mean_units("S01", "P01"), 1))
    # batches expiring by 2025-03-12: 4 + 1 units; the 2025-03-15 batch is not expiring soon
    assert (milk["expiring_units"], milk["next_expiry_date"]) == (5, D(2025, 3, 11))
    empty = got[("S01", "P02")]
    assert (empty["on_hand"], empty["out_of_stock"], empty["days_of_cover"]) == (0, True, 0.0)
    assert (empty["stockout_days_28d"], empty["lost_units_28d"]) == (2, 4)
    # an empty batch and yesterday's count do not expire today
    assert got[("S02", "P01")]["expiring_units"] == 0
    assert got[("S02", "P02")]["days_of_cover"] is None  # nothing sold: cover undefined


def test_a_view_that_does_not_fit_an_older_table_is_reported_when_asked_not_raised(spark) -> None:
    catalog = Catalog(SchemaNames(bronze="oldwh_bronze", silver="oldwh_silver", gold="oldwh_gold"))
    catalog.ensure_schemas(spark)
    spark.sql("CREATE TABLE oldwh_gold.policy_metrics (as_of DATE, policy_id STRING) USING DELTA")  # no evaluation
    spark.sql("CREATE TABLE oldwh_silver.stores (store_id STRING, store_name STRING) USING DELTA")
    failed: dict[str, str] = {}
    assert "v_policy_comparison" not in catalog.ensure_views(spark, "gold", failed=failed)
    assert list(failed) == ["v_policy_comparison"] and "evaluation" in failed["v_policy_comparison"]
    with pytest.raises(AnalysisException, match="evaluation"):
        catalog.ensure_views(spark, "gold")  # the jobs: a view that does not fit its tables is a bug
