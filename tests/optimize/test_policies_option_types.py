"""sQ, sQ_perishable, RS, ceoq and nvbudget against independent brute force over the integer grid (docs/policies.md)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from policy_brute_force import (
    Pmf,
    convolve_days,
    expected_excess,
    negative_binomial_pmf,
    perishable_grid,
    poisson_pmf,
    rs_grid,
    sq_grid,
)
from scipy import stats

from lakehouse_inv.optimize import solve_problem
from lakehouse_inv.optimize.distributions import DailyDemand
from lakehouse_inv.optimize.limits import SizeLimits, size_limits
from lakehouse_inv.optimize.mck import solve_option_partition
from lakehouse_inv.optimize.options import Coupling
from lakehouse_inv.optimize.rs import RSItem
from lakehouse_inv.optimize.sq import SQItem

REL = 1e-6


def assert_attains(cost: float, expected: float, decision_cost: float) -> None:
    """The reported objective equals the brute-force optimum and the decision's own cost equals it too."""
    assert cost == pytest.approx(expected, rel=REL, abs=1e-9)
    assert decision_cost == pytest.approx(expected, rel=REL, abs=1e-9)


def outside_cost_model(inputs: dict, s: int, Q: int, cost: float) -> bool:
    """The holding term h·(Q/2 + s − a·L) is negative (a credit for backorders) and makes the minimum a negative
    cost: SQItem.validity_error's case."""
    return Q / 2 + s - inputs["a"] * inputs["L"] < 0 and cost < 0


def check_sq(inputs: dict, lead: Pmf, s_max: int = 150, q_max: int = 400) -> dict | None:
    """The brute-force optimum, or (None and) status error where that optimum lies outside the cost model."""
    result = solve_problem("sQ", inputs)
    grid = sq_grid(inputs["a"], inputs["L"], inputs["h"], inputs["K"], inputs["pi"], lead, s_max, q_max)
    s_best, q_index = np.unravel_index(np.argmin(grid), grid.shape)
    assert s_best < s_max and q_index < q_max - 1, "brute-force grid too small"
    if outside_cost_model(inputs, int(s_best), int(q_index) + 1, float(grid.min())):
        assert result.status == "error" and "outside the (s,Q) cost model's validity" in result.message
        return None
    assert result.status == "optimal"
    s, Q = result.decision["s"], result.decision["Q"]
    assert_attains(result.cost, grid.min(), grid[s, Q - 1])
    return result.decision


@pytest.mark.parametrize(
    "inputs",
    [
        {"a": 3.0, "L": 5, "h": 0.05, "K": 20.0, "pi": 5.0},
        {"a": 0.4, "L": 2, "h": 0.01, "K": 8.0, "pi": 15.0},
        {"a": 6.0, "L": 1, "h": 0.2, "K": 2.0, "pi": 50.0},
        {"a": 2.0, "L": 7, "h": 0.1, "K": 30.0, "pi": 0.01},  # cheap backorders
    ],
)
def test_sq_poisson(inputs: dict) -> None:
    check_sq(inputs, poisson_pmf(inputs["a"] * inputs["L"]))


def test_sq_cheap_backorders_orders_at_zero() -> None:
    decision = check_sq({"a": 2.0, "L": 7, "h": 0.1, "K": 30.0, "pi": 0.01}, poisson_pmf(14.0))
    assert decision["s"] == 0


def test_sq_zero_demand_picks_the_cheapest_feasible_point() -> None:
    """a = 0: C = h(Q/2 + s), so s = 0, Q = 1 at cost h/2."""
    result = solve_problem("sQ", {"a": 0.0, "L": 4, "h": 0.3, "K": 20.0, "pi": 5.0})
    assert result.status == "optimal"
    assert result.decision == {"s": 0, "Q": 1}
    assert result.cost == pytest.approx(0.15)


def test_sq_zero_lead_time() -> None:
    """L = 0: X ≡ 0, so s = 0 and Q is the integer EOQ."""
    decision = check_sq({"a": 4.0, "L": 0, "h": 0.05, "K": 10.0, "pi": 5.0}, poisson_pmf(0.0))
    assert decision["s"] == 0


def test_sq_negative_binomial() -> None:
    inputs = {
        "a": 3.0,
        "L": 4,
        "h": 0.05,
        "K": 20.0,
        "pi": 5.0,
        "demand": {"family": "negative_binomial", "variance": 9.0},
    }
    check_sq(inputs, negative_binomial_pmf(12.0, 36.0))


