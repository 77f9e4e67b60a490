"""Option generator for ``ceoq``: EOQ items sharing a storage budget (docs/policies.md).

``min Σ_i λ_i·K_i / Q_i  s.t.  Σ_i C_i·Q_i/2 ≤ b``, ``Q_i ≥ 1`` integers. One item's options are its order sizes Q
with cost λK/Q and ``average`` usage Q/2 (``peak`` usage Q); the budget is an ``average`` coupling with weights C_i.
Every Q is Pareto-efficient (cost falls, usage grows), so the range is bounded from both sides:
``Q ≤ (2b − Σ_{j≠i} C_j)/C_i`` (the others at Q = 1) from above, and ``Q ≥ λK/U`` from a cost bound U.
An item with λK = 0 only ever needs Q = 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from lakehouse_inv.optimize.options import OptionSet, Prices, slack


class CeoqItem:
    """One product of a ceoq instance: demand ``lam`` in the period, order cost ``K``, storage cost ``C``."""

    def __init__(self, lam: float, K: float, C: float) -> None:
        self.ordering_weight = float(lam) * float(K)
        self.C = float(C)

    def usage_lower_bounds(self) -> dict[str, float]:
        return {"peak": 1.0, "average": 0.5}

    def _options(self, Q: np.ndarray) -> OptionSet:
        return OptionSet({"Q": Q}, self.ordering_weight / Q, {"peak": Q.astype(float), "average": Q / 2.0})

    def max_order_quantity(self, max_usage: Mapping[str, float]) -> int:
        cap = min(max_usage.get("peak", math.inf), 2.0 * max_usage.get("average", math.inf))
        if not math.isfinite(cap):
            raise ValueError("ceoq needs a finite storage budget to bound Q")
        return math.floor(cap + 1e-9)

    def best(self, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """Integer minimiser of ``λK/Q + p·Q`` (p = price of peak + half the price of average usage) on
        1 ≤ Q ≤ the budget's bound: the largest Q when p = 0, else floor/ceil of sqrt(λK/p)."""
        top = self.max_order_quantity(max_usage)
        price = self._unit_price(prices or {})
        if self.ordering_weight == 0:
            candidates = np.array([1])
        elif price == 0:
            candidates = np.array([top])
        else:
            root = math.sqrt(self.ordering_weight / price)
            candidates = np.array([math.floor(root), math.ceil(root)])
        candidates = np.unique(np.clip(candidates, 1, max(top, 1)))
        return self._options(candidates[candidates <= top]).cheapest(prices)

    def options(self, limit: float, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """Q with ``λK/Q + p·Q ≤ limit``: the interval between the roots of ``p·Q² − limit·Q + λK``."""
        if self.ordering_weight == 0:
            return self.best(max_usage, prices)
        threshold = limit + slack(limit)
        price = self._unit_price(prices or {})
        if threshold <= 0 or threshold**2 < 4.0 * price * self.ordering_weight:
            return self._options(np.zeros(0, np.int64))
        if price == 0:
            bottom, top = self.ordering_weight / threshold, math.inf
        else:
            root = math.sqrt(threshold**2 - 4.0 * price * self.ordering_weight)
            bottom, top = (threshold - root) / (2.0 * price), (threshold + root) / (2.0 * price)
        first = max(1, math.ceil(bottom - 1e-9))
        last = min(self.max_order_quantity(max_usage), math.floor(min(top, 2.0**40) + 1e-9))
        options = self._options(np.arange(first, last + 1, dtype=np.int64))
        return options.take(options.priced_cost(prices or {}) <= threshold)

    @staticmethod
    def _unit_price(prices: Prices) -> float:
        return prices.get("peak", 0.0) + prices.get("average", 0.0) / 2.0
