"""Evaluation metrics (docs/evaluation.md) aggregated from replay rows, per any grouping and period.

For the replay rows of one group (e.g. policy × store) whose date lies in the period [start, end], with
n_days = the number of distinct dates among them:

=======================  ==================================================================================
total_revenue (TR)       Σ revenue                                          (revenue = sold × price)
normalized_revenue (NR)  TR / Σ unit_days_sold; NaN when nothing was sold   (unit-days: days each sold unit
                                                                            spent in inventory, arrival and
                                                                            sale day included)
stockout_events (NSE)    Σ lost                                             (each request is one unit, so a
                                                                            lost unit is one event)
average_inventory_value  Σ inventory_value_end / n_days                     (the group's total end-of-day
                                                                            inventory value, averaged over
                                                                            days; for one item the mean)
turnover_ratio (TOR)     TR / average_inventory_value; NaN when that is 0
fill_rate                Σ sold / Σ demand; NaN without demand
cycle_service_level      1 − Σ cycles_with_stockout / Σ cycles_closed; NaN when no cycle closed
<cost>                   Σ holding_cost, ordering_cost, stockout_cost, disposal_cost (replay columns)
total_cost               holding_cost + ordering_cost + stockout_cost + disposal_cost (purchases excluded)
purchase_cost            Σ purchase_cost (replay column: sold × unit cost, the purchase price of the units sold)
profit                   TR − purchase_cost − holding_cost − ordering_cost − disposal_cost (the disposal cost
                         includes the purchase price of expired units; the missed-sale cost is an opportunity
                         cost, reported in stockout_cost and not subtracted)
=======================  ==================================================================================

Also reported: n_days, demand, sold, disposed, orders, unit_days_sold, cycles_closed, cycles_with_stockout and
``invalid_rows`` (rows of invalid items, status ≠ "ok", which are left out of every sum; a group with no valid
row has NaN metrics).

The same in Spark SQL (per group, after ``WHERE status = 'ok' AND date BETWEEN start AND end``)::

    SUM(revenue) AS total_revenue,
    SUM(revenue) / NULLIF(SUM(unit_days_sold), 0) AS normalized_revenue,
    SUM(lost) AS stockout_events,
    SUM(inventory_value_end) / COUNT(DISTINCT date) AS average_inventory_value,
    SUM(revenue) / NULLIF(SUM(inventory_value_end) / COUNT(DISTINCT date), 0) AS turnover_ratio,
    SUM(sold) / NULLIF(SUM(demand), 0) AS fill_rate,
    1 - SUM(cycles_with_stockout) / NULLIF(SUM(cycles_closed), 0) AS cycle_service_level

Periods end on the as-of date, inclusive: last_week = 7 days, last_month = 28, last_quarter = 91, horizon = the
whole evaluation horizon of ``horizon_days`` days.

Improvement over a baseline (:func:`improvement_vs`) is signed so that positive is always better:
(policy − baseline) / |baseline| for TR, NR, TOR, fill rate and cycle service level (higher is better), and
(baseline − policy) / |baseline| for NSE and the costs (lower is better). Profit's change is a percentage only of a
baseline profit that is positive and at least NEAR_ZERO_PROFIT of the baseline's revenue, and NaN otherwise: a
percentage of a loss or of almost nothing says nothing (compare ``profit`` with ``profit_baseline`` in money). With
a baseline of 0 it is 0 when the policy is 0 too and NaN otherwise (no finite relative change).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lakehouse_inv.replenishment.items import as_days

PERIOD_DAYS = {"last_week": 7, "last_month": 28, "last_quarter": 91}
NEAR_ZERO_PROFIT = 0.005
"""A baseline profit below this share of its revenue (or a loss) is no base for a percentage change."""
PERIODS = (*PERIOD_DAYS, "horizon")

HIGHER_IS_BETTER = (
    "total_revenue",
    "normalized_revenue",
    "turnover_ratio",
    "fill_rate",
    "cycle_service_level",
    "profit",
)
LOWER_IS_BETTER = ("stockout_events", "holding_cost", "ordering_cost", "stockout_cost", "disposal_cost", "total_cost")
COST_COLUMNS = ("holding_cost", "ordering_cost", "stockout_cost", "disposal_cost")
PROFIT_COSTS = ("purchase_cost", "holding_cost", "ordering_cost", "disposal_cost")
"""What profit subtracts from revenue (the missed-sale cost is not paid, so it is not among them)."""
SUMMED = (
    "demand",
    "sold",
    "lost",
    "disposed",
    "orders",
    "revenue",
    "unit_days_sold",
    "inventory_value_end",
    "cycles_closed",
    "cycles_with_stockout",
    "purchase_cost",
    *COST_COLUMNS,
)


def period_bounds(period: str, as_of: dt.date, *, horizon_days: int | None = None) -> tuple[dt.date, dt.date]:
    """``(start, end)`` of a named period ending on ``as_of`` (inclusive); ``horizon`` needs ``horizon_days``."""
    if period == "horizon":
        if horizon_days is None or horizon_days < 1:
            raise ValueError("period 'horizon' needs horizon_days >= 1")
        days = horizon_days
    elif period in PERIOD_DAYS:
        days = PERIOD_DAYS[period]
    else:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    return as_of - dt.timedelta(days=days - 1), as_of


def compute_metrics(
    rows: pd.DataFrame, keys: Sequence[str], *, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """One row per group of ``keys`` (all rows form one group when ``keys`` is empty) over the rows dated in
    [start, end] (unbounded when None), with the metrics of the module docstring."""
    return _ReplayRows(rows, keys).metrics(start, end)


class _ReplayRows:
    """Replay rows read once (dates, validity, measures as floats with NaN for invalid rows) for several periods."""

    def __init__(self, rows: pd.DataFrame, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        self.key_frame = rows[self.keys].reset_index(drop=True)
        self.day = as_days(rows["date"])
        self.ok = rows["status"].to_numpy() == "ok" if "status" in rows.columns else np.ones(len(rows), dtype=bool)
        self.measures = {
            name: np.where(self.ok, rows[name].to_numpy(dtype=np.float64, na_value=np.nan), np.nan) for name in SUMMED
        }

    def metrics(self, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
        in_period = np.ones(len(self.day), dtype=bool)
        if start is not None:
            in_period &= self.day >= np.datetime64(start, "D")
        if end is not None:
            in_period &= self.day <= np.datetime64(end, "D")
        selected = self.key_frame[in_period].reset_index(drop=True)
        for name, values in self.measures.items():
            selected[name] = values[in_period]
        ok = self.ok[in_period]
        selected["date"] = np.where(ok, self.day[in_period], np.datetime64("NaT"))
        selected["invalid_rows"] = ~ok
        grouped = selected.groupby(self.keys or np.zeros(len(selected), dtype=np.int64), sort=True, dropna=False)
        totals = grouped[list(SUMMED)].sum(min_count=1)  # NaN for a group without a valid row
        totals["invalid_rows"] = grouped["invalid_rows"].sum()
        totals["n_days"] = grouped["date"].nunique()
        return _metrics(totals, self.keys)


def _metrics(totals: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    revenue = totals["revenue"]
    average_inventory = totals["inventory_value_end"] / totals["n_days"].replace(0, np.nan)
    metrics = pd.DataFrame(
        {
            "n_days": totals["n_days"].astype(np.int64),
            "demand": totals["demand"],
            "sold": totals["sold"],
            "disposed": totals["disposed"],
            "orders": totals["orders"],
            "unit_days_sold": totals["unit_days_sold"],
            "total_revenue": revenue,
            "normalized_revenue": revenue / totals["unit_days_sold"].replace(0, np.nan),
            "stockout_events": totals["lost"],
            "average_inventory_value": average_inventory,
            "turnover_ratio": revenue / average_inventory.replace(0, np.nan),
            "fill_rate": totals["sold"] / totals["demand"].replace(0, np.nan),
            "cycles_closed": totals["cycles_closed"],
            "cycles_with_stockout": totals["cycles_with_stockout"],
            "cycle_service_level": 1 - totals["cycles_with_stockout"] / totals["cycles_closed"].replace(0, np.nan),
            **{name: totals[name] for name in COST_COLUMNS},
            "total_cost": totals[list(COST_COLUMNS)].sum(axis=1, min_count=1),
            "purchase_cost": totals["purchase_cost"],
            "profit": revenue - totals[list(PROFIT_COSTS)].sum(axis=1, min_count=1),
            "invalid_rows": totals["invalid_rows"].astype(np.int64),
        }
    )
    return metrics.reset_index() if keys else metrics.reset_index(drop=True)


def metrics_by_period(
    rows: pd.DataFrame,
    keys: Sequence[str],
    *,
    as_of: dt.date,
    periods: Sequence[str] = ("last_week", "last_month", "last_quarter"),
    horizon_days: int | None = None,
) -> pd.DataFrame:
    """:func:`compute_metrics` for each named period ending on ``as_of``, stacked, with ``period``,
    ``period_start`` and ``period_end`` after the keys."""
    replay_rows = _ReplayRows(rows, keys)
    frames = []
    for period in periods:
        start, end = period_bounds(period, as_of, horizon_days=horizon_days)
        metrics = replay_rows.metrics(start, end)
        position = len(keys)
        metrics.insert(position, "period", period)
        metrics.insert(position + 1, "period_start", start)
        metrics.insert(position + 2, "period_end", end)
        frames.append(metrics)
    return pd.concat(frames, ignore_index=True)


def improvement_vs(metrics: pd.DataFrame, baseline_metrics: pd.DataFrame, *, on: Sequence[str]) -> pd.DataFrame:
    """``metrics`` with ``<metric>_baseline`` and ``<metric>_improvement`` for every metric of HIGHER_IS_BETTER and
    LOWER_IS_BETTER, matched to the baseline row with the same ``on`` values (e.g. store_id, period; the baseline
    must have one row per match). Positive improvement is better (module docstring)."""
    on = list(on)
    compared = [*HIGHER_IS_BETTER, *LOWER_IS_BETTER]
    baseline = baseline_metrics[[*on, *dict.fromkeys([*compared, "total_revenue"])]]
    if baseline.duplicated(on).any():
        raise ValueError(f"baseline_metrics has several rows for some {', '.join(on)}")
    joined = metrics.merge(baseline, on=on, how="left", suffixes=("", "_baseline"), validate="many_to_one")
    for name in compared:
        value, base = joined[name].to_numpy(dtype=np.float64), joined[f"{name}_baseline"].to_numpy(dtype=np.float64)
        sign = 1.0 if name in HIGHER_IS_BETTER else -1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = sign * (value - base) / np.abs(base)
        joined[f"{name}_improvement"] = np.where(base == 0, np.where(value == 0, 0.0, np.nan), relative)
    revenue = joined["total_revenue_baseline"].to_numpy(dtype=np.float64)
    base_profit = joined["profit_baseline"].to_numpy(dtype=np.float64)
    meaningful = base_profit >= NEAR_ZERO_PROFIT * np.abs(revenue)
    joined["profit_improvement"] = np.where(meaningful & (base_profit > 0), joined["profit_improvement"], np.nan)
    return joined
