"""Joint replenishment (jrp): the Pyomo model's optimum against full enumeration, its constraints and its errors,
the partition API (the grouped UDF's pandas function) and the replay of its rule.

Pure Python (no Spark); each partition solves in well under a second.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from policy_brute_force import jrp_by_enumeration

from lakehouse_inv.lakehouse.contracts import load_contract
from lakehouse_inv.optimize import PartitionSpec, PolicyInputError, optimize_partition, solve_problem
from lakehouse_inv.optimize.batch import main as batch_main
from lakehouse_inv.optimize.distributions import DailyDemand
from lakehouse_inv.optimize.jrp import JrpItem, JrpItemInputs
from lakehouse_inv.optimize.policy_types import POLICY_TYPES, rule_from_decision
from lakehouse_inv.replenishment.replay import replay


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


def _partition_frame() -> pd.DataFrame:
    """One store x supplier as the optimize step's rows: a perishable, two that keep, the supplier's terms."""
    return pd.DataFrame(
        {
            "store_id": ["S1"] * 3,
            "supplier_id": ["SUP1"] * 3,
            "product_id": ["P1", "P2", "P3"],
            "a": [2.0, 0.7, 4.0],
            "L": [2, 2, 1],
            "h": [0.02, 0.05, 0.01],
            "pi": [1.5, 3.0, 0.8],
            "demand_variance": [3.0, None, 4.0],
            "alpha": [0.95, 0.9, None],
            "max_inventory": [80.0, None, 200.0],
            "W": [2.2, 5.5, 1.1],
            "life": [6.0, None, None],
            "product_volume": [1.0, 2.0, 0.5],
            "unit_cost": [2.0, 5.0, 1.0],
            "shipment_cost": [12.0] * 3,
            "delivery_every": [2] * 3,
            "min_shipment_volume": [None] * 3,
            "max_shipment_volume": [40.0] * 3,
            "max_shipment_value": [None] * 3,
        }
    )


def test_partition_rows_share_the_review_period_and_match_the_batch_interface() -> None:
    frame = _partition_frame()
    rows = optimize_partition(frame, PartitionSpec("jrp"))
    assert list(rows.columns[:3]) == ["store_id", "supplier_id", "product_id"]  # the inputs are not keys
    assert (rows["status"] == "optimal").all(), rows["message"].tolist()
    batch = solve_problem(
        "jrp",
        {
            "n": 3,
            "K": 12.0,
            "every": 2,
            "max_volume": 40.0,
            "a": [2.0, 0.7, 4.0],
            "L": [2, 2, 1],
            "h": [0.02, 0.05, 0.01],
            "pi": [1.5, 3.0, 0.8],
            "demand": [{"family": "negative_binomial", "variance": 3.0}, None, None],  # P3: variance = mean
            "alpha": [0.95, 0.9, None],
            "max_inventory": [80.0, None, 200.0],
            "W": [2.2, 5.5, 1.1],
            "life": [6, None, None],
            "volume": [1.0, 2.0, 0.5],
            "unit_cost": [2.0, 5.0, 1.0],
        },
    )
    assert rows["review_period"].tolist() == [batch.decision["R"]] * 3
    assert rows["order_up_to"].tolist() == batch.decision["S"]
    assert [json.loads(d) for d in rows["decision_json"]] == [
        {"R": batch.decision["R"], "S": s} for s in batch.decision["S"]
    ]
    assert rows["item_cost"].sum() == pytest.approx(rows["objective"].iloc[0]) == pytest.approx(batch.cost)


def test_a_partition_that_is_not_one_suppliers_truck_is_an_error_naming_the_column() -> None:
    frame = _partition_frame()
    frame.loc[2, "shipment_cost"] = 20.0
    rows = optimize_partition(frame, PartitionSpec("jrp"))
    assert (rows["status"] == "error").all()
    assert "column 'shipment_cost' differs within the partition" in rows["message"].iloc[0]


def test_the_replay_orders_every_item_of_a_partition_on_one_delivery_day_every_R_days() -> None:
    """The jrp rule (order up to S_i every R days) on a supplier delivering every 3 days with R = 6: both items
    order on the same days, 6 apart, and each shipment's cost is charged once, shared by the two lines."""
    start = dt.date(2025, 3, 1)  # day 20148 since 1970-01-01, a multiple of 3: a delivery day
    rows = []
    for sku, level, a in (("A", 9, 1.0), ("B", 14, 2.0)):
        rule = rule_from_decision("jrp", {"R": 6, "S": level}, a=a, L=2)
        rows.append(
            {
                "sku": sku,
                **rule.columns(),
                "L": 2,
                "shelf_life_days": math.nan,
                "moq": math.nan,
                "max_qty": math.nan,
                "multiple": math.nan,
                "max_inventory": math.nan,
                "price": 2.0,
                "unit_cost": 1.0,
                "h": 0.0,
                "K": 0.0,
                "missed_sale_cost": 0.0,
                "disposal_cost": 0.0,
                "shipment_group": "S1/SUP1",
                "shipment_cost": 12.0,
                "delivery_every": 3.0,
            }
        )
    rng = np.random.default_rng(3)
    days = 40
    demand = pd.DataFrame(
        [
            {"sku": sku, "date": start + dt.timedelta(days=d), "requests": int(rng.poisson(rate))}
            for sku, rate in (("A", 1.0), ("B", 2.0))
            for d in range(days)
        ]
    )
    out = replay(pd.DataFrame(rows), demand, start=start, end=start + dt.timedelta(days=days - 1), key_columns=["sku"])
    ordered = out.pivot(index="date", columns="sku", values="ordered")
    order_days = [(d - start).days for d in ordered.index[(ordered > 0).any(axis=1)]]
    assert order_days == list(range(0, days, 6))
    assert (ordered.iloc[order_days] > 0).all(axis=None)  # both lines on every shipment
    cost = out.pivot(index="date", columns="sku", values="ordering_cost").sum(axis=1)
    assert cost.iloc[order_days].tolist() == pytest.approx([12.0] * len(order_days))
    assert cost.drop(cost.index[order_days]).eq(0).all()


