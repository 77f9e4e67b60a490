"""ww against the Wagner–Whitin dynamic program (and its shortest-path form against the MILP), clsp against
setup-pattern enumeration, infeasible and time-limited instances reported with their status."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from policy_brute_force import clsp_by_enumeration, wagner_whitin

from lakehouse_inv.optimize import solve_problem
from lakehouse_inv.optimize.lotsizing import (
    LotSizingData,
    build_lot_sizing_model,
    build_shortest_path_model,
    path_arcs,
    solve_lot_sizing,
)
from lakehouse_inv.optimize.solver import solve


def plan_cost(x: list[float], demand: list[float], K: float, h: float) -> float:
    stock = np.cumsum(np.array(x, dtype=float) - np.array(demand, dtype=float))
    assert np.all(stock >= -1e-9)
    return K * sum(1 for v in x if v > 1e-9) + h * float(stock.sum())


@pytest.mark.parametrize(
    ("demand", "K", "h"),
    [
        ([10, 0, 20, 5, 0, 30], 50.0, 1.0),
        ([0, 0, 7, 0, 0, 0, 3], 12.0, 0.5),  # zero-demand periods, late first demand
        ([5, 5, 5, 5, 5, 5, 5, 5], 100.0, 0.1),  # one order covers all
        ([40, 1, 40, 1, 40], 1.0, 3.0),  # order every period with demand
        ([0, 0, 0], 10.0, 1.0),  # nothing to do
    ],
)
def test_ww_matches_dynamic_program(demand: list[float], K: float, h: float) -> None:
    result = solve_problem("ww", {"T": len(demand), "d": demand, "K": K, "h": h})
    assert result.status == "optimal"
    expected = wagner_whitin(demand, K, h)
    assert result.cost == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert plan_cost(result.decision["x"], demand, K, h) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_ww_random_instances_match_dynamic_program() -> None:
    rng = np.random.default_rng(3)
    for _ in range(10):
        T = int(rng.integers(3, 15))
        demand = [int(v) if rng.random() > 0.3 else 0 for v in rng.integers(0, 30, T)]
        K, h = float(rng.uniform(5, 100)), float(rng.uniform(0.1, 3))
        result = solve_problem("ww", {"T": T, "d": demand, "K": K, "h": h})
        assert result.cost == pytest.approx(wagner_whitin(demand, K, h), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("capacity", [20.0, 16.0, 1000.0])
def test_clsp_matches_enumeration(capacity: float) -> None:
    demand = np.array([[10.0, 0.0, 8.0, 5.0], [5.0, 5.0, 0.0, 6.0]])
    inputs = {"P": 2, "T": 4, "d": demand.tolist(), "K": [30.0, 10.0], "h": [1.0, 2.0], "C": capacity}
    result = solve_problem("clsp", inputs)
    assert result.status == "optimal"
    expected = clsp_by_enumeration(demand, [30.0, 10.0], [1.0, 2.0], capacity)
    assert result.cost == pytest.approx(expected, rel=1e-6)
    x = np.array(result.decision["x"])
    assert np.all(x.sum(axis=0) <= capacity + 1e-6)
    assert sum(plan_cost(x[i], demand[i], [30.0, 10.0][i], [1.0, 2.0][i]) for i in range(2)) == pytest.approx(expected)


def test_clsp_with_cumulative_demand_above_capacity_is_infeasible() -> None:
    result = solve_problem("clsp", {"P": 2, "T": 3, "d": [[10, 10, 10], [5, 20, 0]], "K": [5, 5], "h": [1, 1], "C": 14})
    assert result.status == "infeasible"
    assert result.decision is None and result.cost is None


def test_clsp_time_limit_is_reported_not_optimal() -> None:
    rng = np.random.default_rng(11)
    P, T = 30, 40
    demand = rng.integers(0, 40, size=(P, T))
    inputs = {
        "P": P,
        "T": T,
        "d": demand.tolist(),
        "K": rng.uniform(50, 300, P).tolist(),
        "h": rng.uniform(0.5, 2, P).tolist(),
        "C": float(demand.sum(axis=0).max() * 1.05),
    }
    result = solve_problem("clsp", inputs, time_limit_s=0.05)
    assert result.status == "time_limit"
    assert "time limit" in result.message


def _random_ww(rng: np.random.Generator, products: int, periods: int) -> LotSizingData:
    demand = rng.integers(0, 30, size=(products, periods)).astype(float)
    demand[rng.random(demand.shape) < 0.3] = 0.0
    K = rng.uniform(0.0, 120.0, products)
    K[0] = 0.0  # a free order: every period orders its own demand
    h = rng.uniform(0.0, 3.0, products)
    h[-1] = 0.0  # free holding: one order carries everything
    return LotSizingData(demand, K, h)


def test_the_shortest_path_form_solves_each_product_to_its_wagner_whitin_optimum() -> None:
    """Several independent products in one model (a partition of ww items), zero-demand periods, K = 0 and h = 0
    among them: each product's plan costs what the dynamic program and the lot-sizing MILP find."""
    rng = np.random.default_rng(5)
    for _ in range(6):
        data = _random_ww(rng, products=4, periods=int(rng.integers(5, 29)))
        path = solve_lot_sizing(data)
        assert path.outcome.status == "optimal"
        for i in range(4):
            expected = wagner_whitin(data.demand[i].tolist(), float(data.K[i]), float(data.h[i]))
            assert path.product_costs[i] == pytest.approx(expected, rel=1e-9, abs=1e-9)
            assert plan_cost(path.orders[i], data.demand[i], data.K[i], data.h[i]) == pytest.approx(expected, abs=1e-9)
        milp = build_lot_sizing_model(data)
        assert solve(milp).objective == pytest.approx(float(path.product_costs.sum()), rel=1e-9, abs=1e-9)
        assert np.all(path.orders[data.demand == 0] == 0)  # orders only in periods with demand


