"""Joint replenishment ``jrp``: the items one supplier delivers to one store share a review period and a truck.

A supplier delivers every ``f`` days (its ``shipment_freq_days``) and charges ``K`` per shipment, however many lines
it carries. The policy reviews all the partition's items together every ``R = m·f`` days (m = 1, 2, …, so every
review falls on a delivery day) and orders each item i up to its own level ``S_i``: one shipment, ``K`` paid once.

**Why order-up-to levels and not can-order levels.** Can-order policies (s_i, c_i, S_i) pay off when each line has
a fixed cost of its own, so that a line rides along only when it is close to its reorder point. Here a line costs
nothing beyond the shipment (freight is per unit, the same whoever orders it), and deliveries come on a fixed
calendar: once the truck comes, topping every item up to its level is optimal for a fixed review schedule (the
base-stock argument: with no per-order cost the order-up-to policy is optimal per item). The extra can-order
parameters would buy nothing and the replay's ``order_up_to`` rule runs the decision as it is.

**Cost per day** of R and levels S_i (docs/policies.md names; L_i = the demand lead time, the days of sales between
a review's order, placed after closing, and its delivery before opening, i.e. the supplier's lead time − 1; X_i =
demand over L_i + R, Y_i = demand over L_i + life_i, the days a unit ordered at a review can still be sold, Z_i =
demand over L_i + life_i + R; all compound with a lead-time spread)::

    C(R, S) = K/R + Σ_i [ h_i·(a_i·R/2 + S_i − a_i(L_i+R)) + (π_i/R)·L(S_i; X_i) + (W_i/R)·O_i(R, S_i) ]
    O_i(R, S) = E[(S − Y_i)^+] − E[(S − Z_i)^+]

The first two item terms are the (R,S) policy's holding and shortage costs (``optimize/rs.py``, with the ordering
cost moved to the shared K/R). The last is the expected outdating of one review's batch for perishables (W = unit
cost + disposal cost, as for sQ_perishable), Chiu's ``ER(s, Q) = E[(s+Q−Y)^+] − E[(s−Y)^+]`` with the order-up-to
policy's batch: the batch ordered at a review is what sold over the R days before it (D_R), it is the newest part of
the S units on hand and on order, and FIFO sells it last, so what is left of it when it expires, at the close of
the (L + life)-th day after it was ordered, is ``(S − Y)^+ − (S − D_R − Y)^+``; D_R + Y is Z. (Counting
``E[(S − Y)^+]`` alone would count the older batches' expiries again in every review whose window they fall in.)
Items without a shelf life have no such term.

**Constraints.**

* Freshness: ``R ≤ life_i`` for a perishable item (a batch must last until the next one arrives; with a longer
  period it expires first and every cycle ends with days of empty shelf that the shortage term does not see).
* Service level: the fill rate ``β_i(R, S_i) = 1 − (L(S_i; X_i) − L(S_i; X_{L,i}))/(a_i·R) ≥ α_i`` and
  ``S_i ≥ min_inventory_i`` (floors on S_i, as for RS, :mod:`lakehouse_inv.optimize.targets`); ``S_i ≥ ⌈a_i(L_i+R)⌉``
  (the cost formula's validity, as for RS); ``S_i ≤ max_inventory_i`` (the shelf).
* The truck: an order-up-to review orders what sold since the previous one, so a shipment carries on average
  ``R·Σ_i a_i·v_i`` volume and ``R·Σ_i a_i·c_i`` purchase value whatever the levels. The supplier's minimum and
  maximum shipping volume and purchase budget per order bound these expectations: rows on R. (A single shipment
  can still exceed a limit; the replay and ``generate_orders`` fit it with the reason,
  :mod:`lakehouse_inv.replenishment.shipments`.)

**Exact solution.** For a fixed R the items do not interact: each item's best level is the minimiser over
``[max(⌈a_i(L_i+R)⌉, floor_i(R)), max_inventory_i]``, found by evaluating every level up to the RS minimiser
``S*_i(R)``: above it the (R,S) terms grow (they are convex in S) and the outdating term does not fall (its slope
``P(Y ≤ S) − P(Z ≤ S)`` is ≥ 0 because Z ≥ Y), so nothing above S*_i(R) is cheaper. Every item term
is at least ``h_i·a_i·R/2`` (S_i ≥ a_i(L_i+R) and the other terms are ≥ 0), so once ``R·Σ_i h_i·a_i/2`` exceeds the
best total found at a row-feasible R, no longer review period can win: the candidate list is complete. One Pyomo
model per partition then picks the review period::

    min  Σ_m (K/R_m + Σ_i C_i*(R_m))·z_m
    s.t. Σ_m z_m = 1,   V_min ≤ Σ_m R_m·Σ_i a_i v_i·z_m ≤ V_max,   Σ_m R_m·Σ_i a_i c_i·z_m ≤ B,   z_m ∈ {0, 1}

with ``C_i*(R) = min_S C_i(R, S)`` from the scan (review periods at which some item has no feasible level are
left out, with the count and an example in the message of an infeasible partition). The model is small because
lines are free: R is the only decision the items share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression

from lakehouse_inv.optimize.distributions import DailyDemand, DemandDistribution
from lakehouse_inv.optimize.options import slack
from lakehouse_inv.optimize.rs import DEFAULT_R_MAX, RSItem
from lakehouse_inv.optimize.solver import INFEASIBLE, SolveOutcome, SolverOptions, solve


@dataclass(frozen=True)
class JrpItemInputs:
    """One item of a jrp partition (docs/policies.md names). ``life`` None = does not expire; ``max_inventory``
    None = no shelf limit; ``volume`` and ``unit_cost`` per unit (only needed for the shipment limits)."""

    a: float
    L: int
    h: float
    pi: float
    demand: DailyDemand
    L_ci: int = 0
    alpha: float | None = None
    min_inventory: int = 0
    max_inventory: float | None = None
    W: float = 0.0
    life: int | None = None
    volume: float = 0.0
    unit_cost: float = 0.0


@dataclass(frozen=True)
class JrpProblem:
    """A partition: its items, the shipment cost ``K``, the delivery rhythm ``every`` (days), the longest review
    period ``R_max`` and the supplier's shipment limits (None = no limit)."""

    items: list[JrpItemInputs]
    K: float
    every: int = 1
    R_max: int = DEFAULT_R_MAX
    min_volume: float | None = None
    max_volume: float | None = None
    max_value: float | None = None


