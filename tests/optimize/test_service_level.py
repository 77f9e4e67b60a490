"""``--service-level α``: the critical-ratio mapping α = π / (π + h) to the missed-sale cost the policies optimize
with, applied to the item inputs of the optimize step, and the runner's check of the option."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest
from chispa import assert_approx_df_equality, assert_df_equality
from pyspark.sql import functions as F

from lakehouse_inv.optimize.config import PolicyConfig
from lakehouse_inv.optimize.features import policy_inputs
from lakehouse_inv.optimize.service_level import apply_service_level, missed_sale_cost
from lakehouse_inv.optimize.step import optimize_as_of
from lakehouse_inv.pipeline.options import RunOptions
from lakehouse_inv.pipeline.runner import main_for, make_context
from lakehouse_inv.ranges import SERVICE_LEVEL, SERVICE_LEVEL_DECIMALS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "store_id string, product_id string, h double, W double, pi double, life int, a double, unit_cost double"
ROWS = [("S01", "P01", 0.5, 3.0, 7.0, 3, 4.0, 2.0), ("S01", "P02", 0.2, 1.0, 9.0, None, 2.0, 0.8)]


@pytest.mark.parametrize(("holding", "alpha", "expected"), [(1.0, 0.5, 1.0), (0.5, 0.8, 2.0), (0.2, 0.99, 19.8)])
def test_missed_sale_cost_has_the_target_as_critical_ratio(holding: float, alpha: float, expected: float):
    pi = missed_sale_cost(holding, alpha)
    assert pi == pytest.approx(expected)
    assert pi / (pi + holding) == pytest.approx(alpha)


@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, -0.2])
def test_missed_sale_cost_rejects_a_level_outside_0_1(alpha: float):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        missed_sale_cost(1.0, alpha)


def test_service_level_option():
    def parsed(text):
        return RunOptions.from_text(service_level=text).service_level

    assert parsed("0.95") == 0.95
    assert parsed(" 0.5001 ") == 0.5001
    assert parsed(None) is None and parsed("") is None
    for bad in ["0.5", "0.9999", "1", "95", "0.3", "nan", "inf"]:
        with pytest.raises(ValueError, match=r"--service-level: \S+ is not a service level between 0.5 and 0.9999"):
            parsed(bad)
    with pytest.raises(ValueError, match="--service-level: not a number: 'high'"):
        parsed("high")
    with pytest.raises(ValueError, match=r"--service-level: 1\.2 is not a service level"):  # typed, as the dashboard
        RunOptions(service_level=1.2)
    low, high = SERVICE_LEVEL.inner(SERVICE_LEVEL_DECIMALS)  # the dashboard's input field
    assert (low, high) == (0.5001, 0.9998) and RunOptions(service_level=low) and RunOptions(service_level=high)


def test_applied_to_item_inputs_per_policy_type(spark):
    items = spark.createDataFrame(ROWS, SCHEMA)
    four = 0.8 / (1 - 0.8)
    expected_sq = spark.createDataFrame([(*r[:4], r[2] * four, *r[5:]) for r in ROWS], SCHEMA)
    expected_nv = spark.createDataFrame([(*r[:4], r[3] * four, *r[5:]) for r in ROWS], SCHEMA)
    for kind in ("sQ", "sQ_perishable", "RS"):
        assert_approx_df_equality(apply_service_level(items, 0.8, kind), expected_sq, 1e-12, ignore_row_order=True)
    assert_approx_df_equality(apply_service_level(items, 0.8, "nvbudget"), expected_nv, 1e-12, ignore_row_order=True)
    for kind in ("ceoq", "ww", "clsp"):  # no missed-sale cost in these models
        assert_df_equality(apply_service_level(items, 0.8, kind), items)
    assert_df_equality(apply_service_level(items, None, "sQ"), items)  # no override: the configured costs


def test_the_newsvendor_b_gets_the_target_critical_ratio(spark):
    items = (
        spark.createDataFrame(ROWS, SCHEMA)
        .withColumn("demand_variance", F.col("a"))
        .withColumn("is_perishable", F.lit(True))
    )
    policy = PolicyConfig(id="nv", type="nvbudget", partition_fields=["store_id"])
    storage = spark.createDataFrame([], "store_id string, storage_id string")
    inputs = policy_inputs(apply_service_level(items, 0.9, policy.type), items, storage, policy, horizon_days=7)
    ratios = {r.product_id: r.b / (r.b + r.h) for r in inputs.collect()}
    assert ratios == pytest.approx({"P01": 0.9, "P02": 0.9})
    configured = {
        r.product_id: r.b / (r.b + r.h) for r in policy_inputs(items, items, storage, policy, horizon_days=7).collect()
    }
    assert configured == pytest.approx({"P01": 7 / 10, "P02": 9 / 10})  # pi / (pi + W) without the override


def test_the_runner_rejects_a_bad_service_level_before_anything_runs(capsys: pytest.CaptureFixture):
    conf = str(ROOT / "conf")
    for steps in (None, ["optimize"]):
        assert main_for(steps, ["--service-level", "1.2", "--conf-dir", conf]) == 2
        assert "error: --service-level: 1.2 is not a service level" in capsys.readouterr().err
    args = argparse.Namespace(
        conf_dir=ROOT / "conf", env=None, as_of=None, run_id="r", full_refresh=False, service_level="0.97"
    )
    assert make_context(args).options == RunOptions(service_level=0.97)
    assert make_context(argparse.Namespace(**{**vars(args), "service_level": None})).options.service_level is None


def test_the_optimize_step_solves_and_records_the_overridden_pi(spark):
    """The step's wiring: the policy is solved with the service level's pi, and ``inputs_json`` shows it."""
    columns = (
        "store_id string, product_id string, supplier_id string, storage_id string, a double, demand_variance double, "
        "L int, h double, K double, pi double, W double, life int, unit_cost double, price double, moq double, "
        "max_qty double, multiple double, max_inventory double"
    )
    row = ("S01", "P01", "SUP1", "ST1", 3.0, 3.0, 4, 0.02, 40.0, 0.1, 2.0, None, 1.5, 3.0, None, None, None, None)
    items = spark.createDataFrame([row], columns)
    storage = spark.createDataFrame([("S01", "ST1")], "store_id string, storage_id string")
    policy = PolicyConfig(id="sq", type="sQ", partition_fields=["store_id"], objective="cost")  # pi as configured
    day = dt.date(2025, 1, 1)

    def solve(alpha: float | None):
        rows = optimize_as_of(
            [policy], items, items, storage, as_of=day, forecast_as_of=day, horizon_days=7, service_level=alpha
        )
        (result,) = rows.collect()
        return result.status, json.loads(result.inputs_json)["pi"], result.reorder_point

    status, configured_pi, configured_s = solve(None)
    assert (status, configured_pi) == ("optimal", 0.1)
    status, pi, s = solve(0.99)
    assert status == "optimal" and pi == pytest.approx(0.02 * 99)
    assert s > configured_s  # a missed sale now costs more than holding a unit 99 days: more safety stock