def test_sq_explicit_pmf() -> None:
    daily = [0.25, 0.15, 0.1, 0.3, 0.2]
    mean = float(np.dot(np.arange(5), daily))
    inputs = {"a": mean, "L": 3, "h": 0.05, "K": 15.0, "pi": 8.0, "demand": {"family": "empirical", "pmf": daily}}
    check_sq(inputs, convolve_days(np.array(daily), 3))


def test_sq_poisson_and_equivalent_explicit_pmf_agree() -> None:
    base = {"a": 2.5, "L": 6, "h": 0.04, "K": 25.0, "pi": 6.0}
    daily = stats.poisson.pmf(np.arange(60), 2.5)
    explicit = solve_problem("sQ", base | {"demand": {"family": "empirical", "pmf": (daily / daily.sum()).tolist()}})
    closed = solve_problem("sQ", base)
    assert explicit.decision == closed.decision
    assert explicit.cost == pytest.approx(closed.cost, rel=1e-9)


@pytest.mark.parametrize(
    "inputs",
    [
        {"a": 3.0, "L": 2, "h": 0.05, "K": 20.0, "pi": 5.0, "W": 1.0, "life": 5},
        {"a": 5.0, "L": 1, "h": 0.1, "K": 10.0, "pi": 4.0, "W": 3.0, "life": 2},  # short life: expiry binds
        {"a": 1.0, "L": 3, "h": 0.02, "K": 12.0, "pi": 0.05, "W": 0.5, "life": 10},  # cheap backorders
    ],
)
def test_sq_perishable(inputs: dict) -> None:
    result = solve_problem("sQ_perishable", inputs)
    assert result.status == "optimal"
    a, L, life = inputs["a"], inputs["L"], inputs["life"]
    grid = perishable_grid(
        a,
        L,
        inputs["h"],
        inputs["K"],
        inputs["pi"],
        inputs["W"],
        poisson_pmf(a * L),
        poisson_pmf(a * (L + life)),
        80,
        300,
    )
    s_best, q_index = np.unravel_index(np.argmin(grid), grid.shape)
    assert s_best < 80 and q_index < 299
    s, Q = result.decision["s"], result.decision["Q"]
    assert_attains(result.cost, grid.min(), grid[s, Q - 1])


def test_sq_perishable_with_zero_demand_is_infeasible() -> None:
    """a = 0 makes Q − ER(s,Q) = 0 for every (s,Q): the constraint Q − ER > 0 cannot hold."""
    result = solve_problem("sQ_perishable", {"a": 0.0, "L": 2, "h": 0.05, "K": 20.0, "pi": 5.0, "W": 1.0, "life": 5})
    assert result.status == "infeasible"
    assert result.decision is None


@pytest.mark.parametrize(
    "inputs",
    [
        {"a": 3.0, "L": 5, "h": 0.05, "K": 20.0, "pi": 5.0},
        {"a": 0.7, "L": 2, "h": 0.02, "K": 5.0, "pi": 10.0},
        {"a": 0.1, "L": 0, "h": 0.5, "K": 1.0, "pi": 0.01},  # S at its floor ⌈a(L+R)⌉, L = 0
        {"a": 2.0, "L": 3, "h": 0.05, "K": 10.0, "pi": 4.0, "demand": {"family": "negative_binomial", "variance": 5.0}},
    ],
)
def test_rs(inputs: dict) -> None:
    result = solve_problem("RS", inputs)
    assert result.status == "optimal"
    a = inputs["a"]
    spec = inputs.get("demand")
    if spec is None:
        review = lambda days: poisson_pmf(a * days)  # noqa: E731
    else:
        review = lambda days: negative_binomial_pmf(a * days, spec["variance"] * days)  # noqa: E731
    rows = rs_grid(a, inputs["L"], inputs["h"], inputs["K"], inputs["pi"], review, r_max=120, width=60)
    best = min(rows, key=lambda row: row[2])
    assert best[0] < 120
    lookup = {(R, S): c for R, S, c in rows}
    assert_attains(result.cost, best[2], lookup[(result.decision["R"], result.decision["S"])])


def test_rs_order_up_to_floor_uses_rounded_ceiling() -> None:
    """a(L+R) = 0.1·30 = 3.0000000000000004 in floating point; the floor must be 3, not 4."""
    result = solve_problem("RS", {"a": 0.1, "L": 0, "h": 5.0, "K": 1.0, "pi": 0.0, "R_max": 30})
    assert result.status == "optimal"
    R, S = result.decision["R"], result.decision["S"]
    assert math.ceil(round(0.1 * R, 9)) == S


