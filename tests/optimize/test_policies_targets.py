"""Lead-time spread (compound lead-time demand), fill-rate targets and minimum stock in the single-item policies."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from policy_brute_force import expected_excess, sq_grid
from scipy import stats

from lakehouse_inv.optimize.config import PolicyConfig
from lakehouse_inv.optimize.distributions import DailyDemand, LeadTime
from lakehouse_inv.optimize.features import policy_inputs
from lakehouse_inv.optimize.partition import PartitionSpec, optimize_partition
from lakehouse_inv.optimize.problems import solve_problem


def _pmf(distribution, top: int) -> np.ndarray:
    survival = distribution.sf(np.arange(top + 1))
    return np.concatenate(([1.0 - survival[0]], -np.diff(survival)))


def _mixture_pmf(a: float, lead: LeadTime, extra: int, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Σ_l P(L' = l)·Poisson(a(l + extra)) from scipy, independent of the package's tables."""
    support = np.arange(top + 1)
    pairs = zip(lead.values, lead.probabilities, strict=True)
    pmf = sum(p * stats.poisson.pmf(support, a * (days + extra)) for days, p in pairs)
    return support, pmf


@pytest.mark.parametrize(
    ("demand", "L", "ci"),
    [
        (DailyDemand.poisson(2.5), 6, 2),
        (DailyDemand.negative_binomial(3.0, 7.0), 5, 1),
        (DailyDemand.poisson(4.0), 1, 2),  # clipped at one day: L' in {1, 1, 1, 2, 3}
        (DailyDemand.empirical([0.5, 0.2, 0.3]), 3, 2),
    ],
)
def test_compound_lead_time_demand_has_the_compound_mean_and_variance(demand: DailyDemand, L: int, ci: int) -> None:
    lead = LeadTime(L, ci)
    draws = np.maximum(L + np.arange(-ci, ci + 1), 1)
    assert lead.mean == pytest.approx(draws.mean()) and lead.variance == pytest.approx(draws.var())
    daily_variance = demand.variance if demand.variance is not None else demand.mean
    if demand.pmf is not None:
        daily_variance = float(np.dot((np.arange(len(demand.pmf)) - demand.mean) ** 2, demand.pmf))
    X = demand.over_lead_time(lead)
    pmf = _pmf(X, 400)
    x = np.arange(len(pmf))
    mean = float(pmf @ x)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-10)
    assert mean == pytest.approx(demand.mean * lead.mean, rel=1e-9)
    assert X.mean == pytest.approx(demand.mean * lead.mean, rel=1e-12)
    expected_variance = lead.mean * daily_variance + demand.mean**2 * lead.variance
    assert float(pmf @ (x - mean) ** 2) == pytest.approx(expected_variance, rel=1e-8)


def test_compound_loss_is_the_mixture_of_the_per_lead_time_losses() -> None:
    lead = LeadTime(4, 2)
    demand = DailyDemand.poisson(3.0)
    s = np.arange(0, 60)
    for extra, X in [(0, demand.over_lead_time(lead)), (3, demand.over_lead_time(lead, 3))]:
        assert X.loss(s) == pytest.approx(expected_excess(_mixture_pmf(3.0, lead, extra, 200), s), abs=1e-9)
    # the range builder (RS) gives the same distributions as one-at-a-time mixtures
    for j, X in enumerate(demand.over_lead_time_range(lead, 1, 5)):
        assert np.array_equal(X.loss(s), demand.over_lead_time(lead, 1 + j).loss(s))


def test_no_spread_is_exactly_the_fixed_lead_time() -> None:
    demand = DailyDemand.negative_binomial(2.0, 5.0)
    fixed, spread0 = demand.over_days(7), demand.over_lead_time(LeadTime(7, 0))
    assert spread0.lo == fixed.lo and spread0.mean == fixed.mean
    assert np.array_equal(spread0.sf_table, fixed.sf_table) and np.array_equal(spread0.loss_table, fixed.loss_table)
    for kind, inputs in [
        ("sQ", {"a": 3, "L": 5, "h": 0.05, "K": 20, "pi": 5}),
        ("RS", {"a": 3, "L": 5, "h": 0.05, "K": 20, "pi": 5}),
        ("sQ_perishable", {"a": 3, "L": 2, "h": 0.05, "K": 20, "pi": 5, "W": 2, "life": 6}),
    ]:
        before = solve_problem(kind, inputs)
        after = solve_problem(kind, {**inputs, "L_ci": 0, "min_inventory": 0})
        assert (after.decision, after.cost) == (before.decision, before.cost)


def _sq_fill(lead_pmf, s: np.ndarray, Q: np.ndarray) -> np.ndarray:
    above = expected_excess(lead_pmf, (s[:, None] + Q[None, :]).ravel()).reshape(len(s), len(Q))
    return 1.0 - (expected_excess(lead_pmf, s)[:, None] - above) / Q


