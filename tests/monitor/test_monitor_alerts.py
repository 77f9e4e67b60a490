"""Every alert rule kind: fires on data that crosses its threshold, stays silent on data that does not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lakehouse_inv.monitor.alerts import Facts, evaluate_rules, format_alerts
from lakehouse_inv.monitor.config import Rule

AS_OF = dt.date(2025, 6, 30)


def _rule(kind: str, threshold: float, **extra) -> Rule:
    return Rule(name=f"r_{kind}", kind=kind, threshold=threshold, **extra)


def _fired(rule: Rule, facts: Facts) -> pd.DataFrame:
    return evaluate_rules([rule], facts, as_of=AS_OF)


def _quality(rate: float, checked: int = 1000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table_name": ["silver.sales", "silver.sales"],
            "check_name": ["all", "units_positive"],
            "rows_checked": [checked, checked],
            "failure_rate": [rate, rate],
        }
    )


def test_quarantine_rate_fires_per_table_above_threshold_only():
    rule = _rule("quarantine_rate", 0.01, min_count=100)
    fired = _fired(rule, Facts("r1", quality=_quality(0.05)))
    assert fired[["subject", "value"]].values.tolist() == [["silver.sales", 0.05]]
    assert fired.loc[0, "run_id"] == "r1" and fired.loc[0, "threshold"] == 0.01
    assert _fired(rule, Facts("r1", quality=_quality(0.005))).empty
    assert _fired(rule, Facts("r1", quality=_quality(0.05, checked=50))).empty  # too few rows to judge
    assert _fired(_rule("quarantine_rate", 0.01, tables=["silver.stores"]), Facts("r1", quality=_quality(0.5))).empty


def _runs(current: dict[str, float], history: list[float], column: str = "duration_s") -> pd.DataFrame:
    start = dt.datetime(2025, 6, 1)
    rows = [
        {
            "run_id": f"old{i}",
            "job": "refine",
            "started_at": start + dt.timedelta(days=i),
            column: v,
            "status": "succeeded",
        }
        for i, v in enumerate(history)
    ]
    rows.append(
        {
            "run_id": "now",
            "job": "refine",
            "started_at": start + dt.timedelta(days=99),
            **current,
            "status": "succeeded",
        }
    )
    frame = pd.DataFrame(rows)
    other = "rows_out" if column == "duration_s" else "duration_s"
    return frame.assign(**{other: 1.0})


@pytest.mark.parametrize("kind,column", [("step_duration", "duration_s"), ("step_rows", "rows_out")])
def test_step_rules_compare_with_the_median_of_recent_runs_both_ways(kind, column):
    rule = _rule(kind, 3.0, min_history=3)
    history = [100.0, 110.0, 90.0, 105.0]
    slow = _fired(rule, Facts("now", runs=_runs({column: 400.0}, history, column)))
    assert slow[["subject", "value"]].values.tolist() == [["refine", pytest.approx(400 / 102.5)]]
    fast = _fired(rule, Facts("now", runs=_runs({column: 20.0}, history, column)))
    assert fast.loc[0, "value"] == pytest.approx(20 / 102.5)
    assert _fired(rule, Facts("now", runs=_runs({column: 250.0}, history, column))).empty  # 2.4x: inside the band
    assert _fired(rule, Facts("now", runs=_runs({column: 400.0}, history[:2], column))).empty  # too little history
    assert _fired(_rule(kind, 3.0, min_value=500), Facts("now", runs=_runs({column: 400.0}, history, column))).empty
    assert _fired(_rule(kind, 3.0, steps=["gold"]), Facts("now", runs=_runs({column: 400.0}, history, column))).empty


def test_step_rules_ignore_failed_and_later_runs():
    runs = _runs({"duration_s": 400.0}, [100.0, 100.0, 100.0])
    runs.loc[0, "status"] = "failed"
    assert _fired(_rule("step_duration", 3.0, min_history=3), Facts("now", runs=runs)).empty


def _drift(drifted: list[bool]) -> pd.DataFrame:
    return pd.DataFrame({"level": "series", "status": "ok", "drifted": drifted})


def test_drift_share():
    rule = _rule("drift_share", 0.2, min_count=4)
    fired = _fired(rule, Facts("r", drift=_drift([True, True, False, False])))
    assert fired[["subject", "value"]].values.tolist() == [["ALL", 0.5]]
    assert _fired(rule, Facts("r", drift=_drift([True, False, False, False, False]))).empty  # 0.2 is not above
    assert _fired(rule, Facts("r", drift=_drift([True, True]))).empty  # fewer than min_count series


def test_anomaly_count():
    rule = _rule("anomaly_count", 5)
    assert _fired(rule, Facts("r", anomalies=6)).loc[0, "value"] == 6
    assert _fired(rule, Facts("r", anomalies=5)).empty


def _status(statuses: dict[str, int], policy: str = "sq") -> pd.DataFrame:
    return pd.DataFrame({"policy_id": policy, "status": list(statuses), "rows": list(statuses.values())})


def test_solver_non_optimal_share_per_policy():
    rule = _rule("solver_non_optimal_share", 0.05)
    facts = Facts(
        "r", policy_status=pd.concat([_status({"optimal": 8, "time_limit": 2}), _status({"optimal": 10}, "rs")])
    )
    assert _fired(rule, facts)[["subject", "value"]].values.tolist() == [["sq", 0.2]]
    assert _fired(rule, Facts("r", policy_status=_status({"optimal": 100, "feasible": 6}))).empty is False
    assert _fired(rule, Facts("r", policy_status=_status({"optimal": 100, "feasible": 1}))).empty


def test_orders_blocked_share_per_policy():
    rule = _rule("orders_blocked_share", 0.1, min_count=10)
    assert _fired(rule, Facts("r", order_status=_status({"placed": 8, "blocked": 3}))).loc[0, "value"] == pytest.approx(
        3 / 11
    )
    assert _fired(rule, Facts("r", order_status=_status({"placed": 9, "adjusted": 5, "blocked": 1}))).empty
    assert _fired(rule, Facts("r", order_status=_status({"blocked": 5}))).empty  # fewer than min_count orders


def test_fail_run_is_carried_and_printed():
    rule = _rule("anomaly_count", 0, fail_run=True, severity="critical")
    fired = _fired(rule, Facts("r", anomalies=1))
    assert bool(fired.loc[0, "fails_run"]) and "[fails the run]" in format_alerts(fired)
    assert format_alerts(_fired(rule, Facts("r"))) == "Alerts of this run: none"


def test_no_facts_no_alerts():
    rules = [
        _rule(kind, t)
        for kind, t in [
            ("quarantine_rate", 0.0),
            ("step_duration", 2.0),
            ("step_rows", 2.0),
            ("drift_share", 0.0),
            ("anomaly_count", 0),
            ("solver_non_optimal_share", 0.0),
            ("orders_blocked_share", 0.0),
        ]
    ]
    assert evaluate_rules(rules, Facts("r"), as_of=AS_OF).empty
