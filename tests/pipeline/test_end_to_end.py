"""The whole DAG on a tiny simulated world: simulate -> ingest -> refine -> gold -> forecast -> backtest ->
optimize -> evaluate -> generate_orders -> monitor. (Daily increments against a full refresh:
tests/refine/test_hostile_landing.py.)"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lakehouse_inv.generate_orders.export import export_orders
from lakehouse_inv.lakehouse.catalog import table_names
from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import STEPS, resolve
from lakehouse_inv.refine.reconcile import unaccounted_rows
from lakehouse_inv.refine.tables import SPECS
from spark_settings import RERUN_MASTER, RERUN_PARTITIONS, TEST_SPARK_CONF

PROJECT_CONF = Path(__file__).resolve().parents[2] / "conf"
# tables with one row per run (keyed by run id): a re-run adds its own rows to them
PER_RUN = {"job_runs", "data_quality", "alerts"}

ALL_STEPS = list(STEPS)
QUIET = {"out": lambda *_: None}


def _run(ctx, steps):
    reports = run_steps(ctx, resolve(steps), **QUIET)
    assert all(r.ok for r in reports), [r.error for r in reports]
    return reports


def _snapshot(ctx) -> dict[str, list]:
    tables = [("silver", t) for t in table_names("silver")] + [
        ("gold", t) for t in table_names("gold") if t not in PER_RUN
    ]
    return {f"{layer}.{t}": sorted(map(repr, ctx.read(layer, t).collect())) for layer, t in tables}


@pytest.fixture(scope="module")
def ran(make_context):
    ctx = make_context(dirty_row_share=0.02)
    ctx.reports = _run(ctx, ALL_STEPS)
    return ctx


def test_dag_fills_every_layer_and_loses_no_row(ran):
    ctx = ran
    n_series, days = 2 * 4, ctx.simulator.days
    assert ctx.read("silver", "daily_demand").count() == n_series * days
    assert ctx.read("gold", "daily_sales").count() == n_series * days
    assert ctx.read("gold", "inventory_status").count() == 2 * days
    for table in SPECS:
        assert unaccounted_rows(ctx, table).count() == 0, (
            f"bronze rows of silver.{table} neither in silver nor quarantine"
        )
    for view in ("v_weekly_store_sales", "v_stockouts_last_28d", "v_data_quality", "v_inventory_health"):
        assert ctx.read("gold", view).count() > 0, view
    reasons = [r.error for r in ctx.read("silver", "quarantine").collect()]
    assert reasons and all(e.startswith("[") for e in reasons)
    assert any("[unique] duplicate" in e for e in reasons)
    runs = ctx.read("gold", "job_runs").collect()
    assert sorted(r.job for r in runs) == sorted(ALL_STEPS) and {r.status for r in runs} == {"succeeded"}
    for table in ("data_quality", "alerts", "forecast_drift", "demand_anomalies"):
        ctx.read("gold", table).count()  # the monitoring tables exist after a run, possibly empty
    assert ctx.read("gold", "data_quality").where("table_name = 'silver.sales'").count() > 0


def test_forecasts_policies_orders_and_metrics_reach_gold(ran):
    ctx = ran
    n_series, horizon = 2 * 4, ctx.configs["forecast"].horizon
    assert ctx.read("gold", "demand_forecast").count() == n_series * horizon
    params = ctx.read("gold", "policy_parameters").toPandas()
    assert set(params["policy_id"]) == {
        p.id for p in ctx.configs["policies"].active if params["policy_id"].eq(p.id).any()
    }
    assert params["status"].eq("optimal").mean() > 0.9
    orders = ctx.read("gold", "orders").toPandas()
    assert not orders.empty and set(orders["status"]) <= {"placed", "adjusted", "blocked"}
    assert (orders.loc[orders["status"] == "blocked", "quantity"] == 0).all()
    metrics = ctx.read("gold", "policy_metrics").toPandas()
    assert {"baseline", "baseline_weekly_cover", "last_week_sales"} <= set(metrics["policy_id"])
    assert set(metrics["period"]) == {"last_week", "last_month", "last_quarter", "horizon"}
    assert set(metrics["evaluation"]) == {"replay"} and metrics["profit"].notna().all()
    assert (metrics.loc[metrics["policy_id"] == "baseline", "profit_improvement"].fillna(0) == 0).all()
    levels = ctx.read("gold", "inventory_levels")
    assert levels.where("on_hand_end < 0").count() == 0
    for view in ("v_policy_comparison", "v_order_book", "v_forecast_vs_actual"):
        assert ctx.read("gold", view).count() > 0, view
    evaluated = next(r.result for r in ctx.reports if r.step == "evaluate")
    assert "Replay (hindsight)" in evaluated.report and "baseline" in evaluated.report
    assert "Walk-forward skipped" in evaluated.report  # 14 days: too short for a forecast before the window
    assert evaluated.message == "evaluated: replay" and any(s.startswith("walk_forward:") for s in evaluated.skipped)


def test_orders_export_to_csv_by_store_and_dates(ran, tmp_path):
    ctx = ran
    output = tmp_path / "orders.csv"
    start = ctx.as_of - dt.timedelta(days=30)
    written, unknown = export_orders(ctx, ["S01", "S77"], start, ctx.as_of, None, output)
    exported = pd.read_csv(output)
    s01 = ctx.read("gold", "orders").where(f"store_id = 'S01' AND order_date >= DATE'{start}'")
    # by default the recommended orders only: at most one per item and day
    recommended = s01.where("recommended")
    assert written == len(exported) == recommended.count() and unknown == ["S77"]
    assert recommended.groupBy("product_id", "order_date").count().where("count > 1").isEmpty()
    assert list(exported.columns)[:3] == ["order_id", "policy_id", "store_id"] and set(exported["store_id"]) <= {"S01"}
    policies = sorted(r.policy_id for r in s01.select("policy_id").distinct().collect())
    written, _ = export_orders(ctx, ["S01"], start, ctx.as_of, policies, output)
    assert written == s01.count()


def _overlay(ctx, root: Path, pipeline: dict) -> Path:
    """A configuration folder whose ``rerun`` overlay reproduces ``ctx``'s world, with ``pipeline`` on top."""
    conf = root / "conf"
    (conf / "rerun").mkdir(parents=True)
    (conf / "base").symlink_to(PROJECT_CONF / "base", target_is_directory=True)
    settings = {**ctx.pipeline.model_dump(mode="json"), **pipeline}
    (conf / "rerun" / "pipeline.yml").write_text(yaml.safe_dump(settings))
    (conf / "rerun" / "simulator.yml").write_text(yaml.safe_dump(ctx.simulator.model_dump(mode="json")))
    return conf