def test_rs_zero_demand_uses_longest_review_period() -> None:
    result = solve_problem("RS", {"a": 0.0, "L": 3, "h": 0.1, "K": 12.0, "pi": 5.0, "R_max": 30})
    assert result.decision == {"R": 30, "S": 0}
    assert result.cost == pytest.approx(12.0 / 30)


CEOQ = {"n": 3, "lam": [100.0, 200.0, 50.0], "K": [10.0, 5.0, 20.0], "C": [0.5, 0.2, 1.0]}


def ceoq_brute(inputs: dict) -> float:
    lam, K, C = (np.array(inputs[k]) for k in ("lam", "K", "C"))
    b = inputs["b"]
    grids = np.meshgrid(*[np.arange(1, int(2 * b / c) + 2) for c in C], indexing="ij")
    storage = sum(c * Q / 2 for c, Q in zip(C, grids, strict=True))
    ordering = sum(lk / Q for lk, Q in zip(lam * K, grids, strict=True))
    return float(np.where(storage <= b + 1e-9, ordering, np.inf).min())


@pytest.mark.parametrize("b", [8.0, 30.0, 1.0])
def test_ceoq(b: float) -> None:
    inputs = CEOQ | {"b": b}
    result = solve_problem("ceoq", inputs)
    assert result.status == "optimal"
    Q = np.array(result.decision["Q"])
    assert np.dot(inputs["C"], Q) / 2 <= b + 1e-9
    expected = ceoq_brute(inputs)
    assert_attains(result.cost, expected, float(np.sum(np.array(inputs["lam"]) * np.array(inputs["K"]) / Q)))


def test_ceoq_budget_below_the_minimum_is_infeasible() -> None:
    result = solve_problem("ceoq", CEOQ | {"b": 0.5})  # Q = 1 everywhere needs (0.5 + 0.2 + 1)/2 = 0.85
    assert result.status == "infeasible"


NVBUDGET = {"n": 3, "d": [10.0, 20.0, 5.0], "h": [1.0, 1.0, 2.0], "b": [5.0, 3.0, 10.0], "c": [2.0, 1.0, 4.0]}


def nvbudget_brute(inputs: dict, pmfs: list[Pmf]) -> float:
    grids = []
    for i, pmf in enumerate(pmfs):
        s = np.arange(0, 80)
        excess = expected_excess(pmf, s)
        grids.append(inputs["h"][i] * (s - np.dot(*pmf) + excess) + inputs["b"][i] * excess)
    best = math.inf
    c = np.array(inputs["c"])
    for s in itertools.product(range(80), repeat=len(pmfs)):
        if np.dot(c, s) <= inputs["V"] + 1e-9:
            best = min(best, sum(g[v] for g, v in zip(grids, s, strict=True)))
    return best


@pytest.mark.parametrize("V", [1000.0, 50.0, 0.0])
def test_nvbudget_binding_and_non_binding(V: float) -> None:
    inputs = NVBUDGET | {"n": 2, "d": [10.0, 20.0], "h": [1.0, 1.0], "b": [5.0, 3.0], "c": [2.0, 1.0], "V": V}
    result = solve_problem("nvbudget", inputs)
    assert result.status == "optimal"
    expected = nvbudget_brute(inputs, [poisson_pmf(10.0), poisson_pmf(20.0)])
    assert result.cost == pytest.approx(expected, rel=REL, abs=1e-9)
    assert np.dot(inputs["c"], result.decision["s"]) <= V + 1e-9


def test_nvbudget_per_item_distributions() -> None:
    pmf = [0.1, 0.2, 0.4, 0.2, 0.1]
    inputs = NVBUDGET | {
        "n": 2,
        "d": [2.0, 6.0],
        "h": [1.0, 2.0],
        "b": [4.0, 3.0],
        "c": [1.0, 1.0],
        "V": 7.0,
        "demand": [{"family": "empirical", "pmf": pmf}, {"family": "negative_binomial", "variance": 15.0}],
    }
    result = solve_problem("nvbudget", inputs)
    expected = nvbudget_brute(inputs, [(np.arange(5), np.array(pmf)), negative_binomial_pmf(6.0, 15.0)])
    assert result.status == "optimal"
    assert result.cost == pytest.approx(expected, rel=REL)


def test_three_item_nvbudget_matches_enumeration() -> None:
    inputs = NVBUDGET | {"V": 45.0}
    inputs = inputs | {"d": [6.0, 9.0, 3.0]}
    result = solve_problem("nvbudget", inputs)
    expected = nvbudget_brute(inputs, [poisson_pmf(d) for d in inputs["d"]])
    assert result.cost == pytest.approx(expected, rel=REL)