def test_solve_policies_answers_a_jrp_line(tmp_path) -> None:
    item = {"a": 2.0, "L": 2, "h": 0.05, "pi": 2.0}
    problem = {"id": "truck", "type": "jrp", "inputs": _inputs([item, {**item, "a": 0.5}], K=30.0, every=2)}
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps(problem) + "\n")
    assert batch_main(["--input", str(source), "--output", str(target)]) == 0
    answer = json.loads(target.read_text())
    assert answer["status"] == "optimal" and answer["decision"]["R"] % 2 == 0 and len(answer["decision"]["S"]) == 2


def test_a_re_optimization_that_keeps_the_review_period_keeps_the_shipment_rhythm() -> None:
    """The jrp rule reviews on the calendar: a new decision taking over on day 10 with the same R = 6 reviews on
    days 12, 18, … (multiples of 6 since 1970-01-01), not again on day 10 (an RS rule's calendar restarts there)."""
    start = dt.date(2025, 3, 1)  # day 20148 since 1970-01-01, a multiple of 6

    def rows(kind: str) -> list[dict[str, Any]]:
        out = []
        for level, rule_from in ((10, start), (12, start + dt.timedelta(days=10))):
            rule = rule_from_decision(kind, {"R": 6, "S": level}, a=1.0, L=1)
            out.append(
                {
                    "sku": "A",
                    **rule.columns(),
                    "rule_from": rule_from,
                    "L": 1,
                    "shelf_life_days": math.nan,
                    "moq": math.nan,
                    "max_qty": math.nan,
                    "multiple": math.nan,
                    "max_inventory": math.nan,
                    "price": 2.0,
                    "unit_cost": 1.0,
                    "h": 0.0,
                    "K": 0.0,
                    "missed_sale_cost": 0.0,
                    "disposal_cost": 0.0,
                }
            )
        return out

    demand = pd.DataFrame([{"sku": "A", "date": start + dt.timedelta(days=d), "requests": 1} for d in range(30)])
    end = start + dt.timedelta(days=29)
    order_days = {}
    for kind in ("jrp", "RS"):
        out = replay(pd.DataFrame(rows(kind)), demand, start=start, end=end, key_columns=["sku"])
        order_days[kind] = [(d - start).days for d in out.loc[out["ordered"] > 0, "date"]]
    assert order_days["jrp"] == [0, 6, 12, 18, 24]
    assert order_days["RS"] == [0, 6, 10, 16, 22, 28]


def test_the_gold_contract_accepts_every_registered_type() -> None:
    """gold.policy_parameters quarantines a row whose policy_type its contract does not list: a type added to the
    registry but not there would never reach gold (as jrp first did)."""
    check = next(c for c in load_contract("gold", "policy_parameters").checks if c.name == "type_known")
    assert set(check.accepted_values) == set(POLICY_TYPES)
