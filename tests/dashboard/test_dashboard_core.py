"""The dashboard's plain-Python parts, without a browser: the orders export rows, the policies.yml editor, the run
manager (one run at a time), the page tables, and the run scope the Run page passes to ``lakehouse-inv run``."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from chispa import assert_df_equality
from fixture_warehouse import ROOT, planner_metrics, recommendation_rows

from lakehouse_inv.config import ConfigError
from lakehouse_inv.dashboard.runs import CLI_ENV, RunInProgress, RunManager, RunRequest, progress_lines
from lakehouse_inv.dashboard.settings import Settings, save_policies, validate_policies
from lakehouse_inv.dashboard.views import (
    card_values,
    items_per_policy,
    items_to_review,
    latest_cards,
    planner_summary,
    policies_overview,
    policy_levels,
)
from lakehouse_inv.generate_orders.selection import EXPORT_COLUMNS, orders_csv, select_order_rows
from lakehouse_inv.pipeline.configs import load_configs
from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.pipeline.options import RunOptions
from lakehouse_inv.pipeline.runner import main_for
from lakehouse_inv.pipeline.scope import restrict, scope_sql


def _orders(dates_as_objects: bool) -> pd.DataFrame:
    rows = [
        ("b", "sQ", "S02", "P01", dt.date(2025, 12, 2), None, "placed"),
        ("a", "sQ", "S01", "P02", dt.date(2025, 12, 3), dt.date(2025, 12, 5), "adjusted"),
        ("c", "RS", "S01", "P01", dt.date(2025, 12, 3), dt.date(2025, 12, 6), "blocked"),
        ("d", "RS", "S01", "P01", dt.date(2025, 12, 9), dt.date(2025, 12, 11), "placed"),
    ]
    frame = pd.DataFrame(
        [
            {
                "order_id": o,
                "policy_id": pol,
                "store_id": s,
                "product_id": p,
                "supplier_id": "X",
                "order_date": d,
                "quantity": 3.0,
                "unit_cost": 1.5,
                "order_value": 4.5,
                "expected_arrival_date": arrive,
                "status": status,
                "reason": None,
                "_run_id": "r",
            }
            for o, pol, s, p, d, arrive, status in rows
        ]
    )
    if not dates_as_objects:
        for column in ("order_date", "expected_arrival_date"):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def test_order_rows_filter_sort_and_csv_are_the_same_for_spark_and_deltalake_frames():
    # Spark's toPandas gives datetime.date objects, the dashboard's reader datetime64: same rows, same CSV
    spark_like = select_order_rows(_orders(True), ["S01", "S02"], dt.date(2025, 12, 2), dt.date(2025, 12, 3))
    delta_like = select_order_rows(_orders(False), ["S01", "S02"], dt.date(2025, 12, 2), dt.date(2025, 12, 3))
    assert list(spark_like["order_id"]) == ["c", "a", "b"]  # store, date, policy, product
    assert list(spark_like.columns) == EXPORT_COLUMNS
    assert orders_csv(spark_like) == orders_csv(delta_like)
    lines = orders_csv(spark_like).splitlines()
    assert lines[1] == "c,RS,S01,P01,X,2025-12-03,3.0,1.5,4.5,2025-12-06,blocked,"
    assert lines[3].endswith("2025-12-02,3.0,1.5,4.5,,placed,")  # no expected arrival: empty field
    only_rs = select_order_rows(_orders(True), ["S01"], dt.date(2025, 12, 1), dt.date(2025, 12, 31), ["RS"])
    assert list(only_rs["order_id"]) == ["c", "d"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "base").mkdir()
    for file in (ROOT / "conf" / "base").glob("*.yml"):
        (tmp_path / "base" / file.name).write_bytes(file.read_bytes())
    return Settings(tmp_path, None)


def test_invalid_policies_upload_names_the_field_and_writes_nothing(settings: Settings):
    original = settings.policies_path.read_bytes()
    bad = original.replace(b"partition_fields: [store_id, storage_id]", b"partition_fields: [storage_id]", 1)
    assert bad != original
    with pytest.raises(ConfigError, match=r"policies\.yml.*\n.*policies\.0\.partition_fields.*store_id"):
        save_policies(bad, settings)
    with pytest.raises(ConfigError, match="not valid YAML"):
        save_policies(b"policies: [", settings)
    too_long = original.replace(b"planning_horizon_days: 28", b"planning_horizon_days: 400")
    with pytest.raises(ConfigError, match=r"planning_horizon_days \(400\) exceeds forecast.yml horizon"):
        save_policies(too_long, settings)
    assert settings.policies_path.read_bytes() == original
    assert sorted(p.name for p in settings.policies_path.parent.iterdir()) == sorted(
        f.name for f in (ROOT / "conf" / "base").glob("*.yml")
    )


def test_a_broken_policies_file_can_be_replaced(settings: Settings):
    good = settings.policies_path.read_bytes()
    settings.policies_path.write_bytes(b"policies: []\nplanning_horizon_days: -1\n")
    with pytest.raises(ConfigError):
        settings.load()
    save_policies(good, settings)
    assert settings.load()["policies"].planning_horizon_days == 28


def test_valid_policies_upload_keeps_the_previous_version_and_is_what_the_jobs_load(settings: Settings):
    original = settings.policies_path.read_bytes()
    edited = original.replace(b"planning_horizon_days: 28", b"planning_horizon_days: 14")
    policies, backup = save_policies(edited, settings, now=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert policies.planning_horizon_days == 14
    assert backup.name == "policies.yml.20260102T030405000000.bak"
    assert backup.read_bytes() == original
    assert load_configs(settings.conf_dir)["policies"].planning_horizon_days == 14
    assert validate_policies(edited.decode(), settings) == policies


def test_one_run_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    script = tmp_path / "fake_cli.py"
    script.write_text(
        "import sys, time\nprint('lakehouse_inv run X  steps: optimize', flush=True)\n"
        "print('[1/1] optimize: ...', flush=True)\nprint('Spark noise')\ntime.sleep(1.5)\n"
        "print('    done in 1.5s: 1 rows in, 1 written, 0 quarantined')\nprint(' '.join(sys.argv[1:]))\n"
    )
    monkeypatch.setenv(CLI_ENV, f"{sys.executable} {script}")
    manager = RunManager(tmp_path / "state")
    first = manager.launch(RunRequest(["S01"], ["P01", "P02"], service_level=0.95), tmp_path / "conf", "demo")
    with pytest.raises(RunInProgress, match=f"run {first.run_id} .* is still running"):
        manager.launch(RunRequest(), tmp_path / "conf")
    deadline = time.monotonic() + 30
    while manager.current().running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert manager.current().status == "succeeded"
    log = manager.log()
    assert (
        f"run --steps optimize,generate_orders --stores S01 --products P01,P02 --service-level 0.95 "
        f"--run-id {first.run_id}" in log
    )
    assert progress_lines(log) == [
        "lakehouse_inv run X  steps: optimize",
        "[1/1] optimize: ...",
        "    done in 1.5s: 1 rows in, 1 written, 0 quarantined",
    ]
    second = manager.launch(RunRequest(evaluate=True), tmp_path / "conf")  # the first finished: allowed
    assert second.run_id != first.run_id and "optimize,generate_orders,evaluate" in " ".join(second.command)


def test_a_failed_run_keeps_its_error_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    script = tmp_path / "failing_cli.py"
    script.write_text("import sys\nprint('[1/2] optimize: ...')\nsys.exit('error: gold.demand_forecast is empty')\n")
    monkeypatch.setenv(CLI_ENV, f"{sys.executable} {script}")
    manager = RunManager(tmp_path / "state")
    manager.launch(RunRequest(), tmp_path / "conf")
    deadline = time.monotonic() + 30
    while manager.current().running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert manager.current().status == "failed (exit code 1)"
    assert manager.log() == "[1/2] optimize: ...\n"
    assert manager.errors() == "error: gold.demand_forecast is empty\n"


def test_the_real_runner_accepts_the_run_pages_arguments(tmp_path: Path, capsys: pytest.CaptureFixture):
    # an unknown option would make argparse exit; a bad --conf-dir is reported after parsing, with exit code 2
    arguments = [*RunRequest(["S01"], ["P01"], evaluate=True, service_level=0.9).arguments(), "--run-id", "x"]
    assert main_for(None, [*arguments, "--conf-dir", str(tmp_path)]) == 2
    assert "policies" in capsys.readouterr().err
    assert main_for(None, ["--stores", "S01;drop", "--conf-dir", str(ROOT / "conf")]) == 2
    assert "--stores: not an id: 'S01;drop'" in capsys.readouterr().err
    # the Run page builds the same options, so it refuses what the command line would, before launching
    with pytest.raises(ValueError, match="--service-level: 1 is not a service level"):
        RunRequest(["S01"], service_level=1.0)
    with pytest.raises(ValueError, match="--stores: not an id: 'S01;drop'"):
        RunRequest(["S01;drop"])


def test_run_scope_restricts_rows_and_the_replace_scope(spark):
    ctx = JobContext(configs={}, conf_dir=Path("conf"), as_of=dt.date(2025, 1, 1), run_id="r")
    frame = spark.createDataFrame(
        [("S01", "P01"), ("S01", "P02"), ("S02", "P01")], "store_id string, product_id string"
    )
    assert_df_equality(restrict(frame, ctx), frame)
    assert scope_sql(ctx) == ""
    ctx.options = RunOptions.from_text(stores=" S01 ,", products="P02,P01")
    assert ctx.options.products == ("P01", "P02")
    expected = spark.createDataFrame([("S01", "P01"), ("S01", "P02")], frame.schema)
    assert_df_equality(restrict(frame, ctx), expected, ignore_row_order=True)
    assert scope_sql(ctx) == " AND t.store_id IN ('S01') AND t.product_id IN ('P01', 'P02')"


def test_page_tables():
    configs = load_configs(ROOT / "conf")
    params = pd.DataFrame(
        {
            "policy_id": ["sQ", "sQ", "sQ", "RS"],
            "as_of": pd.to_datetime(["2025-12-01", "2025-12-08", "2025-12-08", "2025-12-08"]),
            "store_id": ["S01"] * 4,
            "product_id": ["P01", "P01", "P02", "P01"],
            "partition_key": ["a", "b", "b", "c"],
            "status": ["error", "optimal", "feasible", "optimal"],
            "solve_ms": [9000.0, 1500.0, 1500.0, 250.0],
            "reorder_point": [1.0, 4.0, 5.0, None],
            "order_quantity": [1.0, 10.0, 11.0, None],
            "order_up_to": [None, None, None, 30.0],
            "decision_json": [None] * 4,
        }
    )
    overview = policies_overview(configs["policies"], params, None).set_index("id")
    assert overview.loc["sQ", "statuses"] == "feasible: 1, optimal: 1"  # the newest optimization only
    assert overview.loc["sQ", "solve time (s)"] == 1.5  # one partition, counted once
    assert overview.loc["nvbudget", "statuses"] == ""
    # a daily plan re-solved on its order days only: its latest optimization holds those partitions only
    assert overview.loc["ww", "replan"] == "order_days" and overview.loc["sQ", "replan"] == "all"
    assert list(overview.index) == [p.id for p in configs["policies"].policies]
    assert policy_levels(params, "sQ", "S01", "P01") == {"s (reorder point)": 4.0, "s + Q": 14.0}
    assert policy_levels(params, "RS", "S01", "P01") == {"S (order-up-to)": 30.0}
    metrics = pd.DataFrame(
        {
            "policy_id": ["sQ", "sQ", "RS"],
            "as_of": pd.to_datetime(["2025-12-01", "2025-12-08", "2025-12-01"]),
            "total_revenue": [1.0, 2000.0, 3.0],
            "total_revenue_improvement": [0.5, -0.031, None],
            "fill_rate": [0.5, 0.934, 0.7],
        }
    )
    cards = latest_cards(metrics)
    assert list(zip(cards["policy_id"], cards["total_revenue"], strict=True)) == [("RS", 3.0), ("sQ", 2000.0)]
    values = dict((label, (value, delta)) for label, value, delta in card_values(cards.iloc[1]))
    assert values["TR"] == ("2,000", "-3.1%")
    assert values["Fill rate"] == ("93.4%", None)
    assert values["NSE"] == ("–", None)


def test_planner_page_tables():
    metrics = pd.DataFrame(planner_metrics())
    metrics["as_of"] = pd.to_datetime(metrics["as_of"])
    older = metrics.assign(as_of=metrics["as_of"] - pd.Timedelta(days=7), profit=0.0)  # only the newest counts
    summary = planner_summary(pd.concat([older, metrics])).set_index("segment")
    assert list(summary.index) == ["all", "perishable", "non_perishable"]
    whole = summary.loc["all"]
    assert (whole["profit"], whole["baseline profit"], whole["ceiling"]) == (1500.0, 1000.0, 3000.0)
    assert whole["gain captured"] == 0.25 and whole["waste"] == 0.03 and whole["baseline waste"] == 0.05
    assert whole["gain vs baseline"] == "+500 (+2.5% of revenue)"
    assert planner_summary(metrics[metrics["policy_id"] != "recommended"]).empty
    recommendation = pd.DataFrame(recommendation_rows())
    per_policy = items_per_policy(recommendation)
    assert dict(zip(per_policy["policy_id"], per_policy["items"], strict=True)) == {"RS": 2, "baseline": 2, "sQ": 2}
    review = items_to_review(recommendation)
    assert list(zip(review["store"], review["product"], review["why"], strict=True)) == [
        ("S01", "P01", "loses to the baseline"),
        ("S02", "P02", "misses its service level"),
    ]
    assert review.loc[0, "vs baseline"] == -20.0


def test_profit_card_shows_money_and_share_of_revenue_never_a_percentage_of_a_loss():
    row = pd.Series({"profit": -50.0, "profit_gain": 150.0, "profit_gain_share": 0.015, "profit_improvement": None})
    values = {label: (value, delta) for label, value, delta in card_values(row)}
    assert values["Profit"] == ("-50", "+150 (+1.5% of revenue)")
