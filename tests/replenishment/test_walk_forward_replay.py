"""The replay's walk-forward inputs: rule changes on re-optimization days, opening stock with expiry dates, and
late/short deliveries drawn as common random numbers (the same for every policy of a store-product)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from lakehouse_inv.replenishment.delivery import delivery_draws
from lakehouse_inv.replenishment.replay import replay
from lakehouse_inv.replenishment.rules import Rule, order_up_to_rule, reorder_point_rule

START = dt.date(2025, 1, 1)
COSTS = {"price": 2.0, "unit_cost": 1.0, "h": 0.1, "K": 5.0, "missed_sale_cost": 1.0, "disposal_cost": 1.0}
LIMITS = {"moq": math.nan, "max_qty": math.nan, "multiple": math.nan, "max_inventory": math.nan}
COLUMNS = ["demand", "sold", "lost", "received", "disposed", "on_hand_end", "on_order_end", "ordered"]


def row(rule: Rule, rule_from: dt.date, policy: str = "p", **extra) -> dict:
    return {
        "policy_id": policy,
        "store_id": "S1",
        "product_id": "P1",
        "L": 2,
        "shelf_life_days": 3,
        **LIMITS,
        **COSTS,
        "rule_from": rule_from,
        "opening_units": [4, 2],
        "opening_expiry": [dt.date(2025, 1, 2), dt.date(2025, 1, 3)],
        **rule.columns(),
        **extra,
    }


def demand(requests: list[int]) -> pd.DataFrame:
    days = [START + dt.timedelta(days=d) for d in range(len(requests))]
    return pd.DataFrame({"store_id": "S1", "product_id": "P1", "date": days, "requests": requests})


def test_hand_computed_walk_forward_trace() -> None:
    # Opening stock: 4 units sellable through Jan 2, 2 through Jan 3 (shelf life 3, lead time 2).
    # (s=3, Q=5) decided before the window; re-optimized to (R=2, S=10) from the end of Jan 3 (day 2).
    items = pd.DataFrame(
        [row(reorder_point_rule(3, 5), dt.date(2024, 12, 31)), row(order_up_to_rule(2, 10), dt.date(2025, 1, 3))]
    )
    out = replay(items, demand([1, 1, 3, 0, 2, 2, 2, 2]), start=START, end=START + dt.timedelta(days=7))
    # day 0: sell 1 of the Jan-2 batch; IP 5 > s: no order.
    # day 1: sell 1; the Jan-2 batch's last 2 units expire tonight; IP 2 <= 3 -> order 5 (arrives day 3).
    # day 2: demand 3, 2 on hand -> 1 lost. The new rule takes over tonight: review day, IP 0 + 5 -> order 5 (day 4).
    # day 3: 5 arrive (sellable through day 5). day 4: 5 arrive (through day 6), sell 2, review: IP 8 -> order 2.
    # day 5: sell 2; the day-3 batch's last unit expires. day 6: 2 arrive, sell 2, the day-4 batch's 3 expire;
    #        review: IP 2 -> order 8. day 7: sell the last 2.
    expected = [
        (1, 1, 0, 0, 0, 5, 0, 0),
        (1, 1, 0, 0, 2, 2, 5, 5),
        (3, 2, 1, 0, 0, 0, 10, 5),
        (0, 0, 0, 5, 0, 5, 5, 0),
        (2, 2, 0, 5, 0, 8, 2, 2),
        (2, 2, 0, 0, 1, 5, 2, 0),
        (2, 2, 0, 2, 3, 2, 8, 8),
        (2, 2, 0, 0, 0, 0, 8, 0),
    ]
    assert [tuple(r) for r in out[COLUMNS].astype(np.int64).itertuples(index=False)] == expected
    assert (out["status"] == "ok").all()


def test_a_rule_starting_inside_the_window_orders_nothing_before() -> None:
    items = pd.DataFrame([row(order_up_to_rule(1, 6), dt.date(2025, 1, 4))])
    out = replay(items, demand([1] * 6), start=START, end=START + dt.timedelta(days=5))
    # the opening stock is sold or expired by day 2; from day 3 the rule keeps IP at 6 (order 6, then 0, then 1)
    assert out["ordered"].tolist() == [0, 0, 0, 6, 0, 1]


def test_bad_rule_row_invalidates_its_item_with_the_day() -> None:
    items = pd.DataFrame([row(reorder_point_rule(3, 5), START), row(reorder_point_rule(3, -1), dt.date(2025, 1, 3))])
    out = replay(items, demand([1] * 4), start=START, end=START + dt.timedelta(days=3))
    assert (out["status"] == "invalid").all()
    assert "rule from day 2: order_quantity" in out["error"].iat[0]


def test_late_and_short_deliveries_follow_the_observed_distribution_and_are_common() -> None:
    items = pd.DataFrame(
        {
            "policy_id": ["a", "b", "a"],
            "store_id": ["S1", "S1", "S2"],
            "product_id": ["P1", "P1", "P1"],
            "lead_time_deviations": [[0, 0, 0, 3], [0, 0, 0, 3], [0, 0, 0, 3]],
            "received_shares": [[1.0, 0.5], [1.0, 0.5], [1.0, 0.5]],
            "lead_time_ci_days": [0, 0, 0],
        }
    )
    lead, share = delivery_draws(items, ["store_id", "product_id"], np.array([2, 2, 2]), 4000)
    assert set(np.unique(lead)) == {2, 5}
    assert abs((lead[:, 0] == 5).mean() - 0.25) < 0.03  # one deviation in four was 3 days late
    assert abs((share[:, 0] == 0.5).mean() - 0.5) < 0.03
    np.testing.assert_array_equal(lead[:, 0], lead[:, 1])  # same store-product: same draws for every policy
    assert not np.array_equal(lead[:, 0], lead[:, 2])  # another store-product: its own draws


def test_stated_lead_time_range_when_nothing_was_observed() -> None:
    items = pd.DataFrame({"store_id": ["S1"], "product_id": ["P1"], "lead_time_ci_days": [1]})
    lead, share = delivery_draws(items, ["store_id", "product_id"], np.array([1]), 3000)
    assert set(np.unique(lead)) == {1, 2}  # 1 - 1 = 0 is clipped to the next morning
    assert abs((lead == 2).mean() - 1 / 3) < 0.03 and (share == 1).all()


def test_a_short_delivery_brings_fewer_units_and_closes_the_order() -> None:
    base = row(order_up_to_rule(7, 10), START, opening_units=[], opening_expiry=[])
    base.update({"shelf_life_days": math.nan, "received_shares": [0.5], "lead_time_ci_days": 0})
    out = replay(pd.DataFrame([base]), demand([0] * 4), start=START, end=START + dt.timedelta(days=3))
    assert out["ordered"].tolist() == [10, 0, 0, 0]
    assert out["received"].tolist() == [0, 0, 5, 0]
    assert out["on_order_end"].tolist() == [10, 10, 0, 0]


def test_the_replay_is_causal_no_day_depends_on_later_demand() -> None:
    items = pd.DataFrame(
        [
            row(reorder_point_rule(3, 5), dt.date(2024, 12, 31), lead_time_deviations=[0, 1, 2]),
            row(order_up_to_rule(2, 10), dt.date(2025, 1, 5), lead_time_deviations=[0, 1, 2]),
        ]
    )
    requests = [2, 1, 3, 0, 2, 4, 1, 2, 3, 1, 0, 2]
    changed = [*requests[:6], 9, 0, 9, 0, 9, 9]  # the future after day 5 is different
    end = START + dt.timedelta(days=len(requests) - 1)
    base = replay(items, demand(requests), start=START, end=end)
    other = replay(items, demand(changed), start=START, end=end)
    first_days = base["date"] <= START + dt.timedelta(days=5)
    pd.testing.assert_frame_equal(base[first_days], other[first_days])
    assert not base.equals(other)
