"""Shipments, not lines: the lines a store orders from one supplier on one delivery day travel as one shipment.

* **Delivery days.** A supplier delivering every R days (``delivery_every``, its ``shipment_freq_days``) takes
  orders for the dates whose day count since DELIVERY_EPOCH (1970-01-01) is a multiple of R: a fixed calendar, the
  one the simulated store orders on, so a replay and ``generate_orders`` agree on the days whatever day they start.
  A rule that states a need on another day waits for the next delivery day (:func:`next_delivery_days`).
* **Cost.** A shipment costs the supplier's ``shipment_cost`` once, shared equally by the lines on it
  (:func:`shipment_shares`), plus ``freight`` per unit ordered.
* **Volume and value limits.** A shipment's volume (Σ units × unit volume) must reach the supplier's
  ``min_shipment_volume`` and stay within ``max_shipment_volume``, and its purchase value (Σ units × unit cost)
  within ``max_shipment_value`` (the supplier's purchase budget per order); None/NaN = no limit.
  :func:`fit_shipments` raises every line of a shipment below the minimum by the same factor (rounded up to its
  multiple, within its maximum order and storage room). It caps every line of one above a maximum by the same
  factor (rounded down; a line pushed below its MOQ is dropped), then hands the room the rounding left back to the
  lines, one multiple (or a dropped line's MOQ) at a time, always to the line holding the smallest share of its
  request, while the shipment stays within its limits and no line exceeds its request. It returns what it did per
  line, so nothing changes silently.

  Why the hand-back: rounding every line down wastes up to a multiple per line, and a line whose request is one
  case (a slow mover ordered by the case) rounds to zero whenever its shipment is capped at all. A store whose
  budget sits just under its usual shipment then drops that line on every capped day while the truck leaves with
  room to spare (seen in the demo's walk-forward: an item with a 99 % target at 9 % fill over a quarter). With the
  hand-back a capped truck leaves as full as its lines' multiples allow, and the cut falls on the lines that kept
  the most of their request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

DELIVERY_EPOCH = dt.date(1970, 1, 1)
FITTED_NONE, RAISED_TO_MIN_VOLUME, CAPPED_AT_MAX_VOLUME, CAPPED_AT_MAX_VALUE, DROPPED_BY_CAP = 0, 1, 2, 3, 4
FIT_REASONS = (
    "",
    "raised with its shipment to the supplier's minimum shipping volume",
    "capped with its shipment at the supplier's maximum shipping volume",
    "capped with its shipment at the supplier's purchase budget per order",
    "dropped: capping its shipment at the supplier's limit left it below its MOQ",
)
_TOLERANCE = 1e-9


def delivery_offset(every: np.ndarray, first_day: dt.date) -> np.ndarray:
    """Per item the day number (day 0 = ``first_day``) of the first delivery day on the calendar, in [0, every)."""
    every = np.nan_to_num(np.asarray(every, dtype=np.float64), nan=1.0).astype(np.int64)
    return (-(first_day - DELIVERY_EPOCH).days) % np.maximum(every, 1)


def delivery_day_mask(every: np.ndarray, first_day: dt.date, n_days: int) -> np.ndarray:
    """(n_days, items): whether each day is a delivery day of the item's supplier (every day when ``every`` is
    NaN or 1)."""
    every_i = np.maximum(np.nan_to_num(np.asarray(every, dtype=np.float64), nan=1.0).astype(np.int64), 1)
    offset = delivery_offset(every_i, first_day)
    days = np.arange(n_days)[:, None]
    return (days - offset[None, :]) % every_i[None, :] == 0


def next_delivery_days(due: np.ndarray, delivery_days: np.ndarray) -> np.ndarray:
    """``due`` (days × items) moved to each item's next delivery day on or after it (a due day past the last
    delivery day of the window is dropped)."""
    n_days = due.shape[0]
    rows = np.where(delivery_days, np.arange(n_days)[:, None], n_days)
    following = np.minimum.accumulate(rows[::-1], axis=0)[::-1]  # first delivery day on or after each day
    moved = np.zeros_like(due)
    day, item = np.nonzero(due)
    target = following[day, item]
    keep = target < n_days
    moved[target[keep], item[keep]] = True
    return moved


def group_codes(values: object, n: int) -> np.ndarray:
    """Shipment group code per item from the ``shipment_group`` values (None/NaN: the item ships alone)."""
    if values is None:
        return np.arange(n)
    labels = pd.Series(np.asarray(values, dtype=object))
    missing = labels.isna().to_numpy()
    # an item shipping alone gets a label no real group has: its position behind a NUL character
    labels = labels.astype(str).where(~missing, "\x00alone-" + pd.Series(np.arange(n)).astype(str))
    return np.unique(labels.to_numpy(str), return_inverse=True)[1].astype(np.int64)


def shipment_shares(quantity: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each ordering line's share of its shipment (1 / lines on it; 0 when it orders nothing): the shares of one
    shipment add up to 1, so Σ share × shipment cost charges the shipment once."""
    ordering = quantity > 0
    lines = np.bincount(groups, weights=ordering.astype(np.float64), minlength=groups.max(initial=-1) + 1)
    return np.where(ordering, 1.0 / np.maximum(lines[groups], 1.0), 0.0)