def test_single_item_capacity_coupling_binding_and_not() -> None:
    """An sQ item with its own shelf cap: the optimum of the capped grid."""
    base = {"a": 3.0, "L": 5, "h": 0.05, "K": 20.0, "pi": 5.0}
    grid = sq_grid(3.0, 5, 0.05, 20.0, 5.0, poisson_pmf(15.0), 150, 400)
    s, Q = np.meshgrid(np.arange(151), np.arange(1, 401), indexing="ij")
    for capacity in (40.0, 1000.0):
        result = solve_problem("sQ", base | {"couplings": [{"usage": "peak", "capacity": capacity}]})
        expected = grid[s + Q <= capacity].min()
        assert result.status == "optimal"
        assert result.cost == pytest.approx(expected, rel=REL)
        assert result.decision["s"] + result.decision["Q"] <= capacity
    average = solve_problem("sQ", base | {"couplings": [{"usage": "average", "capacity": 10.0, "weight": 2.0}]})
    expected = grid[2.0 * np.maximum(0.0, Q / 2 + s - 15.0) <= 10.0].min()
    assert average.cost == pytest.approx(expected, rel=REL)


def test_a_cheap_item_under_a_shelf_cap_is_solved_within_the_cap() -> None:
    """A tiny holding cost makes the cost bound allow millions of Q (2·(U/h + μ) > 5·10⁶), but a binding shelf cap
    allows s + Q ≤ 40: the Q range is cut at the cap before the size limit is checked (it failed the item with
    ProblemTooLarge), and the optimum is the capped grid's."""
    base = {"a": 3.0, "L": 5, "h": 1e-7, "K": 20.0, "pi": 5.0}
    grid = sq_grid(3.0, 5, 1e-7, 20.0, 5.0, poisson_pmf(15.0), 60, 60)
    s, Q = np.meshgrid(np.arange(61), np.arange(1, 61), indexing="ij")
    result = solve_problem("sQ", base | {"couplings": [{"usage": "peak", "capacity": 40.0}]})
    assert result.status == "optimal", result.message
    assert result.cost == pytest.approx(grid[s + Q <= 40].min(), rel=REL)
    assert result.decision["s"] + result.decision["Q"] <= 40


def test_random_small_instances_match_brute_force() -> None:
    """Property check over random parameters, including cheap backorders and zero lead time."""
    rng = np.random.default_rng(2024)
    for _ in range(12):
        a, L = float(rng.uniform(0.1, 4)), int(rng.integers(0, 6))
        h, K, pi = float(rng.uniform(0.01, 0.3)), float(rng.uniform(0, 40)), float(rng.choice([0.05, 2.0, 30.0]))
        inputs = {"a": a, "L": L, "h": h, "K": K, "pi": pi}
        check_sq(inputs, poisson_pmf(a * L), s_max=80, q_max=300)

        W, life = float(rng.uniform(0, 3)), int(rng.integers(1, 8))
        perishable = solve_problem("sQ_perishable", inputs | {"W": W, "life": life})
        grid = perishable_grid(a, L, h, K, pi, W, poisson_pmf(a * L), poisson_pmf(a * (L + life)), 80, 300)
        s_best, q_index = np.unravel_index(np.argmin(grid), grid.shape)
        if outside_cost_model(inputs, int(s_best), int(q_index) + 1, float(grid.min())):
            assert perishable.status == "error" and "validity" in perishable.message
        else:
            s, Q = perishable.decision["s"], perishable.decision["Q"]
            assert_attains(perishable.cost, grid.min(), grid[s, Q - 1])

        rs = solve_problem("RS", inputs)
        rows = rs_grid(a, L, h, K, pi, lambda days, a=a: poisson_pmf(a * days), r_max=150, width=40)
        lookup = {(R, S): c for R, S, c in rows}
        assert_attains(rs.cost, min(c for _, _, c in rows), lookup[(rs.decision["R"], rs.decision["S"])])


def _sq_pair() -> list[SQItem]:
    return [SQItem(a, 5, 0.05, 20.0, 5.0, DailyDemand.poisson(a), alpha=0.98) for a in (4.0, 6.0)]


def _rs_pair() -> list[RSItem]:
    return [RSItem(a, 5, 0.05, 20.0, 5.0, DailyDemand.poisson(a), alpha=0.98) for a in (4.0, 6.0)]


def _least_sq_peak(item: SQItem) -> int:
    Q = np.arange(1, 400)
    return int((item.s_floor(Q) + Q).min())