def test_the_shortest_path_relaxation_is_integral_and_keeps_only_arcs_an_optimum_can_use() -> None:
    """The LP relaxation already gives a 0/1 plan at the optimum: HiGHS needs no branching."""
    rng = np.random.default_rng(8)
    data = _random_ww(rng, products=3, periods=28)
    model, arcs = build_shortest_path_model(data)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    relaxed = solve(model)
    values = np.array([model.cover[k].value for k in range(len(arcs))])
    assert np.all(np.isclose(values, 0.0, atol=1e-9) | np.isclose(values, 1.0, atol=1e-9))
    assert relaxed.objective == pytest.approx(float(solve_lot_sizing(data).product_costs.sum()), rel=1e-9)
    assert len(arcs) < 3 * 28 * 29 // 2  # fewer than every (t, s) pair of every product
    expensive = LotSizingData(np.array([[5.0, 5.0, 5.0]]), np.array([4.0]), np.array([1.0]))
    assert path_arcs(expensive) == [(0, 0, 0), (0, 1, 1), (0, 2, 2)]  # holding 5 units a day costs more than K = 4


def test_a_problem_too_long_for_the_shortest_path_form_is_solved_as_the_milp(monkeypatch) -> None:
    import lakehouse_inv.optimize.lotsizing as lotsizing

    demand = [10, 0, 20, 5, 0, 30]
    monkeypatch.setattr(lotsizing, "build_shortest_path_model", None)  # would fail if called
    monkeypatch.setattr(lotsizing, "PATH_ARCS_LIMIT", 20)  # 6 periods: 21 arcs before pruning
    result = solve_problem("ww", {"T": 6, "d": demand, "K": 50.0, "h": 1.0})
    assert result.status == "optimal" and result.cost == pytest.approx(wagner_whitin(demand, 50.0, 1.0))
