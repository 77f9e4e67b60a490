"""The day-by-day replay: a hand-computed trace, each rule kind, vectorisation, bad input, and a slow reference."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from replay_reference import reference_replay

from lakehouse_inv.evaluate.metrics import compute_metrics
from lakehouse_inv.replenishment.replay import REPLAY_COLUMNS, REPLAY_SCHEMA, replay, replay_schema
from lakehouse_inv.replenishment.rules import (
    NO_ORDERS,
    Rule,
    days_of_cover_rule,
    order_up_to_rule,
    reorder_point_rule,
    replacement_rule,
    rule_from_decision,
    service_cover_rule,
    store_manager_rule,
)

START = dt.date(2025, 3, 1)
NO_LIMITS = {"moq": math.nan, "max_qty": math.nan, "multiple": math.nan, "max_inventory": math.nan}
COSTS = {"price": 2.0, "unit_cost": 1.0, "h": 0.1, "K": 5.0, "missed_sale_cost": 1.5, "disposal_cost": 0.5}


def item(rule: Rule, *, sku: str = "A", policy: str = "p", L: int = 1, life: float = math.nan, **terms: Any) -> dict:
    return {
        "policy_id": policy,
        "sku": sku,
        **rule.columns(),
        "L": L,
        "shelf_life_days": life,
        **NO_LIMITS,
        **terms,
        **COSTS,
    }


def demand_frame(requests_by_sku: dict[str, list[int]]) -> pd.DataFrame:
    rows = [
        {"sku": sku, "date": START + dt.timedelta(days=d), "requests": r}
        for sku, requests in requests_by_sku.items()
        for d, r in enumerate(requests)
    ]
    return pd.DataFrame(rows)


def run(items: list[dict], requests_by_sku: dict[str, list[int]], days: int | None = None) -> pd.DataFrame:
    days = days or len(next(iter(requests_by_sku.values())))
    return replay(pd.DataFrame(items), demand_frame(requests_by_sku), start=START, end=START + dt.timedelta(days - 1))


def test_hand_computed_perishable_reorder_point_trace() -> None:
    # s = 4, Q = 3, L = 2, shelf life 3 days (a batch arriving on day a is sold through day a + 2, disposed after
    # closing on day a + 2), MOQ 5, multiple 2. Orders at IP ≤ 4 need n·Q with IP + n·Q > 4.
    rows = run([item(reorder_point_rule(4, 3), L=2, life=3, moq=5, multiple=2)], {"A": [3, 2, 4, 0, 5, 4, 2, 3, 0, 4]})
    # day 0: nothing on hand, 3 lost. IP 0 → n = ⌊4/3⌋ + 1 = 2 → 6 (a multiple of 2, ≥ MOQ): placed as is.
    # day 1: 2 lost; IP = 6 on order > 4.
    # day 2: batch A (6, last day 4) arrives, the first cycle opens; sell 4 (1 day each → 4 unit-days), 2 left.
    #        IP 2 → n = 1 → 3 → rounded to 4 → raised to MOQ 5 → 6 (smallest multiple of 2 ≥ 5): adjusted.
    # day 3: no demand; IP 2 + 6 = 8.
    # day 4: batch B (6, last day 6) arrives and closes cycle 2–3 (no loss). Sell 5: 2 from A (3 days → 6),
    #        3 from B (1 day → 3) = 9 unit-days. A is empty when it expires tonight. IP 3 → order 6 (adjusted).
    # day 5: demand 4, only B's 3 left (2 days → 6 unit-days): 1 lost. IP 0 + 6 = 6 → no order.
    # day 6: batch C (6, last day 8) closes cycle 4–5, which lost a sale. Sell 2 from C (2 unit-days); B (empty)
    #        expires. IP 4 ≤ 4 → n = 1 → 3 → 6 (adjusted).
    # day 7: sell 3 from C (2 days → 6 unit-days), 1 left; IP 1 + 6 = 7.
    # day 8: batch D (6, last day 10) closes cycle 6–7; no demand; C's last unit is disposed tonight. IP 6.
    # day 9: sell 4 from D (2 days → 8 unit-days); IP 2 → order 6 (adjusted).
    expected = pd.DataFrame(
        [  # received demand sold lost disposed on_hand on_order ordered adjusted unit_days closed with_stockout
            (0, 3, 0, 3, 0, 0, 6, 6, 0, 0, 0, 0),
            (0, 2, 0, 2, 0, 0, 6, 0, 0, 0, 0, 0),
            (6, 4, 4, 0, 0, 2, 6, 6, 1, 4, 0, 0),
            (0, 0, 0, 0, 0, 2, 6, 0, 0, 0, 0, 0),
            (6, 5, 5, 0, 0, 3, 6, 6, 1, 9, 1, 0),
            (0, 4, 3, 1, 0, 0, 6, 0, 0, 6, 0, 0),
            (6, 2, 2, 0, 0, 4, 6, 6, 1, 2, 1, 1),
            (0, 3, 3, 0, 0, 1, 6, 0, 0, 6, 0, 0),
            (6, 0, 0, 0, 1, 6, 0, 0, 0, 0, 1, 0),
            (0, 4, 4, 0, 0, 2, 6, 6, 1, 8, 0, 0),
        ],
        columns=[
            "received",
            "demand",
            "sold",
            "lost",
            "disposed",
            "on_hand_end",
            "on_order_end",
            "ordered",
            "orders_adjusted",
            "unit_days_sold",
            "cycles_closed",
            "cycles_with_stockout",
        ],
    )
    actual = rows[expected.columns].astype(np.int64)
    pd.testing.assert_frame_equal(actual, expected)
    assert rows["orders"].tolist() == [1, 0, 1, 0, 1, 0, 1, 0, 0, 1]
    assert rows["date"].tolist() == [START + dt.timedelta(days=d) for d in range(10)]
    # money columns follow the units: revenue = sold × 2, holding = on hand × 0.1, K = 5 per order, ...
    assert rows["revenue"].sum() == pytest.approx(2.0 * 21)
    assert rows["holding_cost"].sum() == pytest.approx(0.1 * 20)
    assert rows["ordering_cost"].sum() == pytest.approx(5.0 * 5)
    assert rows["stockout_cost"].sum() == pytest.approx(1.5 * 6)
    assert rows["disposal_cost"].sum() == pytest.approx(0.5 * 1)
    assert rows["inventory_value_end"].tolist() == rows["on_hand_end"].astype(float).tolist()


def test_a_rule_that_never_orders_sells_nothing() -> None:
    rows = run([item(NO_ORDERS)], {"A": [3, 0, 5, 2]})
    assert rows["lost"].tolist() == [3, 0, 5, 2]
    assert rows["on_hand_end"].sum() == rows["received"].sum() == rows["ordered"].sum() == 0
    metrics = compute_metrics(rows, ["policy_id"]).iloc[0]
    assert (metrics["total_revenue"], metrics["stockout_events"], metrics["fill_rate"]) == (0.0, 10.0, 0.0)


def test_order_up_to_reviews_every_r_days_and_counts_stock_on_order() -> None:
    # R = 2, S = 10, L = 3 > R, demand 3 a day. Day 0: order 10. Day 2: IP = 0 on hand + 10 on order = S, so no
    # order (an IP without the pipeline would order 10 again). Day 3: 10 arrive. Day 4: IP 4 → 6. Day 6: on hand
    # 0 (2 lost) + 6 on order → 4. Day 8: 0 + 4 → 6.
    rows = run([item(order_up_to_rule(2, 10), L=3)], {"A": [3] * 9})
    assert rows["ordered"].tolist() == [10, 0, 0, 0, 6, 0, 4, 0, 6]
    assert rows["on_hand_end"].tolist() == [0, 0, 0, 7, 4, 1, 0, 3, 0]
    assert rows["lost"].tolist() == [3, 3, 3, 0, 0, 0, 2, 0, 0]


def test_order_up_to_offset_moves_the_review_days() -> None:
    rows = run([item(order_up_to_rule(3, 5, offset=1))], {"A": [1] * 8})
    assert np.flatnonzero(rows["ordered"].to_numpy()).tolist() == [1, 4, 7]


def test_replacement_orders_last_weeks_sales_not_its_demand() -> None:
    # Day 0 orders the opening stock (20). Week 1 (days 1–7) sells 13 → the day-7 review orders 13. Week 2 wants
    # 24 but only 20 are there: 20 sold, 4 lost → the day-14 review orders the 20 sold.
    week1 = [0, 2, 3, 1, 0, 4, 2, 1]
    week2 = [5, 6, 5, 3, 1, 2, 2]
    rows = run([item(replacement_rule(20))], {"A": week1 + week2})
    ordered = rows["ordered"].to_numpy()
    assert {d: ordered[d] for d in np.flatnonzero(ordered)} == {0: 20, 7: 13, 14: 20}
    assert rows["lost"].sum() == 4


def test_days_of_cover_orders_up_to_cover_times_average_sales() -> None:
    # prior 2/day: day 0 orders ⌈7 × 2⌉ = 14 (arrives day 1). Days 1–7 sell 1 a day. On day 7 the 28-day window
    # (days −20…7) holds 20 prior days (40) + sales 0 + 7 × 1: target ⌈7 × 47/28⌉ = ⌈11.75⌉ = 12; IP = 14 − 7 = 7
    # → order 5.
    rows = run([item(days_of_cover_rule(7, 2.0))], {"A": [1] * 8})
    ordered = rows["ordered"].to_numpy()
    assert {d: ordered[d] for d in np.flatnonzero(ordered)} == {0: 14, 7: 5}


def test_hand_computed_service_cover_trace() -> None:
    # cover 3 days, reviews on days 0, 2, 4, L = 1, safety z = 1, prior sales 2/day with variance 0. Over the
    # in-stock days of the 28-day window (a day that opens with an empty shelf is left out; prior days count):
    # C days, Σx, Σx² → m = Σx/C, σ² = Σx²/C − m², target ⌈3m + σ√3⌉.
    # A, no shelf life. Day 0 (no stock: left out): C = 27, Σx = 54, Σx² = 108 → m = 2, σ = 0, target 6 → 6.
    # Day 2 (day 1 sold 0, day 2 sold 4 of 6; IP 2): C = 27, Σx = 50 + 4, Σx² = 100 + 16 → m = 2, σ² = 8/27,
    #   σ√3 = √(8/9) = 0.943; target ⌈6.94⌉ = 7 → 5.
    # Day 4 (sold 2, 1; IP 7 − 3 = 4): C = 27, Σx = 46 + 7 = 53, Σx² = 92 + 21 = 113 → m = 1.963,
    #   σ√3 = √(3·(113/27 − m²)) = 0.998; target ⌈5.889 + 0.998⌉ = 7 → 3.
    # B, shelf life 2 (a batch sells on its arrival day and the next): need ≤ ⌊2m − max(0, IP − m·(L − 1))⌋.
    # Day 0: ⌊2·2⌋ = 4. Day 2: the 4 that arrived on day 1 all sell on day 2, IP 0, m = 2 as for A → 4.
    # Day 4: 4 arrived on day 3, 2 + 1 sold, the last one expires after closing; IP 0, m = 53/27 → ⌊3.93⌋ = 3.
    def cover(life: float) -> Rule:
        return service_cover_rule(3, 2.0, 2, safety_z=1.0, prior_daily_variance=0.0, sell_within_days=life, lead_days=1)

    demand = [2, 0, 4, 2, 1]
    rows = run([item(cover(math.nan), sku="A"), item(cover(2), sku="B", life=2)], {"A": demand, "B": demand})
    lasting, perishable = rows[rows["sku"] == "A"], rows[rows["sku"] == "B"]
    assert lasting["ordered"].tolist() == [6, 0, 5, 0, 3]
    assert perishable["ordered"].tolist() == [4, 0, 4, 0, 3]
    assert perishable["sold"].tolist() == [0, 0, 4, 2, 1]
    assert perishable["disposed"].tolist() == [0, 0, 0, 0, 1]


def test_store_manager_rule_on_a_perishable_orders_only_what_sells_before_expiry() -> None:
    # Shelf life 3, lead time 2: each order is at most what 3 days sell at the average in-stock rate, and so
    # (at a steady 5 a day) at most 15, and nothing expires; the old weekly cover (up to L + 7 + 3 days of sales
    # every 7 days) throws much of it away. With Poisson demand it sells far more and throws away far less.
    steady = {"A": [5] * 70}
    rule = store_manager_rule(a=5.0, L=2, service_level=0.95, shelf_life_days=3)
    new = run([item(rule, L=2, life=3)], steady)
    old = run([item(rule_from_decision("days_of_cover", {"cover_days": 12}, a=5.0, L=2), L=2, life=3)], steady)
    assert new["ordered"].max() <= 15
    assert new["disposed"].sum() == 0
    assert new["lost"].iloc[7:].sum() == 0  # after the first week from empty stock it keeps up
    assert old["disposed"].sum() > 100
    noisy = {"A": np.random.default_rng(5).poisson(5, 200).tolist()}
    rows = run([item(rule, L=2, life=3)], noisy)
    weekly = run([item(rule_from_decision("days_of_cover", {"cover_days": 12}, a=5.0, L=2), L=2, life=3)], noisy)
    assert rows["sold"].sum() / rows["demand"].sum() > 0.95 > 1.5 * weekly["sold"].sum() / weekly["demand"].sum()
    assert rows["disposed"].sum() < 0.15 * rows["sold"].sum() and rows["disposed"].sum() < weekly["disposed"].sum() / 2


def test_max_inventory_room_caps_and_blocks_orders() -> None:
    # order up to 30 daily, room = 12 − IP: day 0 orders 12 (capped, adjusted); day 1 has no room left (blocked).
    rows = run([item(order_up_to_rule(1, 30), max_inventory=12)], {"A": [0, 0, 0]})
    assert rows["ordered"].tolist() == [12, 0, 0]
    assert rows["orders_adjusted"].tolist() == [1, 0, 0]
    assert rows["orders_blocked"].tolist() == [0, 1, 1]


def random_items(rng: np.random.Generator, n: int) -> tuple[list[dict], dict[str, list[int]]]:
    """Items of every rule kind with random terms, each on its own sku with Poisson demand."""
    rules = [
        lambda: reorder_point_rule(int(rng.integers(0, 15)), int(rng.integers(1, 12))),
        lambda: order_up_to_rule(int(rng.integers(1, 6)), int(rng.integers(0, 40)), int(rng.integers(0, 4))),
        lambda: replacement_rule(int(rng.integers(0, 40)), int(rng.integers(1, 8))),
        lambda: days_of_cover_rule(float(rng.integers(1, 10)), float(rng.uniform(0, 5)), int(rng.integers(1, 8))),
        lambda: service_cover_rule(
            float(rng.integers(2, 12)),
            float(rng.uniform(0, 5)),
            int(rng.integers(1, 8)),
            safety_z=float(rng.uniform(0, 2.5)),
            prior_daily_variance=float(rng.uniform(0, 6)),
            sell_within_days=float(rng.choice([math.nan, 2, 3, 5])),
            lead_days=float(rng.integers(1, 6)),
        ),
        lambda: NO_ORDERS,
    ]
    items, demand = [], {}
    for i in range(n):
        sku = f"S{i:02d}"
        maybe = lambda value: value if rng.random() < 0.6 else math.nan  # noqa: E731 - terms are often absent
        items.append(
            item(
                rules[i % len(rules)](),
                sku=sku,
                L=int(rng.integers(1, 6)),
                life=maybe(float(rng.integers(1, 8))),
                moq=maybe(float(rng.integers(0, 10))),
                max_qty=maybe(float(rng.integers(5, 60))),
                multiple=maybe(float(rng.choice([1, 2, 3, 6]))),
                max_inventory=maybe(float(rng.integers(10, 80))),
            )
        )
        demand[sku] = rng.poisson(rng.uniform(0.1, 8), 120).tolist()
    return items, demand


def test_replay_matches_a_slow_reference_on_random_items() -> None:
    rng = np.random.default_rng(11)
    items, demand = random_items(rng, 40)
    rows = run(items, demand)
    for i, (row, sku) in enumerate(zip(items, demand, strict=True)):
        expected = reference_replay(row, demand[sku])
        actual = rows.iloc[i * 120 : (i + 1) * 120]
        for name, values in expected.items():
            assert actual[name].astype(float).tolist() == pytest.approx(values), (i, name)


def test_slow_movers_keep_batches_older_than_the_initial_window() -> None:
    # A non-perishable item that receives 5 units every day but sells 1 keeps batches for weeks: unit-days must
    # still count each unit from its own arrival (the stock-by-arrival window grows).
    rows = run([item(order_up_to_rule(1, 1000), max_qty=5)], {"A": [1] * 60})
    expected = reference_replay(item(order_up_to_rule(1, 1000), max_qty=5), [1] * 60)
    assert rows["unit_days_sold"].astype(float).tolist() == expected["unit_days_sold"]
    # day t ≥ 1 sells the t-th unit received; unit 59 came in the 12th batch (day 12): 59 − 12 + 1 = 48 days held
    assert rows["unit_days_sold"].iloc[-1] == 48


def test_replaying_items_together_equals_replaying_each_alone() -> None:
    rng = np.random.default_rng(5)
    items, demand = random_items(rng, 20)
    together = run(items, demand)
    alone = pd.concat([run([row], {row["sku"]: demand[row["sku"]]}) for row in items], ignore_index=True)
    pd.testing.assert_frame_equal(together, alone)


def test_policies_of_one_store_product_see_the_same_demand() -> None:
    rows = run([item(reorder_point_rule(3, 5), policy="sQ"), item(NO_ORDERS, policy="none")], {"A": [2, 1, 4]})
    by_policy = rows.groupby("policy_id")["demand"].apply(list)
    assert by_policy["sQ"] == by_policy["none"] == [2, 1, 4]


def test_days_without_demand_rows_have_zero_demand_and_duplicates_add_up() -> None:
    demand = pd.DataFrame({"sku": "A", "date": [START, START, START + dt.timedelta(days=3)], "requests": [2, 1, 4]})
    rows = replay(pd.DataFrame([item(NO_ORDERS)]), demand, start=START, end=START + dt.timedelta(days=4))
    assert rows["demand"].tolist() == [3, 0, 0, 4, 0]


def test_an_invalid_item_is_reported_and_the_others_replay_as_usual() -> None:
    good = item(reorder_point_rule(3, 5), policy="good")
    bad = item(reorder_point_rule(3, 0), policy="bad", L=0)
    rows = run([good, bad], {"A": [2, 1, 4, 0]})
    assert rows.loc[rows["policy_id"] == "good", "status"].eq("ok").all()
    bad_rows = rows[rows["policy_id"] == "bad"]
    assert bad_rows["status"].eq("invalid").all()
    assert bad_rows["sold"].isna().all() and bad_rows["revenue"].isna().all()
    error = bad_rows["error"].iloc[0]
    assert error.startswith("item policy_id='bad', sku='A': ")
    assert "L: must be a whole number >= 1, got 0" in error
    assert "order_quantity: must be a number > 0 (rule reorder_point), got 0" in error
    alone = run([good], {"A": [2, 1, 4, 0]})
    pd.testing.assert_frame_equal(rows[rows["policy_id"] == "good"].reset_index(drop=True), alone)


def test_bad_demand_values_and_unknown_rule_kinds_invalidate_their_items() -> None:
    demand = demand_frame({"A": [1, -2, 3], "B": [1, 1, 1]})
    items = pd.DataFrame(
        [item(NO_ORDERS, sku="A"), item(NO_ORDERS, sku="B"), {**item(NO_ORDERS, sku="C"), "rule_kind": "magic"}]
    )
    rows = replay(items, demand, start=START, end=START + dt.timedelta(days=2))
    errors = rows.groupby("sku")["error"].first()
    assert "demand.requests: must be a whole number >= 0, got -2 on 2025-03-02" in errors["A"]
    assert errors["B"] is None
    assert "rule_kind: must be one of" in errors["C"] and "'magic'" in errors["C"]


def test_structural_problems_raise() -> None:
    items = pd.DataFrame([item(NO_ORDERS)])
    with pytest.raises(ValueError, match="missing column"):
        replay(items.drop(columns=["price"]), demand_frame({"A": [1]}), start=START, end=START)
    with pytest.raises(ValueError, match="no demand row matches"):
        replay(items.assign(sku=1), demand_frame({"A": [1]}), start=START, end=START)
    with pytest.raises(ValueError, match="duplicate items"):
        replay(pd.concat([items, items]), demand_frame({"A": [1]}), start=START, end=START)


def test_schema_constant_lists_the_output_columns_in_order() -> None:
    rows = run([item(NO_ORDERS)], {"A": [1, 2]})
    assert list(rows.columns) == ["policy_id", "sku", *(name for name, _ in REPLAY_COLUMNS)]
    assert REPLAY_SCHEMA.startswith("date date, status string, error string, demand bigint")
    assert replay_schema([("policy_id", "string"), ("sku", "string")]).startswith(
        "policy_id string, sku string, date date"
    )
