"""The profit objective: each policy's decision maximises expected profit, written from the economics (margin on
expected sales − holding − ordering − disposal), and the supplier's delivery rhythm limits RS to its multiples.

The package plans profit as its cost models with ``pi`` = the unit margin and ``W`` = what an expired unit loses
(:func:`lakehouse_inv.optimize.features.planning_inputs`); these brute forces state profit directly."""

from __future__ import annotations

import numpy as np
import pytest
from policy_brute_force import (
    newsvendor_profit,
    perishable_profit_grid,
    poisson_pmf,
    rs_profit_rows,
    sq_profit_grid,
)

from lakehouse_inv.optimize import solve_problem

REL = 1e-6
PRICE, UNIT_COST, FREIGHT, DISPOSAL = 3.0, 2.0, 0.03, 0.2
MARGIN = PRICE - UNIT_COST - FREIGHT
LOST_IF_EXPIRED = UNIT_COST + FREIGHT + DISPOSAL


@pytest.mark.parametrize(
    "a, L, h, K",
    [(3.0, 2, 0.004, 0.0), (1.5, 1, 0.01, 0.8), (0.4, 3, 0.002, 4.0), (6.0, 4, 0.02, 0.05)],
)
def test_sq_maximises_expected_profit(a: float, L: int, h: float, K: float) -> None:
    result = solve_problem("sQ", {"a": a, "L": L, "h": h, "K": K, "pi": MARGIN})
    grid = sq_profit_grid(MARGIN, a, L, h, K, poisson_pmf(a * L), 120, 300)
    best = np.unravel_index(np.argmax(grid), grid.shape)
    assert best[0] < 120 and best[1] < 299
    s, Q = result.decision["s"], result.decision["Q"]
    assert grid[s, Q - 1] == pytest.approx(grid.max(), rel=REL)
    assert MARGIN * a - result.cost == pytest.approx(grid.max(), rel=REL)  # profit = margin × a − cost


@pytest.mark.parametrize("a, L, h, K, life", [(2.0, 1, 0.01, 0.0, 4), (1.5, 2, 0.02, 0.6, 5), (5.0, 1, 0.01, 2.0, 3)])
def test_sq_perishable_maximises_expected_profit(a: float, L: int, h: float, K: float, life: int) -> None:
    inputs = {"a": a, "L": L, "h": h, "K": K, "pi": MARGIN, "W": LOST_IF_EXPIRED, "life": life}
    result = solve_problem("sQ_perishable", inputs)
    lead, over_life = poisson_pmf(a * L), poisson_pmf(a * (L + life))
    grid = perishable_profit_grid(MARGIN, a, L, h, K, LOST_IF_EXPIRED, lead, over_life, 80, 120)
    assert result.status == "optimal"
    s, Q = result.decision["s"], result.decision["Q"]
    assert grid[s, Q - 1] == pytest.approx(grid.max(), rel=REL)
    assert MARGIN * a - result.cost == pytest.approx(grid.max(), rel=REL)


@pytest.mark.parametrize("step", [1, 3, 7])
def test_rs_maximises_expected_profit_on_the_delivery_rhythm(step: int) -> None:
    a, L, h, K = 2.5, 2, 0.01, 1.5
    result = solve_problem("RS", {"a": a, "L": L, "h": h, "K": K, "pi": MARGIN, "R_step": step})
    review = lambda days: poisson_pmf(a * days)  # noqa: E731
    rows = rs_profit_rows(MARGIN, a, L, h, K, review, range(step, 120, step), 50)
    R, S, best = max(rows, key=lambda row: row[2])
    assert result.decision["R"] % step == 0
    assert result.decision == {"R": R, "S": S}
    assert MARGIN * a - result.cost == pytest.approx(best, rel=REL)


def test_the_delivery_rhythm_can_only_cost_profit() -> None:
    inputs = {"a": 2.5, "L": 2, "h": 0.01, "K": 0.4, "pi": MARGIN}
    free = solve_problem("RS", inputs)
    weekly = solve_problem("RS", inputs | {"R_step": 7})
    assert free.decision["R"] % 7 != 0  # the unrestricted optimum is off the rhythm here
    assert weekly.cost > free.cost


def test_r_step_beyond_r_max_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"RS.inputs.R_step: must be at most R_max = 5, got 7"):
        solve_problem("RS", {"a": 1.0, "L": 1, "h": 0.1, "K": 1.0, "pi": 1.0, "R_max": 5, "R_step": 7})


@pytest.mark.parametrize("mean, period", [(4.0, 1), (9.0, 3), (1.2, 5)])
def test_newsvendor_maximises_expected_profit(mean: float, period: int) -> None:
    """nvbudget's per-day inputs for profit: h = W / period (what expires), b = margin / period (a lost sale)."""
    inputs = {"n": 1, "d": [mean], "h": [LOST_IF_EXPIRED / period], "b": [MARGIN / period], "c": [0.0], "V": 0.0}
    result = solve_problem("nvbudget", inputs)
    s = np.arange(0, 80)
    profit = newsvendor_profit(MARGIN, LOST_IF_EXPIRED, poisson_pmf(mean), s) / period
    assert result.decision["s"] == [int(np.argmax(profit))]
    assert MARGIN * mean / period - result.cost == pytest.approx(profit.max(), rel=REL)
