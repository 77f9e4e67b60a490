"""Evaluation: policies as executable rules, replayed day by day on true demand, scored with seed 004's metrics.

* :mod:`~lakehouse_inv.evaluate.rules`: policy decisions → replenishment rules (:func:`rule_from_decision`).
* :mod:`~lakehouse_inv.evaluate.replay`: the day-by-day simulation, a pandas function for applyInPandas
  (:func:`replay`, output schema :data:`REPLAY_SCHEMA`); inputs checked in :mod:`~lakehouse_inv.evaluate.items`.
* :mod:`~lakehouse_inv.evaluate.metrics`: TR, NR, NSE, TOR, service levels and costs per group and period, and
  the improvement over a baseline.
"""

from __future__ import annotations

from lakehouse_inv.evaluate.metrics import (
    PERIODS,
    compute_metrics,
    improvement_vs,
    metrics_by_period,
    period_bounds,
)
from lakehouse_inv.evaluate.replay import REPLAY_COLUMNS, REPLAY_SCHEMA, replay, replay_schema
from lakehouse_inv.evaluate.rules import RULE_COLUMNS, RULE_KINDS, Rule, attach_rules, rule_from_decision

__all__ = [
    "PERIODS",
    "REPLAY_COLUMNS",
    "REPLAY_SCHEMA",
    "RULE_COLUMNS",
    "RULE_KINDS",
    "Rule",
    "attach_rules",
    "compute_metrics",
    "improvement_vs",
    "metrics_by_period",
    "period_bounds",
    "replay",
    "replay_schema",
    "rule_from_decision",
]
