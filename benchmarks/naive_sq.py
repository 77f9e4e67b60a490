"""The naive sQ solver the optimize benchmarks compare against: one Pyomo model per SKU over the whole unpruned
(s,Q) box. It ships with the benchmarks, not the package: "baseline" in the product means the store-manager rule.

This is what a first implementation does: a binary ``y[s,Q]`` for every cell of a box known to hold the optimum,
``Σ y = 1``, objective ``Σ C(s,Q)·y[s,Q]`` with the sQ cost of docs/policies.md (Poisson lead-time demand), solved
by HiGHS. The box: ``0 ≤ s ≤ s*(1)`` (the largest minimiser over Q, since s*(Q) falls with Q) and
``1 ≤ Q ≤ 2(U/h + μ)`` with U the cost of the EOQ guess. It returns the same decision as
:func:`~lakehouse_inv.optimize.problems.solve_problem`, only slower; benchmarks/optimize_core.py compares them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyomo.environ as pyo
from scipy import stats

from lakehouse_inv.optimize.solver import OPTIMAL, SolverOptions, solve


def naive_solve_sq(item_inputs: Mapping[str, Any], options: SolverOptions | None = None) -> dict[str, Any]:
    """``{"status", "s", "Q", "cost", "n_cells"}`` for one SKU with inputs ``a, L, h, K, pi``."""
    a, L, h, K, pi = (float(item_inputs[name]) for name in ("a", "L", "h", "K", "pi"))
    mu = a * L
    support = np.arange(0, int(stats.poisson.isf(1e-13, mu)) + 2 if mu > 0 else 1)
    pmf = stats.poisson.pmf(support, mu) if mu > 0 else np.ones(1)
    s_values = np.arange(0, int(support[-1]) + 2)
    loss = np.maximum(support[None, :] - s_values[:, None], 0) @ pmf
    survival = 1.0 - np.cumsum(pmf)
    s_max = int(np.argmax(pi * a * np.append(survival, 0.0) <= h)) if pi * a > 0 else 0

    def cost(s: np.ndarray, Q: np.ndarray) -> np.ndarray:
        return h * (Q / 2.0 + s - mu) + a * (K + pi * loss[np.minimum(s, len(loss) - 1)]) / Q

    eoq = max(1, round(math.sqrt(2.0 * a * K / h)))
    upper = float(np.min(cost(np.arange(s_max + 1), np.full(s_max + 1, eoq))))
    q_max = max(1, math.floor(2.0 * (upper / h + mu)))
    s_grid, q_grid = np.meshgrid(np.arange(s_max + 1), np.arange(1, q_max + 1), indexing="ij")
    cells = list(zip(s_grid.ravel().tolist(), q_grid.ravel().tolist(), strict=True))
    cell_cost = dict(zip(cells, cost(s_grid, q_grid).ravel().tolist(), strict=True))

    model = pyo.ConcreteModel(name="naive_sq")
    model.cells = pyo.Set(initialize=cells, dimen=2)
    model.pick = pyo.Var(model.cells, domain=pyo.Binary)
    model.one_cell = pyo.Constraint(expr=sum(model.pick[c] for c in model.cells) == 1)
    model.total_cost = pyo.Objective(expr=sum(cell_cost[c] * model.pick[c] for c in model.cells))
    outcome = solve(model, options)
    if outcome.status != OPTIMAL:
        return {"status": outcome.status, "s": None, "Q": None, "cost": None, "n_cells": len(cells)}
    s, Q = max(model.cells, key=lambda c: model.pick[c].value or 0.0)
    return {"status": outcome.status, "s": int(s), "Q": int(Q), "cost": outcome.objective, "n_cells": len(cells)}
