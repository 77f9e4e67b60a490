"""Lot-sizing MILP for ``ww`` (Wagner–Whitin, one product, no capacity) and ``clsp`` (several products, shared
capacity per period), docs/policies.md.

For products i and periods t = 1 … T (costs over the horizon)::

    min  Σ_i Σ_t K_i·y_it + h_i·I_it
    s.t. I_it = I_i,t−1 + x_it − d_it,  I_i0 = 0            (inventory balance, holding on end-of-period stock)
         x_it ≤ M_it·y_it,  M_it = min(Σ_{τ≥t} d_iτ, C)     (big-M: never order more than the remaining demand)
         Σ_i x_it ≤ C                                        (clsp only)
         x, I ≥ 0,  y ∈ {0, 1}

ww is the case of one product and no capacity; several uncapacitated products are independent ww problems solved in
one model. The big-M is the tightest valid one: an optimal plan never carries stock past the horizon. clsp is
infeasible exactly when cumulative demand exceeds cumulative capacity in some period; HiGHS proves it.
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
    """The MILP above; ``model.order[i, t]``, ``model.setup[i, t]``, ``model.stock[i, t]`` with 0-based indices."""
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


def solve_lot_sizing(data: LotSizingData, options: SolverOptions | None = None) -> LotSizingSolution:
    model = build_lot_sizing_model(data)
    outcome = solve(model, options)
    if not outcome.has_solution:
        return LotSizingSolution(outcome, None, None)
    n_products, n_periods = data.demand.shape
    orders = np.array([[model.order[i, t].value or 0.0 for t in range(n_periods)] for i in range(n_products)])
    orders = np.round(orders, 6)
    if np.all(data.demand == np.round(data.demand)):
        orders = np.round(orders)
    setups = np.array([[(model.setup[i, t].value or 0.0) > 0.5 for t in range(n_periods)] for i in range(n_products)])
    stock = np.cumsum(orders - data.demand, axis=1)
    product_costs = data.K * setups.sum(axis=1) + data.h * np.clip(stock, 0.0, None).sum(axis=1)
    return LotSizingSolution(outcome, orders + 0.0, product_costs)
