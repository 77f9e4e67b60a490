"""A tiny hand-made warehouse for the analyst views and the SQL endpoint: the tables the views read, created from
their DDL (gold/*.sql, silver/*.sql) in their own schemas of the test session's warehouse, with a few rows each.

Latest day of data: 2025-03-10 (sales, stock counts, orders); forecasts issued 2025-03-05 and 2025-03-08;
evaluations on 2025-03-03 and 2025-03-10.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyspark.sql import SparkSession

from lakehouse_inv.config import SchemaNames
from lakehouse_inv.lakehouse.catalog import Catalog

D = dt.date
LATEST = D(2025, 3, 10)
SILVER_TABLES = ["stores", "products", "suppliers", "inventory_snapshot"]
GOLD_TABLES = ["daily_sales", "demand_forecast", "orders", "policy_metrics"]
ANALYST_VIEWS = ["v_forecast_vs_actual", "v_inventory_health", "v_order_book", "v_policy_comparison"]


def _units(store: str, product: str, day: dt.date) -> int:
    """Deterministic, uneven sales: S02-P02 sells nothing (days of cover undefined)."""
    if (store, product) == ("S02", "P02"):
        return 0
    return (day.day * (2 if product == "P01" else 1) + (3 if store == "S02" else 0)) % 7


def sales_rows() -> list[dict[str, Any]]:
    rows = []
    names = {"S01": "North", "S02": "South", "P01": "Milk", "P02": "Rice"}
    days = [D(2025, 1, 5)] + [D(2025, 2, 20) + dt.timedelta(days=i) for i in range(19)]  # 2025-01-05: outside 28 days
    for store in ("S01", "S02"):
        for product in ("P01", "P02"):
            for day in days:
                units = _units(store, product, day)
                on_hand = 0 if (store, product) == ("S01", "P02") and day >= D(2025, 3, 9) else 10 + day.day % 5
                rows.append(
                    {
                        "store_id": store,
                        "product_id": product,
                        "date": day,
                        "store_name": names[store],
                        "product_name": names[product],
                        "is_perishable": product == "P01",
                        "units": units,
                        "revenue": units * 2.5,
                        "avg_price": 2.5,
                        "on_hand_end": on_hand,
                        "stockout_flag": on_hand == 0,
                        "lost_requests": 2 if on_hand == 0 else 0,
                    }
                )
    return rows


def forecast_rows() -> list[dict[str, Any]]:
    rows = []
    for as_of, last in ((D(2025, 3, 5), D(2025, 3, 12)), (D(2025, 3, 8), D(2025, 3, 12))):
        day = as_of + dt.timedelta(days=1)
        while day <= last:
            mean = 4.0 if as_of == D(2025, 3, 5) else 3.5
            rows.append(
                {
                    "store_id": "S01",
                    "product_id": "P01",
                    "as_of": as_of,
                    "target_date": day,
                    "horizon_day": (day - as_of).days,
                    "mean": mean,
                    "variance": 4.0,
                    "distribution": "negative_binomial",
                    "p10": 1 if as_of == D(2025, 3, 5) else 2,
                    "p50": 4,
                    "p90": 6 if as_of == D(2025, 3, 5) else 5,
                    "model": "arima_dow(1,0,1)",
                    "status": "ok",
                    "n_obs": 28,
                }
            )
            day += dt.timedelta(days=1)
    return rows


def order_rows() -> list[dict[str, Any]]:
    def order(policy, store, product, day, eta, status, quantity, reason=None):
        return {
            "order_id": f"{policy}-{store}-{product}-{day:%Y%m%d}",
            "policy_id": policy,
            "store_id": store,
            "product_id": product,
            "supplier_id": "SUP1" if product == "P01" else "SUP2",
            "order_date": day,
            "need": float(quantity),
            "quantity": float(quantity),
            "unit_cost": 1.5,
            "order_value": 1.5 * quantity,
            "lead_time_days": (eta - day).days,
            "expected_arrival_date": eta,
            "status": status,
            "reason": reason,
            "on_hand": 3.0,
            "on_order": 0.0,
            "inventory_position": 3.0,
            "parameters_as_of": D(2025, 3, 3),
            "recommended": True,
        }

    return [
        order("sQ", "S01", "P01", LATEST, D(2025, 3, 12), "placed", 12),  # open
        order("sQ", "S01", "P02", LATEST, D(2025, 3, 12), "blocked", 0, "max order 5 below MOQ 12"),  # recent
        order("RS", "S02", "P01", D(2025, 3, 1), D(2025, 3, 3), "adjusted", 24, "raised to MOQ 24"),  # recent
        order("RS", "S02", "P02", D(2025, 2, 20), D(2025, 3, 15), "placed", 40),  # old but still open
        order("RS", "S01", "P01", D(2025, 2, 1), D(2025, 2, 3), "placed", 8),  # old, arrived: not in the book
    ]


def metric_rows() -> list[dict[str, Any]]:
    rows = []
    for as_of in (D(2025, 3, 3), LATEST):
        for store in ("ALL", "S01"):
            for policy, cost in (("sQ", 80.0), ("RS", 95.0), ("baseline", 100.0)):
                cost = cost + (5.0 if as_of == LATEST else 0.0) + (0.5 if store == "S01" else 0.0)
                base = 100.0 + (5.0 if as_of == LATEST else 0.0) + (0.5 if store == "S01" else 0.0)
                rows.append(
                    {
                        "as_of": as_of,
                        "evaluation": "replay",
                        "policy_id": policy,
                        "store_id": store,
                        "segment": "all",
                        "period": "last_week",
                        "period_start": as_of - dt.timedelta(days=6),
                        "period_end": as_of,
                        "items": 2,
                        "n_days": 7,
                        "total_cost": cost,
                        "total_cost_baseline": base,
                        "total_cost_improvement": round((base - cost) / base, 6),
                        "fill_rate": 0.9 if policy != "baseline" else 0.8,
                        "fill_rate_baseline": 0.8,
                        "profit": 200.0 - cost,
                        "profit_baseline": 200.0 - base,
                        "baseline_id": "baseline",
                    }
                )
    return rows


def stock(store: str, product: str, day: dt.date, expiry: dt.date | None, units: int) -> dict[str, Any]:
    return {"store_id": store, "product_id": product, "snapshot_date": day, "expiry_date": expiry, "units": units}


def build(spark: SparkSession, prefix: str) -> Catalog:
    """Create the tables in schemas ``<prefix>_silver`` / ``<prefix>_gold``, fill them, create the views."""
    catalog = Catalog(SchemaNames(bronze=f"{prefix}_bronze", silver=f"{prefix}_silver", gold=f"{prefix}_gold"))
    catalog.ensure_tables(spark, "silver", SILVER_TABLES)
    catalog.ensure_tables(spark, "gold", GOLD_TABLES)
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {
        ("silver", "stores"): [{"store_id": "S01", "store_name": "North"}, {"store_id": "S02", "store_name": "South"}],
        ("silver", "products"): [
            {"product_id": "P01", "product_name": "Milk", "shelf_life_days": 6, "is_perishable": True},
            {"product_id": "P02", "product_name": "Rice", "is_perishable": False},
        ],
        ("silver", "suppliers"): [
            {"supplier_id": "SUP1", "supplier_name": "Dairy Co"},
            {"supplier_id": "SUP2", "supplier_name": "Grain Ltd"},
        ],
        ("silver", "inventory_snapshot"): [
            stock("S01", "P01", LATEST, D(2025, 3, 11), 4),
            stock("S01", "P01", LATEST, D(2025, 3, 12), 1),
            stock("S01", "P01", LATEST, D(2025, 3, 15), 6),
            stock("S01", "P02", LATEST, None, 0),
            stock("S02", "P01", LATEST, D(2025, 3, 12), 0),
            stock("S02", "P01", D(2025, 3, 9), D(2025, 3, 10), 3),
        ],
        ("gold", "daily_sales"): sales_rows(),
        ("gold", "demand_forecast"): forecast_rows(),
        ("gold", "orders"): order_rows(),
        ("gold", "policy_metrics"): metric_rows(),
    }
    for (layer, table), values in rows.items():
        name = catalog.name(layer, table)
        schema = spark.table(name).schema
        records = [tuple(row.get(field.name) for field in schema.fields) for row in values]
        spark.createDataFrame(records, schema).writeTo(name).append()
    catalog.ensure_views(spark, "gold")
    return catalog
