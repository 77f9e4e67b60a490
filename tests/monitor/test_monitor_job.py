"""The monitor step on a hand-built lakehouse: all four tables written through publish_gold, rules that fire
recorded, a fail_run rule fails the step after writing, and a re-run for the same as-of changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from pyspark.sql.types import StructType

from lakehouse_inv.monitor.config import MonitoringConfig
from lakehouse_inv.monitor.job import AlertsFailedRun, run

AS_OF = dt.date(2025, 3, 31)
ORIGIN = AS_OF - dt.timedelta(days=28)


def _append(ctx, layer: str, table: str, rows: list[dict]) -> None:
    schema: StructType = ctx.spark.table(ctx.table(layer, table)).schema
    data = [tuple(r.get(f.name) for f in schema.fields) for r in rows]
    ctx.spark.createDataFrame(data, schema).write.format("delta").mode("append").saveAsTable(ctx.table(layer, table))


@pytest.fixture(scope="module")
def lakehouse(make_context):
    ctx = make_context(as_of=AS_OF, run_id="mon-1")
    ctx.catalog.ensure_tables(ctx.spark, "silver", ["stores", "store_product", "daily_demand", "quarantine"])
    ctx.catalog.ensure_tables(
        ctx.spark, "gold", ["job_runs", "demand_forecast", "forecast_accuracy", "policy_parameters", "orders"]
    )
    products = ["P01", "P02"]
    _append(ctx, "silver", "stores", [{"store_id": "S01"}])
    _append(
        ctx, "silver", "store_product", [{"store_id": "S01", "product_id": p, "department_id": "D1"} for p in products]
    )
    days = [AS_OF - dt.timedelta(days=d) for d in range(40)]
    _append(
        ctx,
        "silver",
        "daily_demand",
        [
            {"store_id": "S01", "product_id": p, "date": d, "units_sold": 2 if p == "P01" else 10, "revenue": 0.0,
             "transactions": 1, "stockout": False}
            for p in products for d in days
        ],
    )  # fmt: skip
    _append(
        ctx,
        "gold",
        "demand_forecast",
        [
            {"store_id": "S01", "product_id": p, "as_of": ORIGIN, "target_date": ORIGIN + dt.timedelta(days=h),
             "horizon_day": h, "mean": 2.0, "variance": 2.0, "p10": 1, "p50": 2, "p90": 3, "status": "ok"}
            for p in products for h in range(1, 36)
        ],
    )  # fmt: skip
    _append(
        ctx,
        "gold",
        "forecast_accuracy",
        [{"store_id": "S01", "product_id": p, "as_of": ORIGIN, "model": "auto", "mae": 1.0} for p in products],
    )
    _append(
        ctx,
        "silver",
        "quarantine",
        [{"target_table": "silver.sales", "record_id": f"r{i}", "errors": ["[units_positive] units=-1"],
          "_run_id": "mon-1"} for i in range(3)],
    )  # fmt: skip
    _append(
        ctx,
        "gold",
        "job_runs",
        [{"run_id": "mon-1", "job": "refine", "as_of": AS_OF, "started_at": dt.datetime(2025, 4, 1, 5),
          "duration_s": 10.0, "status": "succeeded", "rows_out": 97, "tables_json": json.dumps({"silver.sales": 97})}],
    )  # fmt: skip
    _append(
        ctx,
        "gold",
        "policy_parameters",
        [{"policy_id": "sq", "as_of": AS_OF, "store_id": "S01", "product_id": p, "policy_type": "sQ", "status": s}
         for p, s in (("P01", "optimal"), ("P02", "time_limit"))],
    )  # fmt: skip
    rules = [
        {"name": "quarantine", "kind": "quarantine_rate", "threshold": 0.01},
        {"name": "drift", "kind": "drift_share", "threshold": 0.2},
        {"name": "anomalies", "kind": "anomaly_count", "threshold": 5},
        {"name": "anomalies_many", "kind": "anomaly_count", "threshold": 50},
        {"name": "solver", "kind": "solver_non_optimal_share", "threshold": 0.05},
        {"name": "blocked", "kind": "orders_blocked_share", "threshold": 0.1},
    ]
    monitoring = MonitoringConfig(rules=rules, drift={"band": {"low": 0.5, "high": 1.5}})
    ctx.configs = {**ctx.configs, "monitoring": monitoring}
    ctx.first = run(ctx)
    return ctx


def test_monitor_writes_quality_drift_anomalies_and_alerts(lakehouse):
    ctx = lakehouse
    quality = {
        (r.table_name, r.check_name): (r.rows_checked, r.rows_failed)
        for r in ctx.read("gold", "data_quality").collect()
    }
    assert quality == {("silver.sales", "all"): (100, 3), ("silver.sales", "units_positive"): (100, 3)}
    drift = {(r.level, r.subject_id): (r.mae_ratio, r.drifted) for r in ctx.read("gold", "forecast_drift").collect()}
    # P01: sold 2 = forecast 2 -> ratio 0 (below the band); P02: sold 10 vs 2 -> MAE 8 vs 1 -> ratio 8
    assert drift[("series", "P01")] == (0.0, True) and drift[("series", "P02")] == (8.0, True)
    assert drift[("store", "ALL")] == (4.0, True)
    anomalies = ctx.read("gold", "demand_anomalies").collect()
    assert {(a.product_id, a.direction, a.excess_units, a.surprise) for a in anomalies} == {("P02", "above", 7.0, 3.5)}
    assert len(anomalies) == 7  # the lookback week
    alerts = {(a.rule, a.subject): a.value for a in ctx.read("gold", "alerts").collect()}
    assert alerts == {
        ("quarantine", "silver.sales"): 0.03,
        ("drift", "ALL"): 1.0,
        ("anomalies", "ALL"): 7.0,
        ("solver", "sq"): 0.5,
    }
    assert "Alerts of this run (4)" in ctx.first.report


def test_rerun_changes_nothing_and_a_fail_run_rule_fails_after_writing(lakehouse):
    ctx = lakehouse
    tables = ["data_quality", "forecast_drift", "demand_anomalies", "alerts"]
    before = {t: sorted(map(repr, ctx.read("gold", t).drop("_updated_at").collect())) for t in tables}
    run(ctx)
    assert {t: sorted(map(repr, ctx.read("gold", t).drop("_updated_at").collect())) for t in tables} == before
    failing = ctx.configs["monitoring"].model_copy(
        update={"rules": [*ctx.configs["monitoring"].rules[:1], ctx.configs["monitoring"].rules[0].model_copy(
            update={"name": "quarantine_stop", "fail_run": True, "severity": "critical"})]}
    )  # fmt: skip
    second = dataclasses.replace(ctx, run_id="mon-2", configs={**ctx.configs, "monitoring": failing})
    _append(
        second,
        "silver",
        "quarantine",
        [{"target_table": "silver.sales", "record_id": "x", "errors": ["[unique] d"], "_run_id": "mon-2"}],
    )
    with pytest.raises(AlertsFailedRun, match="quarantine_stop"):
        run(second)
    fired = {(a.rule, a.fails_run) for a in ctx.read("gold", "alerts").where("run_id = 'mon-2'").collect()}
    assert fired == {("quarantine", False), ("quarantine_stop", True)}
