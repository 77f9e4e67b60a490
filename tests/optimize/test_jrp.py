"""Joint replenishment (jrp): the Pyomo model's optimum against full enumeration, its constraints and its errors.

Pure Python (no Spark); each partition solves in well under a second.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from policy_brute_force import jrp_by_enumeration

from lakehouse_inv.policies import PolicyInputError, solve_problem
from lakehouse_inv.policies.distributions import DailyDemand
from lakehouse_inv.policies.jrp import JrpItem, JrpItemInputs


def _inputs(items: list[dict[str, Any]], **partition: Any) -> dict[str, Any]:
    """Batch-interface inputs from per-item dicts (absent optional fields stay absent)."""
    inputs: dict[str, Any] = {"n": len(items), **partition}
    for name in ("a", "L", "h", "pi"):
        inputs[name] = [item[name] for item in items]
    for name in ("alpha", "min_inventory", "max_inventory", "W", "life", "volume", "unit_cost"):
        if any(item.get(name) is not None for item in items):
            inputs[name] = [item.get(name) for item in items]
    return inputs


def _random_partition(rng: np.random.Generator) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    n = int(rng.integers(2, 4))
    items = []
    for _ in range(n):
        item: dict[str, Any] = {
            "a": round(float(rng.uniform(0.3, 2.5)), 3),
            "L": int(rng.integers(1, 4)),
            "h": round(float(rng.uniform(0.01, 0.2)), 4),
            "pi": round(float(rng.uniform(0.5, 4.0)), 3),
        }
        if rng.random() < 0.6:
            item["alpha"] = float(rng.choice([0.8, 0.9, 0.95, 0.98]))
        if rng.random() < 0.3:
            item["min_inventory"] = int(rng.integers(1, 8))
        if rng.random() < 0.3:
            item["max_inventory"] = float(rng.integers(8, 25))
        if rng.random() < 0.4:
            item["life"], item["W"] = int(rng.integers(3, 10)), round(float(rng.uniform(0.5, 3.0)), 3)
        item["volume"] = round(float(rng.uniform(0.5, 2.0)), 3)
        item["unit_cost"] = round(float(rng.uniform(1.0, 5.0)), 3)
        items.append(item)
    every = int(rng.integers(1, 4))
    partition: dict[str, Any] = {"K": round(float(rng.uniform(0.0, 30.0)), 2), "every": every, "R_max": 6 * every}
    rate = sum(i["a"] * i["volume"] for i in items)
    if rng.random() < 0.3:
        partition["min_volume"] = round(rate * every * float(rng.uniform(1.0, 3.0)), 2)
    if rng.random() < 0.3:
        low = partition.get("min_volume", 0.0)
        partition["max_volume"] = max(low, round(rate * every * float(rng.uniform(1.0, 3.5)), 2))
    if rng.random() < 0.3:
        partition["max_value"] = round(sum(i["a"] * i["unit_cost"] for i in items) * every * 2.5, 2)
    return items, partition


@pytest.mark.parametrize("seed", range(24))
def test_jrp_equals_brute_force_on_small_partitions(seed: int) -> None:
    """The model's optimum (review period, levels, cost) equals the full enumeration of every R = m·every ≤ R_max
    and every level vector, including partitions that are infeasible."""
    items, partition = _random_partition(np.random.default_rng(seed))
    s_max = max(math.ceil(i["a"] * (i["L"] + partition["R_max"]) + 6 * math.sqrt(i["a"] * 20) + 10) for i in items)
    limits = {k: partition.get(k) for k in ("min_volume", "max_volume", "max_value")}
    cost, R, S = jrp_by_enumeration(items, partition["K"], partition["every"], partition["R_max"], s_max, **limits)
    result = solve_problem("jrp", _inputs(items, **partition))
    if R is None:
        assert result.status == "infeasible", result
        return
    assert result.status == "optimal", result
    assert result.cost == pytest.approx(cost, rel=1e-9, abs=1e-9)
    assert result.decision == {"R": R, "S": list(S)}
    assert result.decision["R"] % partition["every"] == 0
    assert max(result.decision["S"]) < s_max  # the enumeration's range held the optimum


def test_shipment_cost_is_paid_once_per_review_and_shared() -> None:
    """Two identical items: the shipment cost K enters once per review (K/R), the item costs share it equally and
    add up to the objective; a larger K lengthens the review period."""
    item = {"a": 2.0, "L": 2, "h": 0.05, "pi": 2.0, "alpha": 0.95}
    cheap = solve_problem("jrp", _inputs([item, item], K=5.0, every=1, R_max=30))
    dear = solve_problem("jrp", _inputs([item, item], K=80.0, every=1, R_max=30))
    assert cheap.status == dear.status == "optimal"
    assert dear.decision["R"] > cheap.decision["R"]
    assert sum(dear.item_costs) == pytest.approx(dear.cost)
    assert dear.item_costs[0] == pytest.approx(dear.item_costs[1])
    # the shared cost is K/R once, not once per item
    alone = solve_problem("jrp", _inputs([item], K=80.0, every=1, R_max=30))
    assert dear.cost < 2 * alone.cost


def test_review_period_is_a_multiple_of_the_delivery_rhythm() -> None:
    items = [{"a": 1.0, "L": 1, "h": 0.1, "pi": 1.0}, {"a": 3.0, "L": 1, "h": 0.1, "pi": 1.0}]
    for every in (2, 3, 7):
        result = solve_problem("jrp", _inputs(items, K=10.0, every=every, R_max=60))
        assert result.status == "optimal"
        assert result.decision["R"] % every == 0


def test_truck_limits_bound_the_review_period() -> None:
    """Expected shipment volume R·Σ a·v: the maximum caps R, the minimum raises it (both rows of the model)."""
    items = [
        {"a": 2.0, "L": 1, "h": 0.1, "pi": 2.0, "volume": 1.0},
        {"a": 1.0, "L": 1, "h": 0.1, "pi": 2.0, "volume": 2.0},
    ]
    free = solve_problem("jrp", _inputs(items, K=40.0, every=1, R_max=40))
    assert free.status == "optimal" and free.decision["R"] > 3
    capped = solve_problem("jrp", _inputs(items, K=40.0, every=1, R_max=40, max_volume=12.0))
    assert capped.decision["R"] == 3  # 4 volume a day: R ≤ 3
    raised = solve_problem("jrp", _inputs(items, K=1.0, every=1, R_max=40, min_volume=20.0))
    assert raised.decision["R"] == 5
    budget = solve_problem("jrp", _inputs([{**i, "unit_cost": 2.0} for i in items], K=40.0, max_value=12.0))
    assert budget.decision["R"] == 2  # 6 purchase value a day
    none = solve_problem("jrp", _inputs(items, K=1.0, every=2, R_max=40, max_volume=7.0))
    assert none.status == "infeasible"
    assert "above the maximum" in none.message


def test_perishables_review_within_their_shelf_life() -> None:
    items = [{"a": 0.5, "L": 1, "h": 0.01, "pi": 1.0}, {"a": 0.5, "L": 1, "h": 0.01, "pi": 1.0, "W": 2.0, "life": 4}]
    result = solve_problem("jrp", _inputs(items, K=50.0, every=2, R_max=60))
    assert result.decision["R"] == 4
    too_short = solve_problem("jrp", _inputs(items, K=50.0, every=5, R_max=60))
    assert too_short.status == "infeasible"
    assert "shelf life 4 is shorter than the delivery rhythm 5" in too_short.message


def test_outdating_lowers_the_level_of_a_perishable() -> None:
    """With the same everything else, the expected outdating pushes a perishable's level down."""
    base = JrpItemInputs(a=3.0, L=1, h=0.01, pi=3.0, demand=DailyDemand.poisson(3.0))
    perishable = JrpItemInputs(a=3.0, L=1, h=0.01, pi=3.0, demand=DailyDemand.poisson(3.0), W=3.0, life=3)
    (S_plain, _), (S_fresh, _) = JrpItem(base, 30).best_level(3), JrpItem(perishable, 30).best_level(3)
    assert S_fresh < S_plain


