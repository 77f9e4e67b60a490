"""Option generator for ``nvbudget``: multi-product newsvendor with a purchase budget (docs/policies.md).

``min Σ_i h_i·E[(s_i − X_i)^+] + b_i·E[(X_i − s_i)^+]  s.t.  Σ_i c_i·s_i ≤ V``, ``s_i ≥ 0`` integers, X_i the
single-period demand with mean d_i. Using ``E[(s − X)^+] = s − μ + L(s; X)`` one item's cost is
``h·(s − μ) + (h + b)·L(s; X)``, convex in s with minimiser s* = smallest s with ``(h + b)·P(X > s) ≤ h`` (the
critical fractile b/(h+b)). Usage (``peak`` = ``average`` = s) grows with s, so only 0 ≤ s ≤ s* are efficient;
the budget is a ``peak`` coupling with weights c_i.

``min_inventory`` m restricts ``s ≥ m``: the options are ``m ≤ s ≤ max(s*, m)`` (the convex cost's constrained
minimiser is ``max(s*, m)``). The item's service level enters as the critical ratio: the job raises ``b`` so that
``b/(h + b) ≥ alpha`` (:func:`lakehouse_inv.optimize.features.policy_inputs`), a penalty, not a constraint, so the
budget stays feasible.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lakehouse_inv.optimize.distributions import DailyDemand
from lakehouse_inv.optimize.options import OptionSet, Prices, slack


class NewsvendorItem:
    """One product: single-period demand ``demand`` (mean d), overage cost ``h``, underage cost ``b``."""

    def __init__(self, h: float, b: float, demand: DailyDemand, *, min_inventory: int = 0) -> None:
        self.h, self.b = float(h), float(b)
        self.min_inventory = int(min_inventory)
        self.period_demand = demand.over_days(1)

    def cost(self, s: np.ndarray) -> np.ndarray:
        return self.h * (s - self.period_demand.mean) + (self.h + self.b) * self.period_demand.loss(s)

    def critical_fractile_s(self) -> int:
        """The constrained minimiser ``max(s*, min_inventory)``."""
        s_star = int(self.period_demand.smallest_k_with_sf_at_most(self.h + self.b, np.array([self.h]))[0])
        return max(s_star, self.min_inventory)

    def _options(self, s: np.ndarray) -> OptionSet:
        usage = s.astype(float)
        return OptionSet({"s": s}, self.cost(s), {"peak": usage, "average": usage})

    def usage_lower_bounds(self) -> dict[str, float]:
        return {"peak": float(self.min_inventory), "average": float(self.min_inventory)}

    def best(self, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """s* without prices; with prices the priced argmin over 0 … s* (prices only lower the minimiser)."""
        s_star = self.critical_fractile_s()
        if not prices or not any(prices.values()):
            return self._options(np.arange(s_star, s_star + 1, dtype=np.int64))
        return self._options(np.arange(self.min_inventory, s_star + 1, dtype=np.int64)).cheapest(prices)

    def options(self, limit: float, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """min_inventory ≤ s ≤ min(s*, usage caps) with priced cost ≤ ``limit``."""
        top = min([self.critical_fractile_s(), *(np.floor(cap + 1e-9) for cap in max_usage.values())])
        options = self._options(np.arange(self.min_inventory, int(top) + 1, dtype=np.int64))
        return options.take(options.priced_cost(prices or {}) <= limit + slack(limit))