@pytest.mark.parametrize(("alpha", "min_inventory"), [(None, 0), (0.97, 0), (0.995, 0), (None, 40), (0.9, 30)])
def test_sq_with_spread_fill_rate_and_min_inventory_matches_brute_force(alpha, min_inventory) -> None:
    a, L, ci, h, K, pi = 2.0, 6, 2, 0.1, 15.0, 2.0
    lead = LeadTime(L, ci)
    inputs = {"a": a, "L": L, "L_ci": ci, "h": h, "K": K, "pi": pi, "alpha": alpha, "min_inventory": min_inventory}
    result = solve_problem("sQ", inputs)
    lead_pmf = _mixture_pmf(a, lead, 0, 200)
    s, Q = np.arange(0, 80), np.arange(1, 120)
    cost = sq_grid(a, lead.mean, h, K, pi, lead_pmf, 79, 119)
    feasible = (s[:, None] >= min_inventory) & (_sq_fill(lead_pmf, s, Q) >= (alpha or 0.0) - 1e-12)
    best = np.unravel_index(np.argmin(np.where(feasible, cost, np.inf)), cost.shape)
    assert result.status == "optimal"
    assert result.cost == pytest.approx(float(cost[best]), rel=1e-9)
    s_opt, Q_opt = result.decision["s"], result.decision["Q"]
    assert s_opt >= min_inventory
    assert feasible[s_opt, Q_opt - 1]


def test_a_higher_service_level_raises_the_reorder_point_and_the_order_up_to_level() -> None:
    base = {"a": 4.0, "L": 5, "L_ci": 1, "h": 0.05, "K": 10.0, "pi": 0.5}
    levels = [solve_problem("sQ", {**base, "alpha": alpha}).decision for alpha in (0.9, 0.98, 0.995)]
    assert levels[0]["s"] < levels[1]["s"] < levels[2]["s"]
    lead = LeadTime(5, 1)
    lead_pmf = _mixture_pmf(4.0, lead, 0, 200)
    for alpha, decision in zip((0.9, 0.98, 0.995), levels, strict=True):
        fill = _sq_fill(lead_pmf, np.array([decision["s"]]), np.array([decision["Q"]]))[0, 0]
        assert fill >= alpha - 1e-12
    # R_max = 7 keeps R = 7 at every target here, so S alone carries the service level
    alphas = (None, 0.9, 0.98, 0.995)
    order_up_to = [solve_problem("RS", {**base, "R_max": 7, "alpha": alpha}).decision for alpha in alphas]
    assert [d["R"] for d in order_up_to] == [7, 7, 7, 7]
    assert order_up_to[0]["S"] < order_up_to[1]["S"] < order_up_to[2]["S"] < order_up_to[3]["S"]
    order_up_to = order_up_to[1:]
    for alpha, decision in zip((0.9, 0.98, 0.995), order_up_to, strict=True):
        R, S = decision["R"], decision["S"]
        shortage = expected_excess(_mixture_pmf(4.0, lead, R, 300), [S]) - expected_excess(lead_pmf, [S])
        assert 1 - shortage[0] / (4.0 * R) >= alpha - 1e-12


def test_lead_time_spread_raises_the_reorder_point() -> None:
    base = {"a": 4.0, "L": 5, "h": 0.05, "K": 10.0, "pi": 2.0}
    assert solve_problem("sQ", {**base, "L_ci": 2}).decision["s"] > solve_problem("sQ", base).decision["s"]


def test_min_inventory_floors_every_planned_level() -> None:
    slow = {"a": 0.5, "L": 2, "h": 0.2, "K": 1.0, "pi": 0.5}
    assert solve_problem("sQ", slow).decision["s"] < 12
    assert solve_problem("sQ", {**slow, "min_inventory": 12}).decision["s"] == 12
    assert solve_problem("RS", slow).decision["S"] < 12
    assert solve_problem("RS", {**slow, "min_inventory": 12}).decision["S"] == 12
    perishable = {**slow, "W": 1.0, "life": 5}
    assert solve_problem("sQ_perishable", {**perishable, "min_inventory": 6}).decision["s"] >= 6
    nv = {"n": 2, "d": [1, 3], "h": [1, 1], "b": [1, 1], "c": [1, 1], "V": 30}
    assert solve_problem("nvbudget", nv).decision["s"][0] < 8
    assert solve_problem("nvbudget", {**nv, "min_inventory": [8, 0]}).decision["s"][0] == 8
    over_budget = solve_problem("nvbudget", {**nv, "min_inventory": [20, 11]})
    assert over_budget.status == "infeasible"


