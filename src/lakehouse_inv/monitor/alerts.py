"""``gold.alerts``: evaluate the rules of ``monitoring.yml`` on the run's monitoring facts (pure pandas).

Each rule kind reads one small frame of :class:`Facts` and returns the subjects it fires for with the value
that crossed the threshold; a rule that cannot be evaluated (no data, too few rows or runs) stays silent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from lakehouse_inv.monitor.config import Rule
from lakehouse_inv.monitor.quality import ALL_CHECKS

COLUMNS = ["run_id", "as_of", "rule", "kind", "severity", "subject", "value", "threshold", "fails_run", "message"]
OK_RUN = {"succeeded", "partial"}


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class Facts:
    """What the rules look at. ``runs``: gold.job_runs rows (run_id, job, started_at, duration_s, rows_out,
    status) of this run and earlier ones; ``policy_status`` / ``order_status``: policy_id, status, rows."""

    run_id: str
    quality: pd.DataFrame = field(
        default_factory=lambda: _empty(["table_name", "check_name", "rows_checked", "failure_rate"])
    )
    runs: pd.DataFrame = field(
        default_factory=lambda: _empty(["run_id", "job", "started_at", "duration_s", "rows_out", "status"])
    )
    drift: pd.DataFrame = field(default_factory=lambda: _empty(["level", "status", "drifted"]))
    anomalies: int = 0
    policy_status: pd.DataFrame = field(default_factory=lambda: _empty(["policy_id", "status", "rows"]))
    order_status: pd.DataFrame = field(default_factory=lambda: _empty(["policy_id", "status", "rows"]))


Finding = tuple[str, float, str]  # subject, value, message


def _quarantine_rate(rule: Rule, facts: Facts) -> list[Finding]:
    q = facts.quality
    q = q[(q["check_name"] == ALL_CHECKS) & (q["rows_checked"] >= rule.min_count)]
    if rule.tables:
        q = q[q["table_name"].isin(rule.tables)]
    return [
        (r.table_name, float(r.failure_rate), f"{r.failure_rate:.2%} of {int(r.rows_checked):,} rows quarantined")
        for r in q.itertuples()
        if r.failure_rate > rule.threshold
    ]


def _step_ratio(column: str, unit: str) -> Callable[[Rule, Facts], list[Finding]]:
    def evaluate(rule: Rule, facts: Facts) -> list[Finding]:
        runs = facts.runs
        current = runs[runs["run_id"] == facts.run_id]
        found = []
        for row in current.sort_values("job").itertuples():
            if rule.steps and row.job not in rule.steps:
                continue
            earlier = runs[
                (runs["job"] == row.job)
                & (runs["run_id"] != facts.run_id)
                & (runs["status"].isin(OK_RUN))
                & (runs["started_at"] < row.started_at)
            ].sort_values(["started_at", "run_id"])
            earlier = earlier.tail(rule.history_runs)
            if len(earlier) < rule.min_history:
                continue
            value, median = float(getattr(row, column)), float(earlier[column].median())
            if max(value, median) < rule.min_value:
                continue
            ratio = value / median if median > 0 else float("inf")
            if ratio > rule.threshold or ratio < 1 / rule.threshold:
                message = f"{value:,.1f} {unit} vs median {median:,.1f} of the last {len(earlier)} runs"
                found.append((row.job, round(ratio, 6), message))
        return found

    return evaluate


def _drift_share(rule: Rule, facts: Facts) -> list[Finding]:
    d = facts.drift
    judged = d[(d["level"] == "series") & (d["status"] == "ok")]
    if len(judged) < rule.min_count:
        return []
    share = float(judged["drifted"].astype(bool).mean())
    if share <= rule.threshold:
        return []
    return [("ALL", round(share, 6), f"{int(judged['drifted'].sum())} of {len(judged)} series drifted")]


def _anomaly_count(rule: Rule, facts: Facts) -> list[Finding]:
    n = facts.anomalies
    return [("ALL", float(n), f"{n} anomalous store x product x days")] if n > rule.threshold else []


def _status_share(
    frame: str, bad: Callable[[pd.Series], pd.Series], what: str
) -> Callable[[Rule, Facts], list[Finding]]:
    def evaluate(rule: Rule, facts: Facts) -> list[Finding]:
        df = getattr(facts, frame)
        found = []
        for policy, group in df.groupby("policy_id", sort=True):
            total = int(group["rows"].sum())
            if total < rule.min_count or total == 0:
                continue
            share = float(group.loc[bad(group["status"]), "rows"].sum()) / total
            if share > rule.threshold:
                found.append((str(policy), round(share, 6), f"{share:.1%} of {total:,} {what}"))
        return found

    return evaluate


EVALUATORS: dict[str, Callable[[Rule, Facts], list[Finding]]] = {
    "quarantine_rate": _quarantine_rate,
    "step_duration": _step_ratio("duration_s", "s"),
    "step_rows": _step_ratio("rows_out", "rows"),
    "drift_share": _drift_share,
    "anomaly_count": _anomaly_count,
    "solver_non_optimal_share": _status_share("policy_status", lambda s: s != "optimal", "items not proven optimal"),
    "orders_blocked_share": _status_share("order_status", lambda s: s == "blocked", "orders blocked"),
}


def evaluate_rules(rules: list[Rule], facts: Facts, *, as_of: dt.date) -> pd.DataFrame:
    """One row per firing rule and subject (:data:`COLUMNS`)."""
    rows = [
        (facts.run_id, as_of, r.name, r.kind, r.severity, subject, value, r.threshold, r.fail_run, message)
        for r in rules
        for subject, value, message in EVALUATORS[r.kind](r, facts)
    ]
    return pd.DataFrame(rows, columns=COLUMNS) if rows else _empty(COLUMNS)


def format_alerts(alerts: pd.DataFrame) -> str:
    if alerts.empty:
        return "Alerts of this run: none"
    lines = [f"Alerts of this run ({len(alerts)}):"]
    for a in alerts.itertuples():
        fail = "  [fails the run]" if a.fails_run else ""
        lines.append(
            f"  {a.severity:<9}{a.rule:<26}{a.subject:<28}value {a.value:.4g} "
            f"(threshold {a.threshold:g}): {a.message}{fail}"
        )
    return "\n".join(lines)
