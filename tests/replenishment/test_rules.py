"""Policy decisions → executable rules: the formula of every policy type, and the frame helper."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import pandas as pd
import pytest

from lakehouse_inv.optimize.policy_types import DECISION_RULES, rule_from_decision
from lakehouse_inv.replenishment.rules import (
    NO_ORDERS,
    RULE_COLUMNS,
    attach_rules,
    days_of_cover_rule,
    order_up_to_rule,
    reorder_point_rule,
    replacement_rule,
    service_cover_rule,
    store_manager_rule,
)


@pytest.mark.parametrize("policy_type", ["sQ", "sQ_perishable"])
def test_continuous_review_policies_keep_s_and_q(policy_type: str) -> None:
    assert rule_from_decision(policy_type, {"s": 7, "Q": 20}, a=3.0, L=2) == reorder_point_rule(7, 20)


def test_ceoq_reorders_at_the_lead_time_demand() -> None:
    assert rule_from_decision("ceoq", {"Q": 40}, a=2.4, L=3) == reorder_point_rule(8, 40)  # ⌈7.2⌉
    assert rule_from_decision("ceoq", {"Q": 40}, a=0.1, L=30).reorder_point == 3  # 3.0000000000000004 is 3


def test_rs_keeps_review_period_and_level() -> None:
    assert rule_from_decision("RS", {"R": 4, "S": 31}, a=5.0, L=2) == order_up_to_rule(4, 31, 0)


def test_newsvendor_orders_up_daily_covering_the_days_in_transit() -> None:
    assert rule_from_decision("nvbudget", {"s": 7}, a=2.5, L=3) == order_up_to_rule(1, 7 + 5)  # s + ⌈a(L − 1)⌉
    assert rule_from_decision("nvbudget", {"s": 7}, a=2.5, L=1) == order_up_to_rule(1, 7)
    assert rule_from_decision("nvbudget", {"s": 7, "R": 3}, a=2.5, L=3) == order_up_to_rule(3, 7 + 5)


def test_lot_sizing_plan_becomes_a_periodic_order_up_to() -> None:
    x = [10, 0, 0, 12, 0, 0, 0, 9, 0, 0]  # orders on days 0, 3, 7: spacings 3 and 4, median 3.5 → R = 4
    rule = rule_from_decision("ww", {"x": x}, a=99.0, L=2)  # the plan's own rate (31/10 a day), not a, sizes S
    assert rule == order_up_to_rule(4, math.ceil(3.1 * (2 + 4)), offset=(0 - 2) % 4)  # S = ⌈18.6⌉ = 19, offset 2


def test_lot_sizing_plan_with_one_order_reviews_once_per_plan_length() -> None:
    rule = rule_from_decision("clsp", {"x": [0, 0, 8, 0]}, a=1.0, L=1)
    assert rule == order_up_to_rule(4, math.ceil(8 / 4 * (1 + 4)), offset=1)


def test_empty_lot_sizing_plan_never_needs_stock() -> None:
    assert rule_from_decision("ww", {"x": [0, 0, 0]}, a=1.0, L=1) == order_up_to_rule(3, 0, 0)


def test_baselines() -> None:
    assert rule_from_decision("replacement", None, a=3.0, L=2) == replacement_rule(27, 7)  # ⌈3 × (2 + 7)⌉
    assert rule_from_decision("replacement", {"R": 14}, a=1.0, L=1) == replacement_rule(15, 14)
    assert rule_from_decision("days_of_cover", None, a=2.0, L=3) == days_of_cover_rule(10, 2.0, 7)
    assert rule_from_decision("days_of_cover", {"cover_days": 5}, a=2.0, L=3) == days_of_cover_rule(5, 2.0, 7)
    assert rule_from_decision("none", None, a=2.0, L=3) == NO_ORDERS


def test_service_cover_reviews_twice_per_shelf_life_with_a_service_level_safety_factor() -> None:
    decision = {"R": 7, "service_level": 0.95, "shelf_life_days": 5, "demand_variance": 6.0}
    rule = rule_from_decision("service_cover", decision, a=4.0, L=2)
    z = NormalDist().inv_cdf(0.95)
    assert z == pytest.approx(1.644854)
    # reviews every max(1, min(7, ⌊5/2⌋)) = 2 days, covers L + 2 days, sells within the 5-day shelf life
    assert rule == service_cover_rule(
        2 + 2, 4.0, 2, safety_z=z, prior_daily_variance=6.0, sell_within_days=5, lead_days=2
    )
    assert [store_manager_rule(a=1.0, L=1, shelf_life_days=life).review_period for life in (1, 2, 3, 7, 14, 30)] == [
        1,
        1,
        1,
        3,
        7,
        7,
    ]
    lasting = rule_from_decision("service_cover", {"service_level": 0.5}, a=4.0, L=2)
    assert (lasting.review_period, lasting.cover_days, lasting.safety_z) == (7, 9, 0.0)
    assert math.isnan(lasting.sell_within_days) and lasting.prior_daily_variance == 4.0  # Poisson by default
    assert store_manager_rule(a=1.0, L=1, service_level=1.0).safety_z == pytest.approx(3.719, abs=1e-3)
    assert store_manager_rule(a=1.0, L=1, service_level=0.0).safety_z == 0.0
    with pytest.raises(ValueError, match=r"'service_level' must be in \[0, 1\], got 1.2"):
        rule_from_decision("service_cover", {"service_level": 1.2}, a=1.0, L=1)


def test_malformed_decisions_and_unknown_types_raise() -> None:
    with pytest.raises(ValueError, match="unknown policy type 'EOQ'"):
        rule_from_decision("EOQ", {"Q": 3}, a=1.0, L=1)
    with pytest.raises(ValueError, match="sQ decision: missing 'Q'"):
        rule_from_decision("sQ", {"s": 3}, a=1.0, L=1)
    with pytest.raises(ValueError, match="this item's own value"):
        rule_from_decision("nvbudget", {"s": [3, 4]}, a=1.0, L=1)
    with pytest.raises(ValueError, match="this item's own plan"):
        rule_from_decision("clsp", {"x": [[1, 0], [0, 2]]}, a=1.0, L=1)


def test_attach_rules_reads_policy_results() -> None:
    policies = pd.DataFrame(
        {
            "store_id": ["S1", "S1", "S1"],
            "policy_type": ["sQ", "RS", "sQ"],
            "decision_json": [json.dumps({"s": 3, "Q": 9}), json.dumps({"R": 2, "S": 12}), None],
            "a": [1.0, 1.0, 1.0],
            "L": [2, 2, 2],
        }
    )
    framed = attach_rules(policies, rules=DECISION_RULES)
    assert list(framed.columns) == [*policies.columns, *(name for name, _ in RULE_COLUMNS)]
    assert framed["rule_kind"].tolist() == ["reorder_point", "order_up_to", None]  # unsolved: no rule
    assert framed.loc[0, ["reorder_point", "order_quantity"]].tolist() == [3, 9]
    assert framed.loc[1, ["review_period", "order_up_to", "review_offset"]].tolist() == [2, 12, 0]
    with pytest.raises(ValueError, match="row 0: sQ decision: missing 'Q'"):
        attach_rules(policies.assign(decision_json=json.dumps({"s": 1})), rules=DECISION_RULES)


def test_optimized_order_up_to_rules_review_on_the_delivery_rhythm() -> None:
    daily_plan = {"x": [3] * 10}  # orders every day: R = 1, S = ⌈3 × (2 + 1)⌉ = 9
    assert rule_from_decision("ww", daily_plan, a=3.0, L=2) == order_up_to_rule(1, 9, 0)
    weekly = rule_from_decision("ww", daily_plan, a=3.0, L=2, delivery_every=7)
    assert weekly == order_up_to_rule(7, 9 + 18, 0)  # reviews wait for the weekly delivery: 6 more days of demand
    on_rhythm = rule_from_decision("RS", {"R": 6, "S": 30}, a=2.0, L=1, delivery_every=3)
    assert on_rhythm == order_up_to_rule(6, 30, 0)  # already a multiple: unchanged
    assert rule_from_decision("sQ", {"s": 4, "Q": 9}, a=2.0, L=1, delivery_every=3) == reorder_point_rule(4, 9)
    baseline = rule_from_decision("replacement", {"R": 2}, a=2.0, L=1, delivery_every=3)
    assert baseline == rule_from_decision("replacement", {"R": 2}, a=2.0, L=1)  # the store's practice as it is


def test_attach_rules_reads_the_delivery_rhythm() -> None:
    frame = pd.DataFrame(
        {
            "policy_type": ["ww", "ww"],
            "decision_json": [json.dumps({"x": [3] * 10})] * 2,
            "a": [3.0, 3.0],
            "L": [2, 2],
            "delivery_every": [7, None],
        }
    )
    framed = attach_rules(frame, rules=DECISION_RULES)
    assert framed["review_period"].tolist() == [7, 1] and framed["order_up_to"].tolist() == [27, 9]
