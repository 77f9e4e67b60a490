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
    # 22 units in a truck of 11: every line halved, rounded down to its multiple; C falls below its MOQ and drops
    assert quantity.tolist() == [5.0, 4.0, 0.0, 8.0]
    assert code.tolist() == [CAPPED_AT_MAX_VOLUME, CAPPED_AT_MAX_VOLUME, DROPPED_BY_CAP, 0]
    assert (quantity[:3]).sum() <= 11
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