@dataclass(frozen=True)
class ShipmentLimits:
    """The shipment structure of a set of items, fixed over a replay: group code per item, each line's unit volume,
    unit value, multiple, MOQ and maximum order, and its shipment's limits (taken from the shipment's first line).
    Built once (:func:`shipment_limits`), so the day loop only sums today's lines per group (:meth:`fit`)."""

    groups: np.ndarray
    n_groups: int
    volume: np.ndarray
    value: np.ndarray
    multiple: np.ndarray
    moq: np.ndarray
    max_qty: np.ndarray
    min_volume: np.ndarray
    max_volume: np.ndarray
    max_value: np.ndarray

    def fit(self, quantity: np.ndarray, room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(quantity, code)``: today's order lines fitted to their shipments' limits (module docstring); ``code``
        per line indexes FIT_REASONS (0 = unchanged); ``room`` may be +inf."""
        quantity = np.asarray(quantity, dtype=np.float64).copy()
        code = np.zeros(len(quantity), dtype=np.int64)
        if not (quantity > 0).any():
            return quantity, code
        groups, n_groups, m = self.groups, self.n_groups, self.multiple
        lo, hi_volume, hi_value = self.min_volume, self.max_volume, self.max_value
        ordering = quantity > 0
        shipped_volume = np.bincount(groups, weights=quantity * self.volume, minlength=n_groups)[groups]
        shipped_value = np.bincount(groups, weights=quantity * self.value, minlength=n_groups)[groups]
        # below the minimum volume: raise every line by the same factor (up to its own limits)
        low = ordering & (shipped_volume > 0) & (shipped_volume < lo - _TOLERANCE)
        if low.any():
            factor = lo[low] / shipped_volume[low]
            raised = np.ceil(quantity[low] * factor / m[low] - _TOLERANCE) * m[low]
            limit = np.minimum(self.max_qty[low], room[low])
            limit = np.floor(limit / m[low] + _TOLERANCE) * m[low]
            raised = np.maximum(np.minimum(raised, limit), quantity[low])
            code[low] = np.where(raised > quantity[low], RAISED_TO_MIN_VOLUME, FITTED_NONE)
            quantity[low] = raised
        # above a maximum: cap every line by the same factor, then hand the rounding's room back
        volume_factor = np.where(shipped_volume > hi_volume, hi_volume / np.maximum(shipped_volume, _TOLERANCE), 1.0)
        value_factor = np.where(shipped_value > hi_value, hi_value / np.maximum(shipped_value, _TOLERANCE), 1.0)
        factor = np.minimum(volume_factor, value_factor)
        high = ordering & (factor < 1.0)
        if high.any():
            requested = quantity.copy()
            capped = np.floor(quantity[high] * factor[high] / m[high] + _TOLERANCE) * m[high]
            quantity[high] = np.where(capped < np.maximum(self.moq[high], _TOLERANCE), 0.0, capped)
            for group in np.unique(groups[high]):
                self._hand_back(quantity, requested, np.flatnonzero((groups == group) & ordering))
            cap = np.where(volume_factor[high] <= value_factor[high], CAPPED_AT_MAX_VOLUME, CAPPED_AT_MAX_VALUE)
            kept = quantity[high]
            code[high] = np.where(
                kept >= requested[high] - _TOLERANCE, FITTED_NONE, np.where(kept > 0, cap, DROPPED_BY_CAP)
            )
        return quantity, code

    def _hand_back(self, quantity: np.ndarray, requested: np.ndarray, lines: np.ndarray) -> None:
        """Give the room left in one capped shipment (its ordering ``lines``) back to them, in place (module
        docstring): one step at a time to the line with the smallest share of its request that can take it."""
        m, volume, value = self.multiple[lines], self.volume[lines], self.value[lines]
        asked = requested[lines]
        volume_left = self.max_volume[lines[0]] - quantity[lines] @ volume
        value_left = self.max_value[lines[0]] - quantity[lines] @ value
        first = np.ceil(np.maximum(self.moq[lines], m) / m - _TOLERANCE) * m  # a dropped line comes back at its MOQ
        held = quantity[lines]
        while True:
            step = np.where(held > 0, m, first)
            fits = (
                (held + step <= asked + _TOLERANCE)
                & (step * volume <= volume_left + _TOLERANCE)
                & (step * value <= value_left + _TOLERANCE)
            )
            if not fits.any():
                break
            pick = int(np.argmin(np.where(fits, held / asked, np.inf)))  # ties: the first line
            held[pick] += step[pick]
            volume_left -= step[pick] * volume[pick]
            value_left -= step[pick] * value[pick]
        quantity[lines] = held


def shipment_limits(
    groups: np.ndarray,
    *,
    unit_volume: np.ndarray,
    unit_cost: np.ndarray,
    multiple: np.ndarray,
    moq: np.ndarray,
    max_qty: np.ndarray,
    min_volume: np.ndarray,
    max_volume: np.ndarray,
    max_value: np.ndarray,
) -> ShipmentLimits:
    """The :class:`ShipmentLimits` of items with shipment ``groups`` (codes 0 … g − 1) and per-item terms (NaN = no
    limit; each shipment's limits are its first line's)."""
    groups = np.asarray(groups, dtype=np.int64)
    n_groups = int(groups.max(initial=-1)) + 1
    first = np.full(n_groups, -1)
    first[groups[::-1]] = np.arange(len(groups))[::-1]
    of_shipment = first[groups]
    return ShipmentLimits(
        groups=groups,
        n_groups=n_groups,
        volume=np.nan_to_num(unit_volume, nan=0.0),
        value=np.nan_to_num(unit_cost, nan=0.0),
        multiple=np.nan_to_num(multiple, nan=1.0),
        moq=np.nan_to_num(moq, nan=0.0),
        max_qty=np.nan_to_num(max_qty, nan=np.inf),
        min_volume=np.nan_to_num(np.asarray(min_volume, dtype=np.float64)[of_shipment], nan=0.0),
        max_volume=np.nan_to_num(np.asarray(max_volume, dtype=np.float64)[of_shipment], nan=np.inf),
        max_value=np.nan_to_num(np.asarray(max_value, dtype=np.float64)[of_shipment], nan=np.inf),
    )


def fit_shipments(
    quantity: np.ndarray,
    groups: np.ndarray,
    *,
    unit_volume: np.ndarray,
    unit_cost: np.ndarray,
    multiple: np.ndarray,
    moq: np.ndarray,
    max_qty: np.ndarray,
    room: np.ndarray,
    min_volume: np.ndarray,
    max_volume: np.ndarray,
    max_value: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(quantity, code)``: one day's order lines fitted to their shipments' limits (module docstring); ``code``
    per line indexes FIT_REASONS (0 = unchanged). Limits are per item (its supplier's; NaN = none), taken from the
    shipment's first line; ``room`` may be +inf. A replay, fitting every day, builds :func:`shipment_limits` once."""
    limits = shipment_limits(
        groups,
        unit_volume=unit_volume,
        unit_cost=unit_cost,
        multiple=multiple,
        moq=moq,
        max_qty=max_qty,
        min_volume=min_volume,
        max_volume=max_volume,
        max_value=max_value,
    )
    return limits.fit(quantity, room)
