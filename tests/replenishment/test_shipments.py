"""Shipments, not lines: one shipment cost per store x supplier x delivery day shared by its lines, freight per unit,
orders only on the supplier's delivery days, and its minimum and maximum shipping volume (pandas, no Spark)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from lakehouse_inv.replenishment.replay import replay
from lakehouse_inv.replenishment.rules import order_up_to_rule
from lakehouse_inv.replenishment.shipments import (
    CAPPED_AT_MAX_VALUE,
    CAPPED_AT_MAX_VOLUME,
    DELIVERY_EPOCH,
    DROPPED_BY_CAP,
    RAISED_TO_MIN_VOLUME,
    delivery_day_mask,
    fit_shipments,
    next_delivery_days,
)

START = dt.date(2025, 3, 1)  # day 20148 since 1970-01-01: 20148 mod 3 = 0, so day 0 is a delivery day every 3 days
COSTS = {"price": 2.0, "unit_cost": 1.0, "h": 0.0, "K": 0.0, "missed_sale_cost": 0.0, "disposal_cost": 0.0}


def item(sku: str, group: str | None, **extra: float) -> dict:
    terms = {"moq": math.nan, "max_qty": math.nan, "multiple": math.nan, "max_inventory": math.nan}
    return {
        "sku": sku,
        **order_up_to_rule(1, 10).columns(),
        "L": 1,
        "shelf_life_days": math.nan,
        **terms,
        **COSTS,
        "shipment_group": group,
        **extra,
    }


def run(items: list[dict], days: int, demand: int = 10) -> pd.DataFrame:
    requests = pd.DataFrame(
        [
            {"sku": i["sku"], "date": START + dt.timedelta(days=d), "requests": demand}
            for i in items
            for d in range(days)
        ]
    )
    return replay(
        pd.DataFrame(items), requests, start=START, end=START + dt.timedelta(days=days - 1), key_columns=["sku"]
    )


def test_a_shipment_costs_once_shared_by_its_lines_plus_freight_per_unit() -> None:
    truck = {"shipment_cost": 30.0, "freight": 0.5}
    rows = run([item("A", "S1", **truck), item("B", "S1", **truck), item("C", "S2", **truck)], days=1)
    day0 = rows.set_index("sku")
    assert list(day0["ordered"]) == [10, 10, 10]
    # A and B ride one truck: 30 once, 15 each, + 10 units x 0.5 freight; C has a truck of its own
    assert day0.loc["A", "ordering_cost"] == day0.loc["B", "ordering_cost"] == 15.0 + 5.0
    assert day0.loc["C", "ordering_cost"] == 30.0 + 5.0
    assert rows["ordering_cost"].sum() == 2 * 30.0 + 30 * 0.5


def test_a_line_alone_on_a_delivery_day_carries_the_whole_shipment() -> None:
    a, b = item("A", "S1", shipment_cost=30.0), item("B", "S1", shipment_cost=30.0)
    b.update(order_up_to_rule(2, 10, 1).columns())  # B reviews on odd days only
    rows = run([a, b], days=2)
    cost = rows.pivot(index="date", columns="sku", values="ordering_cost")
    assert list(cost["A"]) == [30.0, 15.0] and list(cost["B"]) == [0.0, 15.0]


def test_orders_go_out_only_on_the_suppliers_delivery_days() -> None:
    rows = run([item("A", "S1", delivery_every=3.0, shipment_cost=9.0)], days=9)
    ordered_on = [(d - DELIVERY_EPOCH).days % 3 for d in rows.loc[rows["ordered"] > 0, "date"]]
    assert ordered_on == [0, 0, 0]
    assert rows["ordering_cost"].sum() == 27.0
    # a review day between deliveries waits for the next delivery day
    due = np.array([[False], [True], [False], [False]])
    assert next_delivery_days(due, delivery_day_mask(np.array([3.0]), START, 4))[:, 0].tolist() == [0, 0, 0, 1]


def test_minimum_shipping_volume_raises_every_line_of_the_shipment() -> None:
    limits = {"unit_volume": 2.0, "min_shipment_volume": 60.0}
    rows = run([item("A", "S1", **limits), item("B", "S1", **limits)], days=1)
    # needs 10 + 10 units = 40 volume < 60: both raised by 1.5 to 15 units (60 volume), flagged as adjusted
    assert list(rows["ordered"]) == [15, 15]
    assert list(rows["orders_adjusted"]) == [1, 1]


def test_maximum_shipping_volume_and_value_cap_the_shipment_with_a_reason() -> None:
    quantity, code = fit_shipments(
        np.array([10.0, 10.0, 2.0, 8.0]),
        np.array([0, 0, 0, 1]),
        unit_volume=np.array([1.0, 1.0, 1.0, 1.0]),
        unit_cost=np.ones(4),
        multiple=np.array([1.0, 2.0, 1.0, 1.0]),
        moq=np.array([0.0, 0.0, 2.0, 0.0]),
        max_qty=np.full(4, np.nan),
        room=np.full(4, np.inf),
        min_volume=np.full(4, np.nan),
        max_volume=np.array([11.0, 11.0, 11.0, np.nan]),
        max_value=np.full(4, np.nan),
    )
    # 22 units in a truck of 11: every line halved and rounded down to its multiple (5, 4) and C, below its MOQ,
    # dropped; the 2 units of room that left go back to C (none of its request) at its MOQ: the truck leaves full
    assert quantity.tolist() == [5.0, 4.0, 2.0, 8.0]
    assert code.tolist() == [CAPPED_AT_MAX_VOLUME, CAPPED_AT_MAX_VOLUME, 0, 0]
    assert (quantity[:3]).sum() == 11
    rows = run([item("A", "S1", unit_volume=1.0, max_shipment_value=12.0)], days=1)
    assert rows["ordered"].tolist() == [10] and rows["orders_adjusted"].tolist() == [0]
    rows = run([item("A", "S1", unit_volume=1.0, max_shipment_value=6.0)], days=1)
    assert rows["ordered"].tolist() == [6] and rows["orders_adjusted"].tolist() == [1]


def test_raising_to_the_minimum_respects_a_lines_own_maximum() -> None:
    quantity, code = fit_shipments(
        np.array([4.0]),
        np.array([0]),
        unit_volume=np.ones(1),
        unit_cost=np.ones(1),
        multiple=np.ones(1),
        moq=np.zeros(1),
        max_qty=np.array([6.0]),
        room=np.array([np.inf]),
        min_volume=np.array([10.0]),
        max_volume=np.full(1, np.nan),
        max_value=np.full(1, np.nan),
    )
    assert quantity.tolist() == [6.0] and code.tolist() == [RAISED_TO_MIN_VOLUME]


def test_ceoq_reorder_point_covers_the_wait_for_the_next_delivery_day() -> None:
    """Deterministic demand of 2 a day, lead time 2, deliveries every 3 days, lots of 1 (K ≈ 0 makes ceoq's lots
    tiny): the reorder point must carry the L + 3 − 1 = 4 days of sales until the order after the next can arrive,
    ⌈2·4⌉ = 8, not the lead-time demand ⌈2·2⌉ = 4. With it nothing is lost once the first order is in."""
    from lakehouse_inv.optimize.policy_types import DECISION_RULES
    from lakehouse_inv.replenishment.rules import attach_rules

    decision = {"policy_type": "ceoq", "decision_json": '{"Q": 1}', "a": 2.0, "L": 2}
    frame = attach_rules(pd.DataFrame([decision | {"delivery_every": 3}, decision]), rules=DECISION_RULES)
    assert frame["reorder_point"].tolist() == [8, 4]  # daily deliveries: the lead time alone
    rules = frame.iloc[0][["rule_kind", "reorder_point", "order_quantity"]].to_dict()
    rows = run([item("A", "S1", delivery_every=3.0) | rules | {"L": 2}], days=30, demand=2)
    assert rows["lost"].iloc[2:].sum() == 0  # day 0 orders, the truck comes on day 2
    assert rows["on_hand_end"].max() <= 8  # and no more stock than the wait needs


def _fit(quantity, *, multiple, moq, unit_cost, max_value=np.nan, unit_volume=None, max_volume=np.nan):
    n = len(quantity)
    return fit_shipments(
        np.asarray(quantity, dtype=float),
        np.zeros(n, dtype=np.int64),
        unit_volume=np.ones(n) if unit_volume is None else np.asarray(unit_volume, dtype=float),
        unit_cost=np.asarray(unit_cost, dtype=float),
        multiple=np.asarray(multiple, dtype=float),
        moq=np.asarray(moq, dtype=float),
        max_qty=np.full(n, np.nan),
        room=np.full(n, np.inf),
        min_volume=np.full(n, np.nan),
        max_volume=np.full(n, max_volume),
        max_value=np.full(n, max_value),
    )


def test_a_line_of_one_case_is_not_dropped_while_its_capped_truck_has_room_for_it() -> None:
    # a budget of 66.92 per order; one case (6) of an item at 5.90 and two cases (12) of one at 2.87 ask 69.84:
    # scaling both by 0.958 and rounding down left 6 units of the second (17.22) and dropped the first on every
    # such day; its case goes back, the second keeps one case: 52.62 within the budget
    quantity, code = _fit([6.0, 12.0], multiple=[6, 6], moq=[6, 6], unit_cost=[5.90, 2.87], max_value=66.92)
    assert quantity.tolist() == [6.0, 6.0]
    assert code.tolist() == [0, CAPPED_AT_MAX_VALUE]


def test_a_capped_shipment_is_within_its_limits_and_no_line_could_take_another_step() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 6))
        multiple = rng.integers(1, 7, n).astype(float)
        moq = multiple * rng.integers(1, 3, n)
        asked = moq + multiple * rng.integers(0, 6, n)
        volume, value = rng.uniform(0.2, 3.0, n), rng.uniform(0.5, 9.0, n)
        max_volume = float(rng.uniform(0.3, 1.1) * asked @ volume)
        max_value = float(rng.uniform(0.3, 1.1) * asked @ value)
        kept, code = _fit(
            asked,
            multiple=multiple,
            moq=moq,
            unit_cost=value,
            max_value=max_value,
            unit_volume=volume,
            max_volume=max_volume,
        )
        assert (kept <= asked).all() and ((kept == 0) | (kept >= moq)).all()
        assert np.allclose(np.round(kept / multiple), kept / multiple)
        capped = asked @ volume > max_volume or asked @ value > max_value
        if not capped:
            assert (kept == asked).all() and (code == 0).all()
            continue
        assert kept @ volume <= max_volume + 1e-9 and kept @ value <= max_value + 1e-9
        assert ((code == DROPPED_BY_CAP) == (kept == 0)).all() and ((code == 0) == (kept == asked)).all()
        for i in range(n):  # maximal: one more step on any line breaks a limit or its request
            step = multiple[i] if kept[i] > 0 else np.ceil(moq[i] / multiple[i]) * multiple[i]
            more = kept.copy()
            more[i] += step
            assert more[i] > asked[i] or more @ volume > max_volume + 1e-9 or more @ value > max_value + 1e-9
