from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from lakehouse_inv.generate_orders.proposals import propose_orders, propose_store_orders

AS_OF = dt.date(2025, 12, 31)


def _item(policy_type: str, decision: dict, **overrides) -> dict:
    item = dict(
        policy_id=policy_type,
        policy_type=policy_type,
        store_id="S1",
        product_id="P1",
        supplier_id="X",
        decision_json=json.dumps(decision),
        parameters_as_of=dt.date(2025, 12, 29),
        period_days=1,
        a=2.0,
        L=3,
        on_hand=3.0,
        on_order=0.0,
        moq=6,
        max_qty=100,
        multiple=6,
        max_inventory=None,
        unit_cost=2.0,
    )
    return {**item, **overrides}


def test_reorder_point_orders_multiples_of_q_when_position_reaches_s():
    orders = propose_orders(pd.DataFrame([_item("sQ", {"s": 5, "Q": 12}, on_hand=3.0, on_order=2.0)]), as_of=AS_OF)
    row = orders.iloc[0]
    assert (row.need, row.quantity, row.status, row.inventory_position) == (12.0, 12.0, "placed", 5.0)
    assert row.expected_arrival_date == dt.date(2026, 1, 3) and row.order_id == "sQ-S1-P1-20251231"


def test_position_above_s_orders_nothing():
    assert propose_orders(pd.DataFrame([_item("sQ", {"s": 5, "Q": 12}, on_hand=4.0, on_order=2.0)]), as_of=AS_OF).empty


def test_review_days_count_from_the_optimization_date():
    rs = {"R": 2, "S": 20}
    due = propose_orders(pd.DataFrame([_item("RS", rs, parameters_as_of=dt.date(2025, 12, 29))]), as_of=AS_OF)
    not_due = propose_orders(pd.DataFrame([_item("RS", rs, parameters_as_of=dt.date(2025, 12, 30))]), as_of=AS_OF)
    assert len(due) == 1 and not_due.empty


def test_terms_that_cannot_be_met_block_the_order_with_the_reason():
    orders = propose_orders(pd.DataFrame([_item("RS", {"R": 1, "S": 20}, max_inventory=7, on_hand=3.0)]), as_of=AS_OF)
    row = orders.iloc[0]
    assert (row.status, row.quantity) == ("blocked", 0.0)
    assert "room for 4 units" in row.reason and "MOQ 6" in row.reason


def test_adjusted_orders_say_what_changed():
    row = propose_orders(pd.DataFrame([_item("RS", {"R": 1, "S": 20})]), as_of=AS_OF).iloc[0]
    assert (row.need, row.quantity, row.status) == (17.0, 18.0, "adjusted")
    assert "multiple of 6" in row.reason


def test_orders_go_out_only_on_the_suppliers_delivery_days():
    # 2025-12-31 is day 20453 since 1970-01-01: a delivery day every 1 day, not every 3 (20453 mod 3 = 2)
    sq = {"s": 5, "Q": 12}
    assert len(propose_orders(pd.DataFrame([_item("sQ", sq, delivery_every=1)]), as_of=AS_OF)) == 1
    assert propose_orders(pd.DataFrame([_item("sQ", sq, delivery_every=3)]), as_of=AS_OF).empty
    later = AS_OF + dt.timedelta(days=1)  # the next delivery day: the need is ordered then
    assert len(propose_orders(pd.DataFrame([_item("sQ", sq, delivery_every=3)]), as_of=later)) == 1


def test_a_shipment_above_the_suppliers_maximum_volume_is_capped_line_by_line_with_the_reason():
    limits = {"product_volume": 1.0, "max_shipment_volume": 12.0, "multiple": 1, "moq": 1}
    items = [
        _item("sQ", {"s": 5, "Q": 12}, product_id="P1", **limits),
        _item("sQ", {"s": 5, "Q": 12}, product_id="P2", **limits),
        _item("sQ", {"s": 5, "Q": 12}, product_id="P3", supplier_id="Y", **limits),
    ]
    orders = propose_orders(pd.DataFrame(items), as_of=AS_OF).set_index("product_id")
    # P1 and P2 share supplier X's truck: 24 units > 12, halved; P3 rides supplier Y's truck alone
    assert orders["quantity"].to_dict() == {"P1": 6.0, "P2": 6.0, "P3": 12.0}
    assert orders.loc["P1", "status"] == "adjusted" and "maximum shipping volume" in orders.loc["P1", "reason"]
    assert orders.loc["P3", "status"] == "placed"


def test_the_recommended_lines_of_a_supplier_share_one_truck_whatever_their_policy():
    """P1 is recommended under sQ, P2 stays on the baseline: their lines ride one truck of supplier X (volume at
    most 12), capped together. RS's line for P1 is what RS would order, not an order to place: a truck of its own."""
    truck = {"product_volume": 1.0, "max_shipment_volume": 12.0, "multiple": 1, "moq": 1, "delivery_every": 1}
    items = [
        _item("sQ", {"s": 5, "Q": 12}, recommended=True, **truck),
        _item("RS", {"R": 1, "S": 15}, recommended=False, **truck),
        {
            **_item("baseline", {}, product_id="P2", on_hand=8.0, recommended=True, **truck),
            "policy_type": None,
            "decision_json": None,
            "parameters_as_of": None,
            "demand_variance": 1.0,
            "shelf_life_days": None,
            "service_level": 0.95,
        },
    ]
    days = [AS_OF - dt.timedelta(days=27 - k) for k in range(28)]
    history = pd.DataFrame(
        [{"store_id": "S1", "product_id": "P2", "date": d, "units_sold": 3, "stockout": False} for d in days]
    )
    options = {"baseline_id": "baseline", "review_days": 7, "default_service_level": 0.95}
    orders = propose_store_orders(pd.DataFrame(items), history, as_of=AS_OF, **options)
    lines = orders.set_index(["policy_id", "product_id"])
    placed = lines.loc[[("sQ", "P1"), ("baseline", "P2")]]
    assert placed["quantity"].sum() <= 12 and (placed["quantity"] > 0).all()
    assert (placed["status"] == "adjusted").all()
    assert placed["reason"].str.contains("maximum shipping volume").all()
    alone = lines.loc[("RS", "P1")]
    assert alone["quantity"] == 12 and alone["status"] == "placed"
    # each policy's lines alone (no recommendation) fit trucks of their own: nothing capped
    own = propose_store_orders(pd.DataFrame(items).drop(columns="recommended"), history, as_of=AS_OF, **options)
    assert set(own["status"]) == {"placed"}
