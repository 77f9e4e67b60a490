"""Supplier terms: every rule of lakehouse_inv.replenishment.terms, the reasons, the vector twin against the scalar."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lakehouse_inv.replenishment.terms import ORDER_STATUSES, apply_supplier_terms, apply_supplier_terms_array


def test_moq_above_need_raises_the_order() -> None:
    line = apply_supplier_terms(5, moq=12)
    assert (line.quantity, line.status) == (12, "adjusted")
    assert line.reason == "raised to MOQ 12"


def test_rounding_up_to_the_multiple_then_moq_lists_both_steps() -> None:
    line = apply_supplier_terms(5, moq=12, multiple=6)
    assert (line.quantity, line.status) == (12, "adjusted")
    assert line.reason == "rounded 5 up to 6, a multiple of 6; raised to MOQ 12"


def test_moq_that_is_not_a_multiple_goes_to_the_next_multiple() -> None:
    line = apply_supplier_terms(3, moq=10, multiple=6)
    assert line.quantity == 12
    assert "smallest multiple of 6: 12" in line.reason


def test_multiple_rounds_need_up_but_the_maximum_caps_down_to_a_multiple() -> None:
    assert apply_supplier_terms(14, multiple=6).quantity == 18  # up, never down, when nothing caps
    line = apply_supplier_terms(14, multiple=6, max_qty=16)
    assert (line.quantity, line.status) == (12, "adjusted")  # 18 > 16 → largest multiple of 6 ≤ 16
    assert (
        line.reason
        == "rounded 14 up to 18, a multiple of 6; capped at max order quantity 16 (largest multiple of 6: 12)"
    )


def test_max_below_need_caps_the_order() -> None:
    line = apply_supplier_terms(30, max_qty=20)
    assert (line.quantity, line.status, line.reason) == (20, "adjusted", "capped at max order quantity 20")


def test_max_below_moq_blocks_the_order() -> None:
    line = apply_supplier_terms(5, moq=12, max_qty=10)
    assert (line.quantity, line.status) == (0, "blocked")
    assert (
        line.reason
        == "raised to MOQ 12; capped at max order quantity 10; blocked: 10 units left after capping, below MOQ 12"
    )


def test_room_below_moq_blocks_the_order() -> None:
    line = apply_supplier_terms(20, moq=12, room=4)
    assert (line.quantity, line.status) == (0, "blocked")
    assert line.reason == "max inventory leaves room for 4 units; blocked: 4 units left after capping, below MOQ 12"


def test_room_caps_down_to_a_multiple() -> None:
    line = apply_supplier_terms(20, multiple=4, room=10)
    assert (line.quantity, line.status) == (8, "adjusted")
    assert line.reason == "max inventory leaves room for 10 units (largest multiple of 4: 8)"


def test_no_room_at_all_blocks_even_without_moq() -> None:
    line = apply_supplier_terms(5, room=-2)  # inventory position already above the store's maximum
    assert (line.quantity, line.status) == (0, "blocked")
    assert line.reason == "max inventory leaves room for -2 units; blocked: 0 units left after capping"


@pytest.mark.parametrize("need", [0, -3, -0.5])
def test_zero_or_negative_need_orders_nothing(need: float) -> None:
    line = apply_supplier_terms(need, moq=12, multiple=6, max_qty=30, room=100)
    assert (line.quantity, line.status) == (0, "no_order")
    assert line.reason.startswith("nothing needed")


@pytest.mark.parametrize("limit", [None, math.nan])
def test_missing_limits_are_no_limits(limit: float | None) -> None:
    line = apply_supplier_terms(7, moq=limit, max_qty=limit, multiple=limit, room=limit)
    assert (line.quantity, line.status, line.reason) == (7, "placed", "ordered as needed (7 units)")


def test_fractional_need_rounds_up_to_whole_units() -> None:
    line = apply_supplier_terms(6.2)
    assert (line.quantity, line.status) == (7, "adjusted")


def test_float_noise_does_not_add_a_multiple() -> None:
    assert apply_supplier_terms(0.1 * 30, multiple=3).quantity == 3  # 3.0000000000000004 is one multiple


def test_invalid_terms_raise() -> None:
    with pytest.raises(ValueError, match="multiple"):
        apply_supplier_terms(5, multiple=2.5)
    with pytest.raises(ValueError, match="moq"):
        apply_supplier_terms(5, moq=-1)
    with pytest.raises(ValueError, match="need"):
        apply_supplier_terms(math.nan)


def test_vector_equals_scalar_on_random_cases() -> None:
    rng = np.random.default_rng(7)
    n = 500
    need = rng.integers(-5, 60, n).astype(float)
    moq = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 25, n))
    max_qty = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 60, n))
    multiple = np.where(rng.random(n) < 0.3, np.nan, rng.choice([1, 2, 5, 6, 12], n))
    room = np.where(rng.random(n) < 0.3, np.nan, rng.integers(-10, 80, n))
    quantity, status = apply_supplier_terms_array(need, moq, max_qty, multiple, room)
    statuses = set()
    for i in range(n):
        line = apply_supplier_terms(need[i], moq=moq[i], max_qty=max_qty[i], multiple=multiple[i], room=room[i])
        assert (line.quantity, line.status) == (quantity[i], ORDER_STATUSES[status[i]])
        statuses.add(line.status)
        if line.status in ("placed", "adjusted"):  # the order respects every term
            assert line.quantity % (1 if np.isnan(multiple[i]) else multiple[i]) == 0
            assert line.quantity >= (0 if np.isnan(moq[i]) else moq[i])
            assert line.quantity <= min(
                np.inf if np.isnan(max_qty[i]) else max_qty[i], np.nan_to_num(room[i], nan=np.inf)
            )
    assert statuses == set(ORDER_STATUSES)


def test_vector_broadcasts_scalar_terms() -> None:
    quantity, status = apply_supplier_terms_array(np.array([0.0, 3, 7, 13]), 5, None, 5)
    assert quantity.tolist() == [0, 5, 10, 15]
    assert [ORDER_STATUSES[s] for s in status] == ["no_order", "adjusted", "adjusted", "adjusted"]