class JrpItem:
    """The cost model of one item (module docstring): the (R,S) terms without ordering cost, plus outdating."""

    def __init__(self, inputs: JrpItemInputs, R_max: int) -> None:
        self.inputs = inputs
        self._rs = RSItem(
            inputs.a,
            inputs.L,
            inputs.h,
            0.0,
            inputs.pi,
            inputs.demand,
            R_max,
            L_ci=inputs.L_ci,
            alpha=inputs.alpha,
            min_inventory=inputs.min_inventory,
        )
        self._sellable: DemandDistribution | None = None
        self._sellable_after: dict[int, DemandDistribution] = {}
        if inputs.life is not None and inputs.W > 0 and inputs.a > 0:
            self._sellable = inputs.demand.over_lead_time(self._rs.lead, inputs.life)

    def cost(self, R: int, S: np.ndarray) -> np.ndarray:
        """C_i(R, S) per day, vectorised over S."""
        value = self._rs.cost(R, S)
        if self._sellable is not None:
            value = value + self.inputs.W / R * self.outdated(R, S)
        return value

    def outdated(self, R: int, S: np.ndarray) -> np.ndarray:
        """Expected units of one review's batch that expire: ``E[(S − Y)^+] − E[(S − Z)^+]`` (module docstring)."""
        if self._sellable is None:
            return np.zeros(np.shape(S))
        if R not in self._sellable_after:
            life = self.inputs.life or 1
            self._sellable_after[R] = self.inputs.demand.over_lead_time(self._rs.lead, life + R)
        S = np.asarray(S, dtype=np.int64)
        after = self._sellable_after[R]
        return (self._sellable.loss(S) - self._sellable.mean) - (after.loss(S) - after.mean)

    def best_level(self, R: int) -> tuple[int, float] | None:
        """``(S, C_i(R, S))`` minimising the cost over the feasible levels of review period R, or None if none is
        feasible (R longer than the shelf life, or the floor above ``max_inventory``)."""
        life = self.inputs.life
        if life is not None and life < R:
            return None
        low = self._rs.lowest_S(R)
        high = self._rs.best_S(R)
        cap = self.inputs.max_inventory
        if cap is not None:
            if low > cap + 1e-9:
                return None
            high = min(high, math.floor(cap + 1e-9))
        S = np.arange(low, max(low, high) + 1, dtype=np.int64)
        costs = self.cost(R, S)
        best = int(np.argmin(costs))  # every level of the range evaluated; ties keep the smaller level
        return int(S[best]), float(costs[best])

    def why_not(self, R: int) -> str:
        """Why review period R has no feasible level (after :meth:`best_level` returned None)."""
        life = self.inputs.life
        if life is not None and life < R:
            return f"R = {R} > shelf life {life}"
        return f"floor {self._rs.lowest_S(R)} > max_inventory {self.inputs.max_inventory:g} at R = {R}"


