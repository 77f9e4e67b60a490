"""A small hand-made warehouse for the dashboard tests: Delta tables written with ``deltalake`` (no JVM) whose
schemas are parsed from the tables' own DDL files (``gold/*.sql``, ``silver/*.sql``), so they match the contract."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

ROOT = Path(__file__).resolve().parents[2]
ARROW_TYPES = {
    "STRING": pa.string(),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "BIGINT": pa.int64(),
    "INT": pa.int32(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
}
_COLUMN = re.compile(r"^\s+(\w+)\s+(STRING|DATE|DOUBLE|BIGINT|INT|BOOLEAN|TIMESTAMP)\b(\s+NOT NULL)?", re.M)

AS_OF = dt.date(2025, 12, 31)
STORES = ["S01", "S02"]
PRODUCTS = ["P01", "P02", "P03"]
DAYS = [AS_OF - dt.timedelta(days=n) for n in range(27, -1, -1)]
STAMP = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)


def ddl_schema(layer: str, table: str) -> pa.Schema:
    text = (ROOT / layer / f"{table}.sql").read_text()
    return pa.schema(
        [pa.field(name, ARROW_TYPES[kind], nullable=not not_null) for name, kind, not_null in _COLUMN.findall(text)]
    )


def write_table(warehouse: Path, layer: str, table: str, rows: list[dict]) -> Path:
    """``rows`` may leave out nullable columns; unknown columns are an error (the fixture must follow the DDL)."""
    schema = ddl_schema(layer, table)
    unknown = {key for row in rows for key in row} - set(schema.names)
    assert not unknown, f"{layer}.{table}: columns not in the DDL: {sorted(unknown)}"
    data = {name: [row.get(name) for row in rows] for name in schema.names}
    path = warehouse / f"{layer}.db" / table
    write_deltalake(str(path), pa.Table.from_pydict(data, schema=schema), mode="overwrite")
    return path


def orders_rows(run_id: str = "fixture") -> list[dict]:
    rows = []
    statuses = [("placed", None), ("adjusted", "raised to MOQ 12"), ("blocked", "max order 5 below MOQ 12")]
    for n, day in enumerate(DAYS[-10:]):
        for s, store in enumerate(STORES):
            for p, product in enumerate(PRODUCTS):
                if (n + s + p) % 2:
                    continue
                status, reason = statuses[(n + p) % 3]
                quantity = 0.0 if status == "blocked" else float(12 + n + p)
                policy = "sQ" if p < 2 else "RS"
                rows.append(
                    {
                        "order_id": f"{policy}-{store}-{product}-{day:%Y%m%d}",
                        "policy_id": policy,
                        "store_id": store,
                        "product_id": product,
                        "supplier_id": "SUP1",
                        "order_date": day,
                        "need": quantity,
                        "quantity": quantity,
                        "unit_cost": 2.5 + p,
                        "order_value": quantity * (2.5 + p),
                        "lead_time_days": 2,
                        "expected_arrival_date": day + dt.timedelta(days=2),
                        "status": status,
                        "reason": reason,
                        "recommended": True,
                        "_run_id": run_id,
                        "_updated_at": STAMP,
                    }
                )
    return rows


def build(warehouse: Path) -> None:
    """Two stores x three products, four weeks of gold data ending 2025-12-31."""
    write_table(
        warehouse,
        "silver",
        "stores",
        [
            {
                "store_id": s,
                "store_name": f"Store {s}",
                "avg_traffic": 900.0 + 100 * i,
                "open_hour": 7,
                "close_hour": 21,
            }
            for i, s in enumerate(STORES)
        ],
    )
    write_table(
        warehouse,
        "silver",
        "store_storage",
        [
            {"store_id": s, "storage_id": st, "storage_name": name, "storage_volume": 50.0}
            for s in STORES
            for st, name in (("ST1", "Shelf"), ("ST2", "Cooler"))
        ],
    )
    write_table(
        warehouse,
        "silver",
        "departments",
        [
            {"store_id": s, "department_id": d, "department_name": name}
            for s in STORES
            for d, name in (("D1", "Dairy"), ("D2", "Bakery"))
        ],
    )
    write_table(
        warehouse,
        "silver",
        "store_product",
        [{"store_id": s, "product_id": p, "price": 4.0, "max_inventory": 60} for s in STORES for p in PRODUCTS],
    )
    write_table(
        warehouse,
        "silver",
        "store_product_supplier",
        [
            {"store_id": s, "product_id": p, "supplier_id": "SUP1", "lead_time_days": 2, "is_primary": True}
            for s in STORES
            for p in PRODUCTS
        ],
    )
    sales = []
    for s, store in enumerate(STORES):
        for p, product in enumerate(PRODUCTS):
            for n, day in enumerate(DAYS):
                stock = (n * 7 + p * 5 + s * 3) % 23
                sales.append(
                    {
                        "store_id": store,
                        "product_id": product,
                        "date": day,
                        "units": 3 + (n + p) % 5,
                        "revenue": 4.0 * (3 + (n + p) % 5),
                        "on_hand_end": stock,
                        "stockout_flag": stock == 0,
                    }
                )
    write_table(warehouse, "gold", "daily_sales", sales)
    status = []
    for store in STORES:
        for day in DAYS:
            items = [r for r in sales if r["store_id"] == store and r["date"] == day]
            units = sum(r["on_hand_end"] for r in items)
            status.append(
                {
                    "store_id": store,
                    "date": day,
                    "on_hand_units": units,
                    "on_hand_value": 2.5 * units,
                    "items": len(items),
                    "items_out_of_stock": sum(r["on_hand_end"] == 0 for r in items),
                }
            )
    write_table(warehouse, "gold", "inventory_status", status)
    forecast = [
        {
            "store_id": s,
            "product_id": p,
            "as_of": AS_OF,
            "target_date": AS_OF + dt.timedelta(days=h),
            "horizon_day": h,
            "mean": 5.0,
            "p10": 2,
            "p50": 5,
            "p90": 8,
            "status": "ok",
        }
        for s in STORES
        for p in PRODUCTS
        for h in range(1, 15)
    ]
    write_table(warehouse, "gold", "demand_forecast", forecast)
    params = []
    for s in STORES:
        for p in PRODUCTS:
            params.append(
                {
                    "policy_id": "sQ",
                    "as_of": dt.date(2025, 12, 29),
                    "store_id": s,
                    "product_id": p,
                    "policy_type": "sQ",
                    "partition_key": f"store_id={s}/storage_id=ST1",
                    "status": "optimal",
                    "reorder_point": 9.0,
                    "order_quantity": 20.0,
                    "solve_ms": 40.0,
                    "_updated_at": STAMP,
                }
            )
            params.append(
                {
                    "policy_id": "RS",
                    "as_of": dt.date(2025, 12, 29),
                    "store_id": s,
                    "product_id": p,
                    "policy_type": "RS",
                    "partition_key": f"store_id={s}/product_id={p}",
                    "status": "optimal" if p != "P03" else "time_limit",
                    "review_period": 7.0,
                    "order_up_to": 35.0,
                    "solve_ms": 15.0,
                }
            )
    write_table(warehouse, "gold", "policy_parameters", params)
    write_table(
        warehouse,
        "gold",
        "job_runs",
        [
            {
                "run_id": "20251231-fixture",
                "job": "optimize",
                "as_of": AS_OF,
                "started_at": STAMP,
                "duration_s": 12.5,
                "status": "succeeded",
            }
        ],
    )
    metrics = []
    for week, as_of in enumerate([AS_OF - dt.timedelta(days=14), AS_OF - dt.timedelta(days=7), AS_OF]):
        for store in ["ALL", *STORES]:
            for period in ("last_week", "last_month", "last_quarter"):
                for k, policy in enumerate(("sQ", "RS", "baseline")):
                    value = 1000.0 + 100 * week + 10 * k + (50 if store == "S02" else 0)
                    metrics.append(
                        {
                            "as_of": as_of,
                            "policy_id": policy,
                            "store_id": store,
                            "period": period,
                            "total_revenue": value,
                            "normalized_revenue": value / 3000,
                            "stockout_events": 10.0 - week - k,
                            "turnover_ratio": 4.0 + 0.1 * k,
                            "fill_rate": 0.9 + 0.01 * week,
                            "total_cost": 500.0 - 10 * week,
                            "baseline_id": None if policy == "baseline" else "baseline",
                            "total_revenue_improvement": None if policy == "baseline" else 0.02 * (k + 1),
                            "fill_rate_improvement": None if policy == "baseline" else 0.01,
                            "total_cost_improvement": None if policy == "baseline" else 0.05,
                        }
                    )
    metrics = [
        row | {"evaluation": "walk_forward", "segment": "all", "profit": row["total_revenue"] * 0.1} for row in metrics
    ]
    metrics += planner_metrics()
    write_table(warehouse, "gold", "policy_metrics", metrics)
    write_table(warehouse, "gold", "policy_recommendation", recommendation_rows())
    write_table(warehouse, "gold", "orders", orders_rows())


def planner_metrics() -> list[dict]:
    """The walk-forward evaluation window (period ``horizon``) chain-wide per segment: the recommended portfolio
    and the baseline, with the ceiling: all = 1,500 profit vs baseline 1,000 and ceiling 3,000 (25 % captured)."""
    rows = []
    for segment, scale in (("all", 1.0), ("perishable", 0.4), ("non_perishable", 0.6)):
        for policy, profit, fill, waste in (("recommended", 1500.0, 0.95, 0.03), ("baseline", 1000.0, 0.96, 0.05)):
            rows.append(
                {
                    "as_of": AS_OF,
                    "evaluation": "walk_forward",
                    "policy_id": policy,
                    "store_id": "ALL",
                    "segment": segment,
                    "period": "horizon",
                    "period_start": AS_OF - dt.timedelta(days=90),
                    "period_end": AS_OF,
                    "items": round(6 * scale),
                    "total_revenue": 20000.0 * scale,
                    "profit": profit * scale,
                    "fill_rate": fill,
                    "waste_rate": waste,
                    "baseline_id": "baseline",
                    "profit_baseline": 1000.0 * scale,
                    "fill_rate_baseline": 0.96,
                    "total_revenue_baseline": 20000.0 * scale,
                    "profit_gain": (profit - 1000.0) * scale,
                    "profit_gain_share": (profit - 1000.0) / 20000.0,
                    "profit_ceiling": 3000.0 * scale,
                    "gain_captured": (profit - 1000.0) / 2000.0,
                }
            )
    return rows


def recommendation_rows() -> list[dict]:
    """One recommendation per store-product: P01 on sQ (S01 loses to the baseline out of sample), P02 on RS (S02
    misses its 95 % target), P03 kept on the baseline."""
    rows = []
    for store in STORES:
        for product, policy in zip(PRODUCTS, ("sQ", "RS", "baseline"), strict=True):
            loses = store == "S01" and product == "P01"
            misses = store == "S02" and product == "P02"
            rows.append(
                {
                    "as_of": AS_OF,
                    "store_id": store,
                    "product_id": product,
                    "policy_id": policy,
                    "reason": "fixture",
                    "baseline_id": "baseline",
                    "service_level": 0.95,
                    "evaluation_profit": 80.0 if loses else 120.0,
                    "evaluation_fill_rate": 0.90 if misses else 0.97,
                    "baseline_evaluation_profit": 100.0,
                    "baseline_evaluation_fill_rate": 0.96,
                }
            )
    return rows