def test_rerunning_the_same_as_of_on_two_cores_and_other_shuffle_partitions_leaves_tables_identical(ran, tmp_path):
    """Re-running every step for the same ``--as-of`` leaves every silver and gold table identical, audit columns
    included. The re-run is a new process on ``local[2]`` with 3 shuffle partitions and another hash seed (this
    session: ``local[1]``, 1): floating-point sums depend on how rows are split over tasks, so a value that depends
    on partitioning, task order, the clock or dict order fails here. One re-run covers both cases, the same
    configuration being the special case of no change (a second re-run of the DAG cost the suite 100 s)."""
    before = _snapshot(ran)
    warehouse = ran.spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:")
    conf = _overlay(
        ran,
        tmp_path,
        {
            "warehouse_dir": warehouse,
            "spark_master": RERUN_MASTER,
            "spark_conf": {**TEST_SPARK_CONF, **RERUN_PARTITIONS, "spark.driver.memory": "1g"},
        },
    )
    steps = ",".join(s for s in ALL_STEPS if s != "simulate")
    command = [sys.executable, "-m", "lakehouse_inv.cli", "run", "--steps", steps, "--as-of", str(ran.as_of)]
    # --force: evaluate and backtest recompute too (their schedules would skip a second run of the same day)
    command += ["--conf-dir", str(conf), "--env", "rerun", "--run-id", "one-core-run", "--force"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONHASHSEED": "7"}
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ran.spark.catalog.refreshByPath(warehouse)
    after = _snapshot(ran)
    assert after == before
