"""The strong baseline's order of the day (rule service_cover on the last 28 days of observed sales), hand-computed."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lakehouse_inv.generate_orders.proposals import propose_baseline_orders
from lakehouse_inv.replenishment.baseline import calendar_offset, is_review_date

AS_OF = dt.date(2026, 1, 1)  # day 20454 since 1970-01-01: a review day for R = 7 and for R = 2
DAYS = [AS_OF - dt.timedelta(days=27 - k) for k in range(28)]


def _item(product: str = "P1", **overrides) -> dict:
    item = dict(
        store_id="S1",
        product_id=product,
        supplier_id="X",
        a=2.5,
        L=2,
        on_hand=5.0,
        on_order=3.0,
        moq=None,
        max_qty=None,
        multiple=5,
        max_inventory=None,
        unit_cost=2.0,
        demand_variance=2.5,
        shelf_life_days=None,
        service_level=0.95,
    )
    return {**item, **overrides}


def _history(sales: list[int], stockout: list[bool], product: str = "P1", days=DAYS) -> list[dict]:
    return [
        {"store_id": "S1", "product_id": product, "date": d, "units_sold": s, "stockout": o}
        for d, s, o in zip(days, sales, stockout, strict=True)
    ]


# 20 in-stock days selling 2, 4, 2, 4, ... (mean 3, population variance 1) and 8 stock-out days selling 9 (ignored)
STEADY = _history([2, 4] * 10 + [9] * 8, [False] * 20 + [True] * 8)


def _propose(items: list[dict], history: list[dict], as_of: dt.date = AS_OF, **kwargs) -> pd.DataFrame:
    options = {"policy_id": "baseline", "review_days": 7, "default_service_level": 0.95, **kwargs}
    return propose_baseline_orders(pd.DataFrame(items), pd.DataFrame(history), as_of=as_of, **options)


def test_the_calendar_reviews_every_r_days_counted_from_1970():
    assert is_review_date(AS_OF, 7) and is_review_date(AS_OF, 2) and not is_review_date(AS_OF + dt.timedelta(1), 7)
    first = AS_OF - dt.timedelta(days=27)
    offset = calendar_offset(7, first)  # day 27 of a window starting at `first` is AS_OF, a review day
    assert (27 - offset) % 7 == 0 and (26 - offset) % 7 != 0


def test_cover_days_of_in_stock_sales_plus_safety_stock_minus_position():
    """L = 2, R = 7: ⌈9·3 + 1.645·1·√9⌉ = ⌈31.93⌉ = 32, minus IP 5 + 3 = 24, rounded up to a multiple of 5."""
    row = _propose([_item()], STEADY).iloc[0]
    assert (row.order_id, row.policy_id, row.need, row.quantity, row.status) == (
        "baseline-S1-P1-20260101",
        "baseline",
        24.0,
        25.0,
        "adjusted",
    )
    assert row.reason == "rounded 24 up to 25, a multiple of 5"
    assert row.inventory_position == 8.0 and row.expected_arrival_date == dt.date(2026, 1, 3)
    assert row.parameters_as_of is None


def test_no_order_between_review_days():
    later = [d + dt.timedelta(days=1) for d in DAYS]
    history = _history([2, 4] * 10 + [9] * 8, [False] * 20 + [True] * 8, days=later)
    assert _propose([_item()], history, as_of=AS_OF + dt.timedelta(days=1)).empty


def test_a_perishable_orders_no_more_than_sells_before_expiry():
    """Shelf life 4: review every 2 days (AS_OF is one), cover L + 2 = 3 days. Sales 1, 5, ... (mean 3, σ 2):
    ⌈9 + 1.645·2·√3⌉ = 15, minus IP 2 = 13, capped at 3·4 − max(0, 2 − 3·0) = 10."""
    item = _item(L=1, on_hand=2.0, on_order=0.0, multiple=None, shelf_life_days=4)
    row = _propose([item], _history([1, 5] * 14, [False] * 28)).iloc[0]
    assert (row.need, row.quantity, row.status) == (10.0, 10.0, "placed")


def test_without_an_in_stock_day_the_forecast_rate_is_the_average_and_the_default_service_level_applies():
    # every day a stock-out: m = a = 2.5, σ = 0 → ⌈9·2.5⌉ − 8 = 15 (multiple 5)
    row = _propose([_item(service_level=None)], _history([9] * 28, [True] * 28)).iloc[0]
    assert (row.need, row.quantity) == (15.0, 15.0)
    # no service level: the default; 0.5 means no safety stock: 9·3 − 8 = 19 → 20
    row = _propose([_item(service_level=None)], STEADY, default_service_level=0.5).iloc[0]
    assert (row.need, row.quantity) == (19.0, 20.0)


def test_the_same_inputs_in_another_row_order_give_the_same_orders():
    items = [_item("P1"), _item("P2", on_hand=0.0, on_order=0.0), _item("P3", on_hand=100.0)]
    history = STEADY + _history([1, 5] * 14, [False] * 28, product="P2") + _history([3] * 28, [False] * 28, "P3")
    first = _propose(items, history)
    again = _propose(items[::-1], history[::-1]).sort_values("product_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(first.sort_values("product_id").reset_index(drop=True), again)
    assert list(first["product_id"]) == ["P1", "P2"]  # P3 holds more than it needs


def test_two_history_rows_for_one_day_are_an_error():
    with pytest.raises(ValueError, match=r"two rows for store_id='S1', product_id='P1' on 2025-12-05"):
        _propose([_item()], STEADY + STEADY[:1])