def _least_rs_peak(item: RSItem) -> int:
    return min(item.lowest_S(R) for R in range(1, item.R_max + 1))


@pytest.mark.parametrize(
    ("pair", "least_peak", "peak", "bound_without_targets"),
    [
        (_sq_pair, _least_sq_peak, lambda d: d["s"] + d["Q"], 2),  # 1 per item
        (_rs_pair, _least_rs_peak, lambda d: d["S"], 24 + 36),  # ⌈a(L+1)⌉ per item
    ],
    ids=["sQ", "RS"],
)
def test_fill_rate_targets_that_cannot_fit_a_shared_capacity_are_proven_infeasible(
    pair, least_peak, peak, bound_without_targets
) -> None:
    """Two items, each with a 98% fill-rate target, share a shelf. Below the least total peak the targets allow (over
    every Q, or every review period) the partition is infeasible, said so up front: the bound ignored the targets,
    and the search then ended in an ``error`` row (177 of 850 sQ items at 1,000 store-products). At that total it is
    solved within the shelf."""
    least = sum(least_peak(item) for item in pair())
    assert least > bound_without_targets + 10

    def solve(capacity: float):
        return solve_option_partition(pair(), [Coupling("peak", capacity, np.ones(2))])

    short = solve(least - 1)
    assert short.outcome.status == "infeasible"
    assert f"smallest possible usage {least}" in short.outcome.message and "fill-rate target" in short.outcome.message
    fits = solve(least)
    assert fits.outcome.status == "optimal", fits.outcome.message
    assert sum(peak(r.decision) for r in fits.items) <= least


def test_the_rs_usage_bounds_are_the_least_over_every_review_period() -> None:
    """The scan stops early, yet its bounds equal the least peak and average over all R ≤ R_max, also where the
    least average is at a long review period (R = 15 and R = 11 in the last two cases); under a grid limit that cuts
    the scan short they stay valid lower bounds."""
    for a, L, alpha, m in ((4.0, 5, 0.98, 0), (0.3, 2, 0.99, 0), (2.0, 0, 0.9, 30), (0.05, 1, 0.95, 0)):
        item = RSItem(a, L, 0.05, 20.0, 5.0, DailyDemand.poisson(a), alpha=alpha, min_inventory=m)
        R = np.arange(1, item.R_max + 1)
        S = np.array([item.lowest_S(int(r)) for r in R])
        exact = {kind: float(v.min()) for kind, v in item.usage(R, S).items()}
        lows = RSItem(a, L, 0.05, 20.0, 5.0, DailyDemand.poisson(a), alpha=alpha, min_inventory=m).usage_lower_bounds()
        assert lows == pytest.approx(exact, rel=1e-12), (a, L, alpha, m)
        with size_limits(SizeLimits(max_grid_points=3_000)):  # three review periods scanned
            cut = RSItem(a, L, 0.05, 20.0, 5.0, DailyDemand.poisson(a), alpha=alpha, min_inventory=m)
            assert all(cut.usage_lower_bounds()[k] <= exact[k] + 1e-9 for k in exact)


def test_a_cheap_item_in_a_coupled_partition_is_solved_within_the_shared_cap() -> None:
    """A tiny holding cost lets the cost bound allow millions of Q; in a partition whose shared shelf binds, the
    Lagrangian step's per-item minimum scanned that whole range (ProblemTooLarge: 10 sQ items at 1,000
    store-products). The scan stops at the Q the shelf allows, and the optimum is the brute force over the shelf."""
    cap = 40
    items = [SQItem(3.0, 4, h, 20.0, 5.0, DailyDemand.poisson(3.0)) for h in (1e-7, 0.05)]
    solution = solve_option_partition(items, [Coupling("peak", float(cap), np.ones(2))])
    assert solution.outcome.status == "optimal", solution.outcome.message

    s, Q = np.meshgrid(np.arange(0, cap + 1), np.arange(1, cap + 1), indexing="ij")
    best_at_peak = []  # per item: the least cost with s + Q = peak, for peak 0..cap
    for item in items:
        cost = item.cost(s.astype(float), Q.astype(float))
        best_at_peak.append([cost[(s + Q) == p].min() if ((s + Q) == p).any() else np.inf for p in range(cap + 1)])
    a, b = (np.array(x) for x in best_at_peak)
    expected = min(a[p] + b[: cap - p + 1].min() for p in range(cap + 1))
    assert sum(r.cost for r in solution.items) == pytest.approx(expected, rel=REL)
    assert sum(r.decision["s"] + r.decision["Q"] for r in solution.items) <= cap