def test_min_inventory_above_max_inventory_is_an_error_row_naming_the_item_and_fields() -> None:
    items = pd.DataFrame(
        {
            "store_id": ["S1", "S1"],
            "product_id": ["P1", "P2"],
            "a": [2.0, 2.0],
            "L": [3, 3],
            "L_ci": [1, 0],
            "h": [0.1, 0.1],
            "K": [5.0, 5.0],
            "pi": [2.0, 2.0],
            "alpha": [0.95, math.nan],
            "min_inventory": [30, 4],
            "max_inventory": [20, 50],
        }
    )
    for kind in ("sQ", "RS"):
        rows = optimize_partition(items, PartitionSpec(kind, key_columns=("store_id", "product_id")))
        bad, good = rows.iloc[0], rows.iloc[1]
        assert bad.status == "error" and bad.decision_json is None
        assert "store_id=S1, product_id=P1" in bad.message
        assert "min_inventory 30 > max_inventory 20" in bad.message
        assert good.status == "optimal" and (good.reorder_point if kind == "sQ" else good.order_up_to) >= 4
    newsvendor = pd.DataFrame(
        {
            "store_id": ["S1", "S1"],
            "product_id": ["P1", "P2"],
            "d": [2.0, 3.0],
            "h": [1.0, 1.0],
            "b": [2.0, 2.0],
            "c": [1.0, 1.0],
            "min_inventory": [9, 0],
            "max_inventory": [5, 10],
        }
    )
    rows = optimize_partition(newsvendor, PartitionSpec("nvbudget", V=100.0, key_columns=("store_id", "product_id")))
    assert list(rows.status) == ["error", "error"]
    assert "min_inventory 9 > max_inventory 5" in rows.message[0] and "product_id=P1" in rows.message[1]


def test_newsvendor_critical_ratio_reaches_the_item_service_level(spark) -> None:
    schema = "store_id string, product_id string, a double, W double, pi double, life int, unit_cost double, "
    schema += "demand_variance double, is_perishable boolean, alpha double"
    rows = [
        ("S1", "P1", 4.0, 2.0, 1.0, 3, 1.5, 4.0, True, 0.95),  # pi/(pi+W) = 1/3 < 0.95: raised to W·19
        ("S1", "P2", 4.0, 2.0, 50.0, 3, 1.5, 4.0, True, 0.9),  # 50/52 > 0.9: pi kept
        ("S1", "P3", 4.0, 2.0, 1.0, 3, 1.5, 4.0, True, None),  # no target: pi kept
    ]
    items = spark.createDataFrame(rows, schema)
    policy = PolicyConfig(id="nv", type="nvbudget", partition_fields=["store_id"])
    storage = spark.createDataFrame([], "store_id string, storage_id string")
    ratios = {
        r.product_id: r.b / (r.b + r.h) for r in policy_inputs(items, items, storage, policy, horizon_days=7).collect()
    }
    assert ratios == pytest.approx({"P1": 0.95, "P2": 50 / 52, "P3": 1 / 3})


def test_rules_raise_derived_levels_to_min_inventory() -> None:
    from lakehouse_inv.optimize.policy_types import DECISION_RULES, rule_from_decision
    from lakehouse_inv.replenishment.rules import attach_rules

    assert rule_from_decision("ceoq", {"Q": 10}, a=2.0, L=3).reorder_point == 6
    assert rule_from_decision("ceoq", {"Q": 10}, a=2.0, L=3, min_inventory=9).reorder_point == 9
    assert rule_from_decision("ceoq", {"Q": 10}, a=2.0, L=3, min_inventory=4).reorder_point == 6
    plan = {"x": [8, 0, 0, 0, 8, 0, 0, 0]}
    assert rule_from_decision("ww", plan, a=2.0, L=2).order_up_to == 12
    assert rule_from_decision("ww", plan, a=2.0, L=2, min_inventory=20).order_up_to == 20
    baseline = rule_from_decision("days_of_cover", None, a=2.0, L=2, min_inventory=50)
    assert baseline == rule_from_decision("days_of_cover", None, a=2.0, L=2)  # the store's practice, unchanged
    frame = pd.DataFrame(
        {
            "policy_type": ["ceoq", "ceoq", "RS"],
            "decision_json": ['{"Q": 10}', '{"Q": 10}', '{"R": 7, "S": 30}'],
            "a": [2.0, 2.0, 2.0],
            "L": [3, 3, 3],
            "min_inventory": [9.0, math.nan, 40.0],
        }
    )
    rules = attach_rules(frame, rules=DECISION_RULES)
    assert list(rules.reorder_point[:2]) == [9.0, 6.0] and rules.order_up_to[2] == 40.0


def test_the_service_level_override_replaces_the_items_own_target(spark) -> None:
    from lakehouse_inv.optimize.service_level import apply_service_level

    items = spark.createDataFrame(
        [("P1", 0.5, 2.0, 3.0, 0.9), ("P2", 0.5, 2.0, 3.0, None)],
        "product_id string, h double, W double, pi double, alpha double",
    )
    overridden = {r.product_id: (round(r.pi, 9), r.alpha) for r in apply_service_level(items, 0.8, "sQ").collect()}
    assert overridden == {"P1": (2.0, 0.8), "P2": (2.0, 0.8)}
    unchanged = {r.product_id: r.alpha for r in apply_service_level(items, 0.8, "ceoq").collect()}
    assert unchanged == {"P1": 0.9, "P2": None}