@dataclass(frozen=True)
class JrpCandidates:
    """The review periods the model chooses from, with each item's best level and cost at each (rows = R)."""

    R: np.ndarray
    levels: np.ndarray
    item_costs: np.ndarray
    volume: np.ndarray
    value: np.ndarray
    notes: list[str] = field(default_factory=list)

    def totals(self, K: float) -> np.ndarray:
        return K / self.R + self.item_costs.sum(axis=1)


def candidates(problem: JrpProblem) -> JrpCandidates:
    """Every review period R = m·every ≤ R_max that can be optimal (module docstring: the bound), each with the
    items' best levels. Rows where some item has no feasible level are left out (counted in ``notes``)."""
    items = [JrpItem(item, problem.R_max) for item in problem.items]
    a = np.array([i.a for i in problem.items])
    holding_slope = float(np.dot([i.h for i in problem.items], a)) / 2.0  # C(R) ≥ R·Σ h_i a_i / 2
    volume_rate = float(np.dot([i.volume for i in problem.items], a))
    value_rate = float(np.dot([i.unit_cost for i in problem.items], a))
    rows: list[tuple[int, list[int], list[float]]] = []
    best = math.inf
    blocked: dict[int, int] = {}
    stop = ""
    lives = [i.life for i in problem.items if i.life is not None]
    longest = min([problem.R_max, *lives])
    if longest < problem.every:
        return _no_candidates(
            n=len(items),
            note=f"shelf life {min(lives)} is shorter than the delivery rhythm "
            f"{problem.every} days: no review period keeps every batch fresh until the next one",
        )
    for m in range(1, longest // problem.every + 1):
        R = m * problem.every
        if holding_slope > 0 and holding_slope * R > best + slack(best):
            break
        if problem.max_volume is not None and R * volume_rate > problem.max_volume + slack(problem.max_volume):
            stop = f"R = {R} and longer ship {R * volume_rate:g} volume on average, above the maximum"
            break
        if problem.max_value is not None and R * value_rate > problem.max_value + slack(problem.max_value):
            stop = f"R = {R} and longer ship {R * value_rate:g} purchase value on average, above the budget"
            break
        chosen = [item.best_level(R) for item in items]
        missing = [i for i, c in enumerate(chosen) if c is None]
        if missing:
            blocked[R] = missing[0]
            continue
        levels = [c[0] for c in chosen if c is not None]
        costs = [c[1] for c in chosen if c is not None]
        rows.append((R, levels, costs))
        if problem.min_volume is None or R * volume_rate >= problem.min_volume - slack(problem.min_volume):
            best = min(best, problem.K / R + sum(costs))
    notes = []
    if blocked:
        first = min(blocked)
        i = blocked[first]
        notes.append(
            f"{len(blocked)} review period(s) left out because some item has no feasible level "
            f"(e.g. item {i}: {items[i].why_not(first)})"
        )
    if stop:
        notes.append(stop)
    n = len(problem.items)
    return JrpCandidates(
        R=np.array([r for r, _, _ in rows], dtype=np.int64),
        levels=np.array([lv for _, lv, _ in rows], dtype=np.int64).reshape(len(rows), n),
        item_costs=np.array([c for _, _, c in rows], dtype=float).reshape(len(rows), n),
        volume=np.array([r * volume_rate for r, _, _ in rows], dtype=float),
        value=np.array([r * value_rate for r, _, _ in rows], dtype=float),
        notes=notes,
    )


def _no_candidates(n: int, note: str) -> JrpCandidates:
    empty = np.zeros(0)
    return JrpCandidates(np.zeros(0, np.int64), np.zeros((0, n), np.int64), np.zeros((0, n)), empty, empty, [note])


def build_jrp_model(problem: JrpProblem, found: JrpCandidates) -> pyo.ConcreteModel:
    """The partition's MILP (module docstring) over the candidate review periods; z starts at the cheapest
    row-feasible one (a MIP start)."""
    model = pyo.ConcreteModel(name="joint_replenishment")
    rows = list(range(len(found.R)))
    totals = found.totals(problem.K)
    model.z = pyo.Var(rows, within=pyo.Binary)
    z = [model.z[m] for m in rows]
    model.objective = pyo.Objective(
        expr=LinearExpression(constant=0.0, linear_coefs=totals.tolist(), linear_vars=z), sense=pyo.minimize
    )
    model.one_review_period = pyo.Constraint(expr=sum(z) == 1)
    volume = LinearExpression(constant=0.0, linear_coefs=found.volume.tolist(), linear_vars=z)
    if problem.min_volume is not None:
        model.min_volume = pyo.Constraint(expr=volume >= problem.min_volume - slack(problem.min_volume))
    if problem.max_volume is not None:
        model.max_volume = pyo.Constraint(expr=volume <= problem.max_volume + slack(problem.max_volume))
    if problem.max_value is not None:
        value = LinearExpression(constant=0.0, linear_coefs=found.value.tolist(), linear_vars=z)
        model.max_value = pyo.Constraint(expr=value <= problem.max_value + slack(problem.max_value))
    feasible = _row_feasible(problem, found)
    if feasible.any():
        start = int(np.flatnonzero(feasible)[np.argmin(totals[feasible])])
        for m in rows:
            model.z[m].set_value(1 if m == start else 0)
    return model


def _row_feasible(problem: JrpProblem, found: JrpCandidates) -> np.ndarray:
    ok = np.ones(len(found.R), dtype=bool)
    if problem.min_volume is not None:
        ok &= found.volume >= problem.min_volume - slack(problem.min_volume)
    if problem.max_volume is not None:
        ok &= found.volume <= problem.max_volume + slack(problem.max_volume)
    if problem.max_value is not None:
        ok &= found.value <= problem.max_value + slack(problem.max_value)
    return ok


@dataclass(frozen=True)
class JrpSolution:
    """The solve's outcome; with a solution, the review period, each item's level and each item's cost per day
    (its own terms plus an equal share of K/R, so the shares add up to the objective)."""

    outcome: SolveOutcome
    R: int | None = None
    levels: list[int] | None = None
    item_costs: list[float] | None = None

    @property
    def decision(self) -> dict[str, Any] | None:
        if self.R is None or self.levels is None:
            return None
        return {"R": self.R, "S": list(self.levels)}


def solve_jrp(problem: JrpProblem, options: SolverOptions | None = None) -> JrpSolution:
    """Candidates, model, HiGHS (module docstring). No candidate at all is ``infeasible`` without a solver call."""
    found = candidates(problem)
    if len(found.R) == 0:
        why = "; ".join(found.notes) or f"no review period R = m x {problem.every} <= R_max {problem.R_max}"
        return JrpSolution(SolveOutcome(INFEASIBLE, None, None, None, 0.0, message=f"no feasible review period: {why}"))
    model = build_jrp_model(problem, found)
    outcome = solve(model, options)
    if not outcome.has_solution:
        if outcome.status == INFEASIBLE and found.notes:
            outcome = SolveOutcome(
                outcome.status,
                None,
                None,
                None,
                outcome.wall_ms,
                message=f"{outcome.message}; {'; '.join(found.notes)}",
            )
        return JrpSolution(outcome)
    chosen = [m for m in range(len(found.R)) if (pyo.value(model.z[m]) or 0.0) > 0.5]
    m = chosen[0]
    R = int(found.R[m])
    share = problem.K / R / len(problem.items)
    costs = (found.item_costs[m] + share).tolist()
    return JrpSolution(outcome, R, found.levels[m].tolist(), costs)
