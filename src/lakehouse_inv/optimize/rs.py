"""Option generator for the periodic-review (R,S) policy ``RS`` (docs/policies.md).

X_R is demand over L + R days, per day::

    C(R,S) = h·(a·R/2 + S − a(L+R)) + K/R + (π/R)·L(S; X_R),   1 ≤ R ≤ R_max,  S ≥ ⌈a(L+R)⌉ integers,

where a(L+R) is rounded to 9 decimals before the ceiling (so 0.1·30 = 3.0000000000000004 gives 3, not 4).

For fixed R the cost is convex in S; its minimiser is S*(R) = max(⌈a(L+R)⌉, smallest S with π·P(X_R > S) ≤ h·R),
and each review period contributes the options ⌈a(L+R)⌉ ≤ S ≤ S*(R) (a few standard deviations wide).
Because S ≥ a(L+R), ``C ≥ h·a·R/2 + K/R ≥ h·a·R/2``, so a known cost U bounds ``R ≤ 2U/(h·a)`` when a > 0.
``R_step`` (default 1) restricts R to its multiples: a supplier delivering every ``R_step`` days takes orders on
those days only, so a review in between would wait for the next one. The bound below holds for every R, so it
holds for the multiples. ``R_max`` (default 365 days) caps the review period; it matters only when a = 0 (then
C = h·S + K/R keeps falling in R, and the optimum is S = 0, R = R_max) or for extremely slow movers. S > S*(R) is
dominated (costlier, and both usages grow with S). Prices on usage (Lagrange multipliers) keep the bound: they only
add non-negative terms.

Lead-time spread, service level and minimum stock (:mod:`lakehouse_inv.optimize.targets`): with a spread ``L_ci``
the lead time L' is random, X_R is the compound distribution of demand over L' + R days (a mixture over L') and L
reads E[L'] in the cost and in ⌈a(L+R)⌉. A fill-rate target ``alpha`` and ``min_inventory`` restrict S to
``S ≥ floor(R) = max(min_inventory, smallest S with β(R,S) ≥ alpha)``, with
``β(R,S) = 1 − (L(S; X_R) − L(S; X_L))/(a·R)`` (X_L the lead-time demand) non-decreasing in S; each review period's
options are then ``max(⌈a(L+R)⌉, floor(R)) ≤ S ≤ max(S*(R), floor(R))``. ``S ≥ a(L+R)`` still holds, so the bound
on R does too and the optimum stays exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from lakehouse_inv.optimize.distributions import DailyDemand, DemandDistribution, LeadTime, mixture
from lakehouse_inv.optimize.limits import active_limits, check_grid
from lakehouse_inv.optimize.options import OptionSet, Prices, slack
from lakehouse_inv.optimize.targets import check_fill_rate, rs_fill_floor

DEFAULT_R_MAX = 365
_ROW_COST = 1_000
"""What one review period costs (its distribution and option row), in grid points, for the size limit: at the
default limit R ≤ 5,000 (a few seconds), where R_max = 100,000 with a = 0 would loop for minutes."""


_MAX_FLOOR_SCAN_ROWS = 1_000
"""Most review periods scanned for the exact usage lower bounds (each builds X_R and its fill-rate floor); fewer
when the grid limit allows fewer rows."""


def min_order_up_to(a: float, L: float, R: int) -> int:
    """⌈a(L+R)⌉ with a(L+R) rounded to 9 decimals first."""
    return math.ceil(round(a * (L + R), 9))


class RSItem:
    """One SKU under the (R,S) policy."""

    def __init__(
        self,
        a: float,
        L: int,
        h: float,
        K: float,
        pi: float,
        demand: DailyDemand,
        R_max: int = DEFAULT_R_MAX,
        *,
        R_step: int = 1,
        L_ci: int = 0,
        alpha: float | None = None,
        min_inventory: int = 0,
    ) -> None:
        self.a, self.L, self.h, self.K, self.pi, self.R_max = float(a), int(L), float(h), float(K), float(pi), R_max
        self.R_step = int(R_step)
        """Review periods are multiples of it: the supplier's delivery rhythm (orders go out on delivery days only)."""
        self.demand = demand
        self.lead = LeadTime(self.L, int(L_ci))
        self.mean_lead = self.lead.mean if self.lead.spread else self.L
        """E[L'] (the integer L itself without spread, so the arithmetic is exactly the fixed lead time's)."""
        self.alpha = check_fill_rate(alpha)
        self.min_inventory = int(min_inventory)
        self._lead_demand = demand.over_lead_time(self.lead) if self.alpha is not None else None
        self._review_demand: list[DemandDistribution] = []
        self._fill_floor: dict[int, int] = {}
        self._day_demand: list[DemandDistribution] = []
        self._usage_lows: dict[str, float] | None = None

    def review_demand(self, R: int) -> DemandDistribution:
        """X_R, built incrementally (the empirical family convolves one more day at a time). With a lead-time spread
        each day count's distribution is built once and shared by the mixtures X_R, X_{R+1}, … that contain it."""
        if len(self._review_demand) < R:
            self._check_review_periods(R)
            start = len(self._review_demand) + 1
            if self.lead.spread == 0:
                self._review_demand += self.demand.over_day_range(self.L + start, R - start + 1)
            else:
                shortest, longest = int(self.lead.values[0]), int(self.lead.values[-1])
                built = len(self._day_demand)  # distributions over shortest + 1 … shortest + built days
                if built < R + longest - shortest:
                    self._day_demand += self.demand.over_day_range(shortest + 1 + built, R + longest - shortest - built)
                offsets = self.lead.values - shortest
                self._review_demand += [
                    mixture([self._day_demand[r - 1 + int(o)] for o in offsets], self.lead.probabilities)
                    for r in range(start, R + 1)
                ]
        return self._review_demand[R - 1]

    def cost(self, R: int, S: np.ndarray) -> np.ndarray:
        return (
            self.h * (self.a * R / 2.0 + S - self.a * (self.mean_lead + R))
            + self.K / R
            + self.pi / R * self.review_demand(R).loss(S)
        )

    def S_floor(self, R: int) -> int:
        """Smallest S allowed for review period R: ``min_inventory`` and the fill-rate target (0 without either)."""
        if self._lead_demand is None or self.alpha is None or self.a <= 0:
            return self.min_inventory
        if R not in self._fill_floor:
            self._fill_floor[R] = rs_fill_floor(self.review_demand(R), self._lead_demand, self.a, R, self.alpha)
        return max(self.min_inventory, self._fill_floor[R])

    def lowest_S(self, R: int) -> int:
        """The smallest feasible order-up-to level: ``max(⌈a(L+R)⌉, floor(R))``."""
        return max(min_order_up_to(self.a, self.mean_lead, R), self.S_floor(R))

    def best_S(self, R: int) -> int:
        threshold = int(self.review_demand(R).smallest_k_with_sf_at_most(self.pi, np.array([self.h * R]))[0])
        return max(self.lowest_S(R), threshold)

    def usage(self, R: np.ndarray, S: np.ndarray) -> dict[str, np.ndarray]:
        return {"peak": S.astype(float), "average": self.a * R / 2.0 + S - self.a * (self.mean_lead + R)}

    def usage_lower_bounds(self) -> dict[str, float]:
        """The least peak (S) and average stock any allowed (R, S) uses: S ≥ lowest_S(R), 1 ≤ R ≤ R_max.

        Without a fill-rate target: max(⌈a(L+1)⌉, min_inventory) and a/2. With one, the floor of each review period
        is scanned from R = 1 while a longer period could still do better: ``lowest_S(R) ≥ ⌈a(L+R)⌉`` and the average
        ``≥ a·R/2`` grow with R, so once both reach the best found no larger R can beat it. The least average is often
        at a longer period (a floor well above a(L+R) is paid once per cycle: 15 at R = 15 against 29 at R = 1 for
        a = 2 with min_inventory 30). The least peak was at R = 1 in every case tried (500 random Poisson, negative
        binomial and lumpy items), but the fill-rate floor is not proven monotone in R, so the scan checks it. A scan
        that would pass the grid limit stops there, and the bound for the unscanned R is ``max(⌈a(L+R)⌉,
        min_inventory)`` and ``a·R/2`` at the first of them (valid, weaker). A coupled partition whose targets cannot
        fit its capacity is then proven infeasible up front instead of searched for a combination that does not
        exist."""
        if self._usage_lows is None:
            self._usage_lows = {
                "peak": float(max(min_order_up_to(self.a, self.mean_lead, 1), self.min_inventory)),
                "average": self.a / 2.0,
            }
            if self._lead_demand is not None and self.a > 0:
                self._usage_lows = self._scanned_usage_lows()
        return self._usage_lows

    def _scanned_usage_lows(self) -> dict[str, float]:
        peak = average = math.inf
        last = min(self.R_max, _MAX_FLOOR_SCAN_ROWS, active_limits().max_grid_points // _ROW_COST)
        for r in range(1, self.R_max + 1):
            # what review periods r, r + 1, … can use at least, whatever their floors
            peak_from_here = float(max(min_order_up_to(self.a, self.mean_lead, r), self.min_inventory))
            average_from_here = self.a * r / 2.0
            if r > last or (peak_from_here >= peak and average_from_here >= average):
                return {"peak": min(peak, peak_from_here), "average": min(average, average_from_here)}
            S = self.lowest_S(r)
            peak = min(peak, float(S))
            average = min(average, average_from_here + S - self.a * (self.mean_lead + r))
        return {"peak": peak, "average": average}

    def max_review_period(self, limit: float) -> int:
        """R ≤ 2U/(h·a) from C ≥ h·a·R/2 (prices only add non-negative terms); R_max when a = 0; at least R_step."""
        if self.a <= 0:
            return self.R_max
        return int(min(self.R_max, max(self.R_step, math.floor(2.0 * limit / (self.h * self.a) + 1e-9))))

    def _row(self, R: int) -> OptionSet:
        """Options of one review period: S from max(⌈a(L+R)⌉, floor(R)) to S*(R) (larger S is dominated)."""
        S = np.arange(self.lowest_S(R), self.best_S(R) + 1, dtype=np.int64)
        R_column = np.full(len(S), R, dtype=np.int64)
        return OptionSet({"R": R_column, "S": S}, self.cost(R, S), self.usage(R_column, S))

    def _check_review_periods(self, last: int) -> None:
        what = f"the review periods R = 1 … {last} (R_max {self.R_max}, each costing ~{_ROW_COST:,} values)"
        check_grid(last * _ROW_COST, what)

    def _rows(self, limit: float) -> list[OptionSet]:
        last = self.max_review_period(limit)
        self._check_review_periods(last)
        return [self._row(R) for R in range(self.R_step, last + 1, self.R_step)]

    def _starting_bound(self, prices: Prices) -> float:
        R = 1 if self.a <= 0 or self.K <= 0 else round(math.sqrt(2.0 * self.K / (self.h * self.a)))
        R = max(self.R_step, round(R / self.R_step) * self.R_step)
        R = int(min(self.R_max // self.R_step * self.R_step, R))
        return float(np.min(self._row(R).priced_cost(prices)))

    def best(self, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """Priced argmin over every R the bound allows (``max_usage`` not needed: the minimum exists)."""
        prices = prices or {}
        rows = self._rows(self._starting_bound(prices))
        return _concatenate([row.cheapest(prices) for row in rows]).cheapest(prices)

    def options(self, limit: float, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """Options with priced cost ≤ ``limit`` whose usages fit ``max_usage``."""
        prices = prices or {}
        threshold = limit + slack(limit)
        options = _concatenate(self._rows(threshold))
        fits = options.priced_cost(prices) <= threshold
        for kind, cap in max_usage.items():
            fits &= options.usage[kind] <= cap + slack(cap)
        return options.take(fits)


def _concatenate(sets: list[OptionSet]) -> OptionSet:
    return OptionSet(
        {name: np.concatenate([s.decisions[name] for s in sets]) for name in sets[0].decisions},
        np.concatenate([s.cost for s in sets]),
        {kind: np.concatenate([s.usage[kind] for s in sets]) for kind in sets[0].usage},
    )
