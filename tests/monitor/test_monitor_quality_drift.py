"""gold.data_quality and gold.forecast_drift cores (pandas), plus their Spark inputs on tiny frames."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from lakehouse_inv.monitor.config import DriftConfig
from lakehouse_inv.monitor.drift import expected_mae, forecast_drift, series_errors
from lakehouse_inv.monitor.quality import data_quality, quarantine_failures, written_per_table

AS_OF = dt.date(2025, 6, 30)


def test_written_per_table_sums_silver_and_gold_over_steps():
    tables = [json.dumps({"bronze.sales": 9, "silver.sales": 90, "silver.quarantine": 3}), None, '{"silver.sales": 10}']
    assert written_per_table(tables) == {"silver.sales": 100}


def test_data_quality_rows_checked_failed_and_rate():
    failed = pd.DataFrame(
        [("silver.sales", "all", 5), ("silver.sales", "units_positive", 4), ("silver.sales", "unique", 2),
         ("silver.orders", "all", 1), ("silver.orders", "type", 1)],
        columns=["table_name", "check_name", "rows_failed"],
    )  # fmt: skip
    out = data_quality({"silver.sales": 95, "gold.daily_sales": 10}, failed, run_id="r1", as_of=AS_OF)
    got = {(r.table_name, r.check_name): (r.rows_checked, r.rows_failed, r.failure_rate) for r in out.itertuples()}
    assert got == {
        ("gold.daily_sales", "all"): (10, 0, 0.0),
        ("silver.orders", "all"): (1, 1, 1.0),
        ("silver.orders", "type"): (1, 1, 1.0),
        ("silver.sales", "all"): (100, 5, 0.05),
        ("silver.sales", "unique"): (100, 2, 0.02),
        ("silver.sales", "units_positive"): (100, 4, 0.04),
    }
    assert set(out["run_id"]) == {"r1"} and set(out["as_of"]) == {AS_OF}


def test_quarantine_failures_counts_records_per_check_of_the_run_only(spark):
    rows = [
        ("silver.sales", "a", ["[units_positive] units=-1 below minimum 1", "[type] x"], "r1"),
        ("silver.sales", "b", ["[units_positive] units=0 below minimum 1"], "r1"),
        ("silver.sales", "c", ["no bracket"], "r1"),
        ("silver.sales", "d", ["[units_positive] units=0"], "old"),
    ]
    q = spark.createDataFrame(rows, "target_table string, record_id string, errors array<string>, _run_id string")
    got = {(r.table_name, r.check_name): r.rows_failed for r in quarantine_failures(q, "r1").collect()}
    assert got == {
        ("silver.sales", "units_positive"): 2,
        ("silver.sales", "type"): 1,
        ("silver.sales", "unknown"): 1,
        ("silver.sales", "all"): 3,
    }


CONFIG = DriftConfig(window_days=28, min_days=14, band={"low": 0.5, "high": 1.5}, mae_floor=0.25)


def _stats(store, product, n_days, abs_error, error=0.0, actual=100.0, inside=20):
    origin = AS_OF - dt.timedelta(days=28)
    return dict(store_id=store, product_id=product, forecast_as_of=origin, n_days=n_days, abs_error=abs_error,
                error=error, actual=actual, inside_80=inside)  # fmt: skip


def test_drift_flags_series_outside_the_band_and_rolls_up():
    stats = pd.DataFrame(
        [
            _stats("S1", "P1", 28, 28.0),  # MAE 1.0 vs expected 1.0 -> ok
            _stats("S1", "P2", 28, 84.0),  # MAE 3.0 vs 1.0 -> drifted (worse)
            _stats("S1", "P3", 28, 5.6),  # MAE 0.2 vs max(0.1, floor 0.25) -> 0.8, ok thanks to the floor
            _stats("S1", "P4", 10, 50.0),  # too few days
            _stats("S2", "P1", 28, 28.0),  # no backtest
        ]
    )
    expected = pd.DataFrame(
        {"store_id": "S1", "product_id": ["P1", "P2", "P3", "P4"], "mae_expected": [1.0, 1.0, 0.1, 1.0]}
    )
    departments = pd.DataFrame(
        {
            "store_id": ["S1"] * 4 + ["S2"],
            "product_id": ["P1", "P2", "P3", "P4", "P1"],
            "department_id": ["D1", "D1", "D2", "D1", "D1"],
        }
    )
    out = forecast_drift(stats, expected, departments, CONFIG, as_of=AS_OF)
    series = out[out["level"] == "series"].set_index(["store_id", "subject_id"])
    assert series.loc[("S1", "P1"), "mae_ratio"] == pytest.approx(1.0) and not series.loc[("S1", "P1"), "drifted"]
    assert series.loc[("S1", "P2"), "mae_ratio"] == pytest.approx(3.0) and series.loc[("S1", "P2"), "drifted"]
    assert series.loc[("S1", "P3"), "mae_ratio"] == pytest.approx(0.8) and not series.loc[("S1", "P3"), "drifted"]
    assert series.loc[("S1", "P4"), "status"] == "too_few_days" and not series.loc[("S1", "P4"), "drifted"]
    assert series.loc[("S2", "P1"), "status"] == "no_expectation" and not series.loc[("S2", "P1"), "drifted"]
    dept = out[out["level"] == "department"].set_index(["store_id", "subject_id"])
    # D1 of S1 rolls up P1 and P2 (P4 not judged): MAE (28 + 84) / 56 = 2.0 vs expected 1.0
    assert dept.loc[("S1", "D1"), ["n_series", "drifted_series", "n_days"]].tolist() == [2, 1, 56]
    assert dept.loc[("S1", "D1"), "mae_ratio"] == pytest.approx(2.0) and dept.loc[("S1", "D1"), "drifted"]
    store = out[out["level"] == "store"].set_index("store_id")
    assert list(store.index) == ["S1"] and store.loc["S1", "subject_id"] == "ALL"
    assert store.loc["S1", "n_series"] == 3 and store.loc["S1", "drifted_series"] == 1
    assert store.loc["S1", "mae_recent"] == pytest.approx((28 + 84 + 5.6) / 84)


def test_drift_below_the_band_is_drift_too():
    stats = pd.DataFrame([_stats("S1", "P1", 28, 2.8)])  # MAE 0.1 vs 1.0 -> 0.1 < low 0.5
    expected = pd.DataFrame({"store_id": ["S1"], "product_id": ["P1"], "mae_expected": [1.0]})
    departments = pd.DataFrame({"store_id": ["S1"], "product_id": ["P1"], "department_id": ["D1"]})
    out = forecast_drift(stats, expected, departments, CONFIG, as_of=AS_OF)
    assert out[out["level"] == "series"]["drifted"].tolist() == [True]


def test_series_errors_score_the_forecast_in_force_at_the_window_start(spark):
    origin, old = AS_OF - dt.timedelta(days=28), AS_OF - dt.timedelta(days=35)
    fc = []
    for as_of, mean in ((old, 9.0), (origin, 2.0), (AS_OF - dt.timedelta(days=3), 7.0)):
        for h in range(1, 36):
            fc.append(("S1", "P1", as_of, as_of + dt.timedelta(days=h), mean, 1, 3))
    forecasts = spark.createDataFrame(
        fc, "store_id string, product_id string, as_of date, target_date date, mean double, p10 int, p90 int"
    )
    actual_rows = [("S1", "P1", AS_OF - dt.timedelta(days=d), 3 if d % 2 else 2) for d in range(0, 40)]
    actuals = spark.createDataFrame(actual_rows, "store_id string, product_id string, date date, units_sold int")
    stats = series_errors(forecasts, actuals, as_of=AS_OF, window_days=28)
    row = stats.collect()[0]
    assert stats.count() == 1 and row.forecast_as_of == origin and row.n_days == 28
    assert row.abs_error == pytest.approx(14.0) and row.inside_80 == 28  # 14 days of 3 vs mean 2
    acc = spark.createDataFrame(
        [("S1", "P1", old, "auto", 1.5), ("S1", "P1", origin, "auto", 1.2), ("S1", "P1", AS_OF, "auto", 9.9),
         ("S1", "P1", origin, "seasonal_naive", 5.0)],
        "store_id string, product_id string, as_of date, model string, mae double",
    )  # fmt: skip
    assert [r.mae_expected for r in expected_mae(acc, stats).collect()] == [1.2]