def test_items_whose_floor_exceeds_the_shelf_make_the_partition_infeasible_with_the_reason() -> None:
    items = [
        {"a": 5.0, "L": 3, "h": 0.1, "pi": 1.0, "alpha": 0.99, "max_inventory": 10.0},
        {"a": 1, "L": 1, "h": 1, "pi": 1},
    ]
    result = solve_problem("jrp", _inputs(items, K=5.0, every=1, R_max=10))
    assert result.status == "infeasible"
    assert "item 0" in result.message and "max_inventory 10" in result.message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"every": 0}, "jrp.inputs.every: must be an integer >= 1"),
        ({"R_max": 2, "every": 3}, "jrp.inputs.R_max: must be >= every = 3"),
        ({"a": [1.0]}, "jrp.inputs.a: must be a list of 2 numbers"),
        ({"L": [1, 1.5]}, "jrp.inputs.L[1]: must be an integer >= 0"),
        ({"alpha": [0.9, 1.2]}, "jrp.inputs.alpha[1]: must be a fill rate in [0, 1]"),
        ({"max_volume": 10.0}, "jrp.inputs.volume: needs a value for every item when max_volume is set"),
        ({"volume": [1, 1], "min_volume": 5.0, "max_volume": 4.0}, "jrp.inputs.min_volume: must be <= max_volume"),
        ({"min_inventory": [5, 0], "max_inventory": [4, None]}, "jrp.inputs.min_inventory[0]: must be <="),
        ({"life": [0, None]}, "jrp.inputs.life[0]: must be a number >= 1"),
        ({"trucks": 2}, "jrp.inputs.trucks: unknown field"),
    ],
)
def test_invalid_inputs_name_the_field(change: dict[str, Any], message: str) -> None:
    item = {"a": 1.0, "L": 1, "h": 0.1, "pi": 1.0}
    inputs = {**_inputs([item, item], K=5.0), **change}
    with pytest.raises(PolicyInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        solve_problem("jrp", inputs)
