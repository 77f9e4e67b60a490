"""Evaluation: policies replayed day by day on true demand (:mod:`lakehouse_inv.replenishment`), scored with seed
004's metrics.

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

__all__ = [
    "PERIODS",
    "compute_metrics",
    "improvement_vs",
    "metrics_by_period",
    "period_bounds",
]
