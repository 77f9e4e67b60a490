from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from lakehouse_inv.orders.proposals import propose_orders

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
