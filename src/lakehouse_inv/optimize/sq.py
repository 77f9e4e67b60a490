"""Option generators for the continuous-review (s,Q) policies ``sQ`` and ``sQ_perishable`` (docs/policies.md).

``sQ`` (Hadley–Whitin, X = demand over the lead time L, μ = aL), per day::

    C(s,Q) = h·(Q/2 + s − μ) + K·a/Q + (π·a/Q)·L(s; X),        s ≥ 0, Q ≥ 1 integers.

``sQ_perishable`` (Chiu 1999, Y = demand over L + life)::

    ER(s,Q) = E[(s+Q−Y)^+] − E[(s−Y)^+] = Q − (L(s; Y) − L(s+Q; Y))
    C(s,Q)  = (K + π·L(s; X) + W·ER(s,Q)) · a/(Q − ER(s,Q)) + h·(Q/2 + s − μ),   with Q − ER(s,Q) > 0.

Exactness rests on four facts:

1. For fixed Q the sQ cost is convex in s (L is convex); its minimiser is the smallest s with
   ``π·a·P(X > s) ≤ h·Q`` (a quantile, found with ``searchsorted``). Call it s*(Q) and g(Q) = C(s*(Q), Q).
   Without prices the optimum is the argmin of g over the Q range of fact 2.
2. ``C ≥ h·(Q/2 − μ)`` because s ≥ 0 and the other terms are ≥ 0, so a known cost U bounds ``Q ≤ 2(U/h + μ)``.
3. The perishable cost is ≥ the sQ cost at the same (s,Q) (ER ≥ 0 and Q − ER ≤ Q), so every perishable option with
   cost ≤ U lies in the sQ *band* {C_sQ(s,Q) ≤ U}: for each Q an interval of s around the row minimiser.
4. With D = Q − ER ≤ min(Q, L(s;Y)) and ER ≥ Q − L(s;Y), the perishable cost is also ≥ a bound that grows with s
   and, past Q ≈ E[Y], steeply with Q (every extra unit expires); it trims the perishable band.

Prices (Lagrange multipliers of couplings, cost per unit of usage) add ``Σ_k price_k·usage_k``, convex and
non-decreasing in s and Q, so the same bands apply to priced costs. With a coupling, options with s > s*(Q) are
dominated for sQ (costlier and using more), so the sQ band stops at s*(Q); the perishable band keeps both sides.
Zero demand (a = 0) makes the sQ cost h·(Q/2 + s): the optimum is s = 0, Q = 1. For sQ_perishable a = 0 gives
Q − ER ≡ 0, so no option is feasible (reported infeasible).

Lead-time spread, service level and minimum stock (:mod:`lakehouse_inv.optimize.targets`): with a spread ``L_ci``
the lead time is random and X, Y are the compound (mixture) distributions of
:meth:`~lakehouse_inv.optimize.distributions.DailyDemand.over_lead_time`, μ = a·E[L']. A fill-rate target ``alpha``
and ``min_inventory`` restrict s to ``s ≥ floor(Q) = max(min_inventory, smallest s with β(s,Q) ≥ alpha)``, with
``β(s,Q) = 1 − (L(s;X) − L(s+Q;X))/Q`` non-decreasing in s. For fixed Q the convex cost's constrained minimiser is
``max(s*(Q), floor(Q))``; every bound above holds on the restricted set (the band starts at the floor), so the
optimum is still exact. The constraint leaves Q free: a large enough s meets any target below 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from lakehouse_inv.optimize.distributions import DailyDemand, DemandDistribution, LeadTime
from lakehouse_inv.optimize.limits import check_grid
from lakehouse_inv.optimize.options import OptionSet, Prices, slack
from lakehouse_inv.optimize.targets import check_fill_rate, sq_fill_floor

_MIN_CYCLE_DEMAND = 1e-12
"""Q − ER(s,Q) below this is treated as 0 (the constraint ``Q − ER > 0`` fails; the cost would exceed 1e12·K·a)."""
_MAX_FLOOR_SCAN = 1_000_000
"""Most Q values scanned for the exact usage lower bounds; above it the bounds without the fill-rate floor (valid)."""


class SQItem:
    """One SKU under the sQ policy (``perishable=None``) or sQ_perishable (``perishable=(W, life)``)."""

    def __init__(
        self,
        a: float,
        L: int,
        h: float,
        K: float,
        pi: float,
        demand: DailyDemand,
        perishable: tuple[float, int] | None = None,
        *,
        L_ci: int = 0,
        alpha: float | None = None,
        min_inventory: int = 0,
    ) -> None:
        self.a, self.L, self.h, self.K, self.pi = float(a), int(L), float(h), float(K), float(pi)
        self.lead = LeadTime(self.L, int(L_ci))
        self.mu = self.a * self.lead.mean
        self.alpha = check_fill_rate(alpha)
        self.min_inventory = int(min_inventory)
        self._usage_lows: dict[str, float] | None = None
        self.lead_demand: DemandDistribution = demand.over_lead_time(self.lead)
        self.life_demand: DemandDistribution | None = None
        if perishable is not None:
            self.W = float(perishable[0])
            self.life_demand = demand.over_lead_time(self.lead, int(perishable[1]))

    # ----- costs ---------------------------------------------------------------------------------------------------
    def sq_cost(self, s: np.ndarray, Q: np.ndarray) -> np.ndarray:
        """C_sQ(s,Q); a lower bound on the perishable cost."""
        return self.h * (Q / 2.0 + s - self.mu) + self.a * (self.K + self.pi * self.lead_demand.loss(s)) / Q

    def cost(self, s: np.ndarray, Q: np.ndarray) -> np.ndarray:
        """The policy's exact cost; ``inf`` where sQ_perishable's ``Q − ER(s,Q) > 0`` fails."""
        if self.life_demand is None:
            return self.sq_cost(s, Q)
        cycle_demand = self.life_demand.loss(s) - self.life_demand.loss(s + Q)  # = Q − ER(s,Q)
        outdated = Q - cycle_demand
        feasible = cycle_demand > _MIN_CYCLE_DEMAND
        per_cycle = self.K + self.pi * self.lead_demand.loss(s) + self.W * outdated
        with np.errstate(divide="ignore", invalid="ignore"):
            ordering = per_cycle * self.a / cycle_demand
        return np.where(feasible, ordering + self.h * (Q / 2.0 + s - self.mu), np.inf)

    def usage(self, s: np.ndarray, Q: np.ndarray) -> dict[str, np.ndarray]:
        return {"peak": (s + Q).astype(float), "average": np.maximum(0.0, Q / 2.0 + s - self.mu)}

    def usage_lower_bounds(self) -> dict[str, float]:
        """The least peak (s + Q) and average stock any allowed (s, Q) uses: s ≥ s_floor(Q), Q ≥ 1.

        With a fill-rate target the floor is exact over Q ≤ 2·(s_floor(1) + 1): s_floor ≥ 0, so beyond that Q alone
        exceeds both usages at Q = 1. A coupled partition whose targets cannot fit its capacity is then proven
        infeasible up front instead of searched for a combination that does not exist."""
        if self._usage_lows is None:
            # without a target the floor is min_inventory at every Q: these are exact then
            low = self.min_inventory
            self._usage_lows = {"peak": 1.0 + low, "average": max(0.0, 0.5 + low - self.mu)}
            top = 0 if self.alpha is None else 2 * (int(self.s_floor(np.array([1]))[0]) + 1)
            if 0 < top <= _MAX_FLOOR_SCAN:
                Q = np.arange(1, top + 1, dtype=np.int64)
                self._usage_lows = {kind: float(v.min()) for kind, v in self.usage(self.s_floor(Q), Q).items()}
        return self._usage_lows

    def s_floor(self, Q: np.ndarray) -> np.ndarray:
        """Smallest s allowed for each Q: ``min_inventory`` and the fill-rate target (0 without either)."""
        floor = np.full(np.shape(Q), self.min_inventory, dtype=np.int64)
        if self.alpha is None:
            return floor
        return np.maximum(floor, sq_fill_floor(self.lead_demand, Q, self.alpha))

    def validity_error(self, decision: Mapping[str, int], cost: float) -> str | None:
        """Why the formula's optimum ``decision`` is not the cost of a policy, or None when it is.

        The holding term ``h·(Q/2 + s − μ)`` is Hadley–Whitin's approximation of the average stock on hand, valid when
        backorders are rare; it is really the average *net* stock (on hand − backorders), so where ``Q/2 + s − μ < 0``
        it credits h per backordered unit per day. That happens when holding a unit through the lead time costs more
        than backordering it (h·L ≳ π), e.g. long lead times. The optimum is still the exact minimum of the documented
        formula (docs/policies.md) and is reported as such while its cost is positive; a *negative* minimum cannot be
        the cost of any policy, so it is an error naming the inputs (solve-policies and the optimize job alike).
        """
        s, Q = int(decision["s"]), int(decision["Q"])
        net_stock = Q / 2.0 + s - self.mu
        if net_stock >= 0 or cost >= 0:
            return None
        return (
            f"inputs L, h, pi outside the (s,Q) cost model's validity: its minimum (s={s}, Q={Q}, cost {cost:.6g}) "
            f"is negative, with average net stock Q/2 + s - a*L = {net_stock:.6g} < 0, where the holding term "
            f"h*(Q/2 + s - a*L) credits h per backordered unit per day instead of charging for stock (Hadley-Whitin "
            f"assumes few backorders); holding a unit through the lead time costs h*L = {self.h * self.lead.mean:.6g} "
            f"per unit against pi = {self.pi:.6g} per unit backordered: raise pi or shorten L"
        )

    # ----- the sQ curve and band -----------------------------------------------------------------------------------
    def best_s(self, Q: np.ndarray) -> np.ndarray:
        """s*(Q): smallest s ≥ 0 with π·a·P(X > s) ≤ h·Q, raised to the floor (the constrained minimiser)."""
        s_star = self.lead_demand.smallest_k_with_sf_at_most(self.pi * self.a, self.h * Q)
        return s_star if self.alpha is None and self.min_inventory == 0 else np.maximum(s_star, self.s_floor(Q))

    def max_order_quantity(self, limit: float, max_usage: Mapping[str, float] | None = None) -> int:
        """Q ≤ 2(U/h + μ) from C ≥ h(Q/2 − μ) (prices only add non-negative terms) and, under usage caps, the
        largest Q any s ≥ min_inventory fits: Q ≤ peak − min_inventory, Q ≤ 2(average + μ − min_inventory).
        Checked against the size limit before any Q grid is built: a cost bound that is loose against a small h
        (cheap items) must not fail an item whose shelf cap allows only a few Q."""
        by_cost = 2.0 * (limit / self.h + self.mu)
        caps = max_usage or {}
        by_usage = min(
            caps.get("peak", math.inf) - self.min_inventory,
            2.0 * (caps.get("average", math.inf) + self.mu - self.min_inventory),
        )
        bound, what = (
            (by_usage, f"the order quantities Q within the usage caps {dict(caps)}")
            if by_usage < by_cost
            else (by_cost, f"the order quantities Q ≤ 2·(cost {limit:.6g} / h + a·L = {self.mu:.6g})")
        )
        check_grid(bound, what)
        return max(1, math.floor(bound + 1e-9))

    def _options(self, s: np.ndarray, Q: np.ndarray) -> OptionSet:
        return OptionSet({"s": s, "Q": Q}, self.cost(s, Q), self.usage(s, Q))

    def _priced_bound(self, s: np.ndarray, Q: np.ndarray, prices: Prices) -> np.ndarray:
        """C_sQ(s,Q) + Σ_k prices[k]·usage_k(s,Q): convex in s, a lower bound on the priced exact cost."""
        value = self.sq_cost(s, Q)
        for kind, usage in self.usage(s, Q).items():
            if prices.get(kind, 0.0):
                value = value + prices[kind] * usage
        return value

    def _row_minimiser(self, Q: np.ndarray, prices: Prices) -> np.ndarray:
        """Per Q, the minimiser of the priced bound over s ≥ floor(Q): s*(Q) without prices, else the first s in
        [floor(Q), s*(Q)] where its forward difference turns ≥ 0 (prices only move the minimiser down)."""
        s_star = self.best_s(Q)
        if not any(prices.values()):
            return s_star
        lo, hi = self.s_floor(Q), s_star.copy()
        while np.any(lo < hi):
            mid = (lo + hi) // 2
            rising = self._priced_bound(mid + 1, Q, prices) >= self._priced_bound(mid, Q, prices)
            hi, lo = np.where(rising, mid, hi), np.where(rising, lo, mid + 1)
        return lo

    def _outdating_bound(self, s: np.ndarray, Q: np.ndarray, prices: Prices) -> np.ndarray:
        """Lower bound on the priced perishable cost that is non-decreasing in s: with D = Q − ER(s,Q) ≤
        min(Q, L(s;Y)) and ER ≥ max(0, Q − L(s;Y)), ``C ≥ (K + W·max(0, Q − L(s;Y)))·a / min(Q, L(s;Y)) +
        h(Q/2 + s − μ)``. Past Q ≈ E[Y] every extra unit expires, so it also caps Q."""
        life_loss = self.life_demand.loss(s)
        with np.errstate(divide="ignore", invalid="ignore"):
            ordering = (self.K + self.W * np.maximum(0.0, Q - life_loss)) * self.a / np.minimum(Q, life_loss)
        ordering = np.where(life_loss > _MIN_CYCLE_DEMAND, ordering, np.inf)
        return ordering + self._priced_bound(s, Q, prices) - self.sq_cost(s, Q) + self.h * (Q / 2.0 + s - self.mu)

    def _bisect(
        self,
        bound: Callable[[np.ndarray, np.ndarray, Prices], np.ndarray],
        Q: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        limit: float,
        prices: Prices,
        first_ok: bool,
    ) -> np.ndarray:
        """Per row, the first s in [lo, hi] with ``bound ≤ limit`` (bound non-increasing there) or, with
        ``first_ok=False``, the last one (bound non-decreasing there)."""
        lo, hi = lo.copy(), hi.copy()
        while np.any(lo < hi):
            mid = (lo + hi) // 2 if first_ok else (lo + hi + 1) // 2
            ok = bound(mid, Q, prices) <= limit
            if first_ok:
                hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid + 1)
            else:
                lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid - 1)
        return lo

    def _band(self, limit: float, max_usage: Mapping[str, float], prices: Prices) -> OptionSet:
        """All (s,Q) whose priced lower bounds are ≤ limit and usages fit ``max_usage``, as one s-interval per Q
        around the row minimiser of the convex sQ bound (vectorised bisection on both monotone sides). sQ stops each
        interval at s*(Q) (beyond it an option is dominated); sQ_perishable also cuts rows and interval ends with the
        outdating bound. The exact cost is then evaluated on the band and filtered."""
        limit = limit + slack(limit)
        Q = np.arange(1, self.max_order_quantity(limit, max_usage) + 1, dtype=np.int64)
        if self.life_demand is not None:
            Q = Q[self._outdating_bound(np.zeros_like(Q), Q, prices) <= limit]
        s_min = self._row_minimiser(Q, prices)
        peak_cap, average_cap = max_usage.get("peak", np.inf), max_usage.get("average", np.inf)
        s_cap = np.clip(np.floor(np.minimum(peak_cap - Q, average_cap + self.mu - Q / 2.0) + 1e-9), -1, 2**40)
        rows = (self._priced_bound(s_min, Q, prices) <= limit) & (s_cap >= 0)
        Q, s_min, s_cap = Q[rows], s_min[rows], s_cap[rows].astype(np.int64)
        s_lo = self._bisect(self._priced_bound, Q, self.s_floor(Q), s_min, limit, prices, first_ok=True)
        if self.life_demand is None:
            s_hi = self._bisect(self._priced_bound, Q, s_min, self.best_s(Q), limit, prices, first_ok=False)
        else:
            s_top = np.maximum(np.floor(limit / self.h + self.mu - Q / 2.0 + 1.0).astype(np.int64), s_min)
            s_hi = np.minimum(
                self._bisect(self._priced_bound, Q, s_min, s_top, limit, prices, first_ok=False),
                self._bisect(self._outdating_bound, Q, np.zeros_like(s_min), s_top, limit, prices, first_ok=False),
            )
        s_hi = np.minimum(s_hi, s_cap)
        counts = np.maximum(s_hi - s_lo + 1, 0)
        check_grid(float(counts.sum()), "the (s,Q) options within the cost bound")
        Q_flat = np.repeat(Q, counts)
        s_flat = np.repeat(s_lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        options = self._options(s_flat, Q_flat)
        return options.take(options.priced_cost(prices) <= limit)

    def _starting_bound(self, prices: Prices) -> float:
        """Priced cost of good feasible guesses: Q at the EOQ without and with backorders (sQ); for sQ_perishable the
        whole sQ curve up to the Q bound those guesses give, at s = row minimiser and s = 0."""
        eoq = math.sqrt(2.0 * self.a * self.K / self.h)
        eoq_backorders = math.sqrt(2.0 * self.a * (self.K + self.pi * self.mu) / self.h)
        Q = np.unique(np.array([1, max(1, round(eoq)), max(1, round(eoq_backorders))], dtype=np.int64))
        s = self._row_minimiser(Q, prices)
        if self.life_demand is None:
            return float(np.min(self._priced_bound(s, Q, prices)))
        Q = np.arange(1, self.max_order_quantity(float(np.min(self._priced_bound(s, Q, prices)))) + 1, dtype=np.int64)
        s = self._row_minimiser(Q, prices)
        candidates = self._options(np.concatenate([s, self.s_floor(Q)]), np.concatenate([Q, Q]))
        return float(np.min(candidates.priced_cost(prices)))

    # ----- ItemOptions ---------------------------------------------------------------------------------------------
    def best(self, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """Minimiser of the priced cost. sQ: argmin over the row minimisers of the provable Q range, cut at the Q that
        ``max_usage`` allows (any allowed option has such a Q, so the minimum is still a lower bound on every allowed
        option's cost, and the optimum when it fits); perishable: argmin over the band of a bound found on the sQ
        curve."""
        prices = prices or {}
        upper = self._starting_bound(prices)
        if not math.isfinite(upper):
            return self._options(np.zeros(0, np.int64), np.zeros(0, np.int64))
        if self.life_demand is None:
            Q = np.arange(1, self.max_order_quantity(upper, max_usage) + 1, dtype=np.int64)
            return self._options(self._row_minimiser(Q, prices), Q).cheapest(prices)
        return self._band(upper, {}, prices).cheapest(prices)

    def options(self, limit: float, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        return self._band(limit, max_usage, prices or {})
