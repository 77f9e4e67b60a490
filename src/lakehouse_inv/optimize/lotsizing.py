"""Lot sizing for ``ww`` (Wagner–Whitin, one product, no capacity) and ``clsp`` (several products, shared capacity
per period), docs/policies.md: a MILP for clsp, its shortest-path form for ww.

For products i and periods t = 1 … T (costs over the horizon)::

    min  Σ_i Σ_t K_i·y_it + h_i·I_it
    s.t. I_it = I_i,t−1 + x_it − d_it,  I_i0 = 0            (inventory balance, holding on end-of-period stock)
         x_it ≤ M_it·y_it,  M_it = min(Σ_{τ≥t} d_iτ, C)     (big-M: never order more than the remaining demand)
         Σ_i x_it ≤ C                                        (clsp only)
         x, I ≥ 0,  y ∈ {0, 1}

The big-M is the tightest valid one: an optimal plan never carries stock past the horizon. clsp is infeasible
exactly when cumulative demand exceeds cumulative capacity in some period; HiGHS proves it.

ww (no capacity; several products are independent ww problems solved in one model) is solved in its shortest-path
form instead, the same problem with an LP relaxation that is integral (Evans 1985; Pochet & Wolsey 2006, ch. 7):
nodes 0 … T, and an arc t → s + 1 (binary ``cover[i, t, s]``) for "the order of period t carries the demand of
periods t … s", costing K_i when that demand is positive plus the holding h_i·Σ_{j=t+1..s} (j − t)·d_ij; one unit
of flow from node 0 to node T picks the plan, x_it = Σ_s d_i(t..s)·cover[i, t, s]. An optimal plan orders only
when stock runs out (zero-inventory ordering, Wagner & Whitin 1958), so the arcs need only cover whole runs of
periods; and some are never optimal, so they are left out:

* an arc starting in a period without demand and covering more (t < s, d_it = 0): no order at t and the next order
  placed one period later costs no more;
* an arc ending in a period without demand (t < s, d_is = 0): ending one period earlier costs no more;
* an arc whose last period's demand costs more to hold than a new order (h_i·(s − t)·d_is > K_i).

Integral relaxation means HiGHS proves the optimum at the root, without branching: the MILP above branched, at
~25 ms per 28-period item, and across items when a partition held several. The plan is the same cost; among plans
of equal cost the kept arcs pick one that orders only in periods with demand. The arcs grow with T², so a problem
that could have more than PATH_ARCS_LIMIT of them (a long horizon of daily periods through the batch interface) is
solved as the MILP instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from lakehouse_inv.optimize.solver import SolveOutcome, SolverOptions, solve


@dataclass(frozen=True)
class LotSizingData:
    """``demand[i][t]`` per product and period, ``K[i]`` setup cost, ``h[i]`` holding cost per unit and period,
    ``capacity`` units per period (``None`` = uncapacitated)."""

    demand: np.ndarray
    K: np.ndarray
    h: np.ndarray
    capacity: float | None = None

    @property
    def big_m(self) -> np.ndarray:
        remaining = np.cumsum(self.demand[:, ::-1], axis=1)[:, ::-1]
        return remaining if self.capacity is None else np.minimum(remaining, self.capacity)


def build_lot_sizing_model(data: LotSizingData) -> pyo.ConcreteModel:
    """The MILP above (with a capacity or without); ``model.order[i, t]``, ``model.setup[i, t]``,
    ``model.stock[i, t]`` with 0-based indices."""
    n_products, n_periods = data.demand.shape
    big_m = data.big_m
    model = pyo.ConcreteModel(name="lot_sizing")
    model.products = pyo.RangeSet(0, n_products - 1)
    model.periods = pyo.RangeSet(0, n_periods - 1)
    model.order = pyo.Var(model.products, model.periods, domain=pyo.NonNegativeReals)
    model.stock = pyo.Var(model.products, model.periods, domain=pyo.NonNegativeReals)
    model.setup = pyo.Var(model.products, model.periods, domain=pyo.Binary)

    def balance(m: pyo.ConcreteModel, i: int, t: int) -> pyo.Expression:
        previous = m.stock[i, t - 1] if t > 0 else 0.0
        return m.stock[i, t] == previous + m.order[i, t] - float(data.demand[i, t])

    model.balance = pyo.Constraint(model.products, model.periods, rule=balance)
    model.order_needs_setup = pyo.Constraint(
        model.products, model.periods, rule=lambda m, i, t: m.order[i, t] <= float(big_m[i, t]) * m.setup[i, t]
    )
    if data.capacity is not None:
        model.capacity = pyo.Constraint(
            model.periods, rule=lambda m, t: sum(m.order[i, t] for i in m.products) <= float(data.capacity)
        )
    model.total_cost = pyo.Objective(
        expr=sum(
            float(data.K[i]) * model.setup[i, t] + float(data.h[i]) * model.stock[i, t]
            for i in range(n_products)
            for t in range(n_periods)
        ),
        sense=pyo.minimize,
    )
    return model


@dataclass(frozen=True)
class LotSizingSolution:
    outcome: SolveOutcome
    orders: np.ndarray | None
    """``orders[i][t]``, rounded to 1e-6 (integers when all demands are integers); None without a solution."""
    product_costs: np.ndarray | None
    """Setup plus holding cost of each product in the plan."""


def demand_before(demand: np.ndarray) -> np.ndarray:
    """``[i, t]``: product i's demand of the periods before t (t = 0 … T), so an arc (t, s) carries
    ``demand_before[i, s + 1] − demand_before[i, t]``."""
    return np.concatenate([np.zeros((demand.shape[0], 1)), np.cumsum(demand, axis=1)], axis=1)


def path_arcs(data: LotSizingData) -> list[tuple[int, int, int]]:
    """The arcs (i, t, s) of the shortest-path form that can be in an optimal plan (module docstring)."""
    n_products, n_periods = data.demand.shape
    arcs = []
    for i in range(n_products):
        d, K, h = data.demand[i], float(data.K[i]), float(data.h[i])
        for t in range(n_periods):
            arcs.append((i, t, t))
            if d[t] <= 0:
                continue
            for s in range(t + 1, n_periods):
                if h * (s - t) * d[s] > K:
                    continue  # holding period s's demand from t costs more than ordering it in s
                if d[s] > 0:
                    arcs.append((i, t, s))
    return arcs


def build_shortest_path_model(data: LotSizingData) -> tuple[pyo.ConcreteModel, list[tuple[int, int, int]]]:
    """The uncapacitated problem in shortest-path form (module docstring): ``model.cover[k]`` for arc k of the
    returned list."""
    if data.capacity is not None:
        raise ValueError("the shortest-path form has no capacity: use build_lot_sizing_model")
    demand = data.demand
    n_products, n_periods = demand.shape
    arcs = path_arcs(data)
    before = demand_before(demand)
    weighted = demand_before(demand * np.arange(n_periods))  # Σ_{j<t} j·d_ij: the holding of an arc in O(1)
    model = pyo.ConcreteModel(name="lot_sizing_path")
    model.arcs = pyo.RangeSet(0, len(arcs) - 1)
    model.cover = pyo.Var(model.arcs, domain=pyo.Binary)
    leaving: dict[tuple[int, int], list[int]] = {}
    entering: dict[tuple[int, int], list[int]] = {}
    costs = []
    for k, (i, t, s) in enumerate(arcs):
        leaving.setdefault((i, t), []).append(k)
        entering.setdefault((i, s + 1), []).append(k)
        carried = before[i, s + 1] - before[i, t]
        held = (weighted[i, s + 1] - weighted[i, t]) - t * carried  # Σ_{j=t..s} (j − t)·d_ij
        costs.append((float(data.K[i]) if carried > 0 else 0.0) + float(data.h[i]) * held)

    def flow(m: pyo.ConcreteModel, i: int, node: int) -> pyo.Expression:
        out = sum(m.cover[k] for k in leaving.get((i, node), []))
        into = sum(m.cover[k] for k in entering.get((i, node), []))
        supply = 1.0 if node == 0 else -1.0 if node == n_periods else 0.0
        return out - into == supply

    model.flow = pyo.Constraint(pyo.RangeSet(0, n_products - 1), pyo.RangeSet(0, n_periods), rule=flow)
    model.total_cost = pyo.Objective(
        expr=sum(cost * model.cover[k] for k, cost in enumerate(costs)), sense=pyo.minimize
    )
    return model, arcs


PATH_ARCS_LIMIT = 250_000
"""Most arcs (products × T(T + 1)/2, before pruning) an uncapacitated problem is solved with in shortest-path form:
615 products of 28 periods, which take ~5 s and ~0.5 GB when nothing is pruned."""


def solve_lot_sizing(data: LotSizingData, options: SolverOptions | None = None) -> LotSizingSolution:
    """ww (no capacity) in shortest-path form when its arcs fit PATH_ARCS_LIMIT, else (and clsp) the MILP."""
    n_products, n_periods = data.demand.shape
    if data.capacity is None and n_products * n_periods * (n_periods + 1) // 2 <= PATH_ARCS_LIMIT:
        model, arcs = build_shortest_path_model(data)
        outcome = solve(model, options)
        if not outcome.has_solution:
            return LotSizingSolution(outcome, None, None)
        orders = np.zeros((n_products, n_periods))
        before = demand_before(data.demand)
        for k, (i, t, s) in enumerate(arcs):
            if (model.cover[k].value or 0.0) > 0.5:
                orders[i, t] += before[i, s + 1] - before[i, t]
    else:
        model = build_lot_sizing_model(data)
        outcome = solve(model, options)
        if not outcome.has_solution:
            return LotSizingSolution(outcome, None, None)
        orders = np.array([[model.order[i, t].value or 0.0 for t in range(n_periods)] for i in range(n_products)])
    orders = np.round(orders, 6)
    if np.all(data.demand == np.round(data.demand)):
        orders = np.round(orders)
    setups = orders > 0
    stock = np.cumsum(orders - data.demand, axis=1)
    product_costs = data.K * setups.sum(axis=1) + data.h * np.clip(stock, 0.0, None).sum(axis=1)
    return LotSizingSolution(outcome, orders + 0.0, product_costs)
