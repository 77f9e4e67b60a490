"""Supplier terms: turn the quantity a policy needs into a quantity the supplier accepts, saying what changed.

Rules, applied in this order to one order line (``multiple`` m, ``moq``, ``max_qty``, ``room``):

1. need ≤ 0 → quantity 0, status ``no_order``.
2. Round need UP to a multiple of m (m = 1 without a multiple: whole units).
3. Below MOQ → raise to the smallest multiple of m that is ≥ MOQ.
4. Above ``max_qty`` → cap DOWN to the largest multiple of m that is ≤ ``max_qty``.
5. Above ``room`` (store max inventory − inventory position) → cap DOWN to the largest multiple of m ≤ room.
6. A capped quantity below MOQ, or ≤ 0, cannot be ordered: status ``blocked``, quantity 0.

Status ``placed`` when nothing changed (quantity == need), ``adjusted`` when steps 2–5 changed it and the result is
orderable. The reason string names every step that applied, so nothing changes silently. A missing limit (None or
NaN) is no limit: no MOQ, no maximum, no room constraint, multiple 1.

One implementation serves both callers: :func:`apply_supplier_terms_array` (numpy, one element per order line; the
replay calls :meth:`SupplierTerms.apply` every simulated day) and :func:`apply_supplier_terms` (one line, with the
reason), which runs the same array code on one element and reads the intermediate stages to write the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_ORDER, PLACED, ADJUSTED, BLOCKED = 0, 1, 2, 3
ORDER_STATUSES = ("no_order", "placed", "adjusted", "blocked")
"""Status names indexed by the status codes above."""

_ROUNDING_TOLERANCE = 1e-9  # need/m = 3.0000000000000004 is 3 multiples, not 4


@dataclass(frozen=True)
class OrderLine:
    """One order after supplier terms: ``quantity`` to order, ``status`` (one of ORDER_STATUSES), ``reason``."""

    quantity: float
    status: str
    reason: str


@dataclass(frozen=True)
class TermsStages:
    """Every intermediate quantity of the rules above (arrays), so a caller can explain the outcome."""

    need: np.ndarray
    rounded: np.ndarray
    raised_to_moq: np.ndarray
    capped_by_max: np.ndarray
    capped_by_room: np.ndarray
    quantity: np.ndarray
    status: np.ndarray


@dataclass(frozen=True)
class SupplierTerms:
    """Normalised terms of many order lines (float arrays; no limit = 0 MOQ, +inf maximum, multiple 1).

    Build it once with :meth:`from_limits` and call :meth:`apply` as often as needed (the replay does, daily)."""

    moq: np.ndarray
    max_qty: np.ndarray
    multiple: np.ndarray
    moq_level: np.ndarray
    """Smallest multiple ≥ MOQ."""
    max_level: np.ndarray
    """Largest multiple ≤ max_qty."""

    @classmethod
    def from_limits(cls, moq: object, max_qty: object, multiple: object) -> SupplierTerms:
        """None/NaN = no limit. Raises ValueError for a negative MOQ or maximum, or a multiple that is not a
        whole number ≥ 1."""
        moq_a = np.nan_to_num(_as_array(moq), nan=0.0)
        max_a = np.nan_to_num(_as_array(max_qty), nan=np.inf)
        multiple_a = np.nan_to_num(_as_array(multiple), nan=1.0)
        if np.any(moq_a < 0) or np.any(max_a < 0):
            raise ValueError("moq and max_qty must be >= 0 (or None/NaN for no limit)")
        if np.any((multiple_a < 1) | (multiple_a != np.floor(multiple_a)) | ~np.isfinite(multiple_a)):
            raise ValueError("multiple must be a whole number >= 1 (or None/NaN for 1)")
        return cls(
            moq=moq_a,
            max_qty=max_a,
            multiple=multiple_a,
            moq_level=np.ceil(moq_a / multiple_a - _ROUNDING_TOLERANCE) * multiple_a,
            max_level=np.floor(max_a / multiple_a + _ROUNDING_TOLERANCE) * multiple_a,
        )

    def apply(self, need: np.ndarray, room: np.ndarray | None = None) -> TermsStages:
        """The rules of the module docstring, element-wise; ``room`` +inf (or None) = unlimited, never NaN."""
        m = self.multiple
        rounded = np.ceil(need / m - _ROUNDING_TOLERANCE) * m
        raised = np.maximum(rounded, self.moq_level)
        # A multiple above max_qty is also above its largest multiple ≤ max_qty, so min() is the cap-down rule.
        capped_max = np.minimum(raised, self.max_level)
        if room is None:
            capped_room = capped_max
        else:
            capped_room = np.minimum(capped_max, np.floor(room / m + _ROUNDING_TOLERANCE) * m)
        ordering = need > 0
        blocked = ordering & ((capped_room < self.moq) | (capped_room <= 0))
        status = np.where(
            ~ordering, NO_ORDER, np.where(blocked, BLOCKED, np.where(capped_room != need, ADJUSTED, PLACED))
        )
        quantity = np.where(ordering & ~blocked, capped_room, 0.0)
        return TermsStages(need, rounded, raised, capped_max, capped_room, quantity, status)


def apply_supplier_terms_array(
    need: np.ndarray, moq: object, max_qty: object, multiple: object, room: object = None
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised terms: ``(quantity, status_code)`` per element (codes index ORDER_STATUSES). Arguments broadcast
    like numpy arrays; None/NaN = no limit."""
    stages = SupplierTerms.from_limits(moq, max_qty, multiple).apply(_need_array(need), _room_array(room))
    return stages.quantity, stages.status


def apply_supplier_terms(
    need: float,
    *,
    moq: float | None = None,
    max_qty: float | None = None,
    multiple: float | None = None,
    room: float | None = None,
) -> OrderLine:
    """One order line with a reason listing every adjustment (see the module docstring for the rules)."""
    terms = SupplierTerms.from_limits(moq, max_qty, multiple)
    room_a = _room_array(room)
    stages = terms.apply(_need_array(need), room_a)
    code = int(stages.status[0])
    return OrderLine(float(stages.quantity[0]), ORDER_STATUSES[code], _reason(stages, terms, float(room_a[0])))


def _reason(stages: TermsStages, terms: SupplierTerms, room: float) -> str:
    """Every rule that changed the quantity of the (one-element) ``stages``, in the order the rules apply."""
    code = int(stages.status[0])
    need, rounded, raised = float(stages.need[0]), float(stages.rounded[0]), float(stages.raised_to_moq[0])
    capped_max, capped_room = float(stages.capped_by_max[0]), float(stages.capped_by_room[0])
    m, moq, max_qty = float(terms.multiple[0]), float(terms.moq[0]), float(terms.max_qty[0])
    if code == NO_ORDER:
        return f"nothing needed (need {need:g})"
    if code == PLACED:
        return f"ordered as needed ({need:g} units)"
    steps = []
    if rounded != need:
        steps.append(f"rounded {need:g} up to {rounded:g}, a multiple of {m:g}")
    if raised != rounded:
        steps.append(f"raised to MOQ {moq:g}" + _multiple_note(raised, moq, m, "smallest"))
    if capped_max != raised:
        steps.append(f"capped at max order quantity {max_qty:g}" + _multiple_note(capped_max, max_qty, m, "largest"))
    if capped_room != capped_max:
        steps.append(f"max inventory leaves room for {room:g} units" + _multiple_note(capped_room, room, m, "largest"))
    if code == BLOCKED:
        left = max(capped_room, 0.0)
        steps.append(f"blocked: {left:g} units left after capping" + (f", below MOQ {moq:g}" if left < moq else ""))
    return "; ".join(steps)


def _multiple_note(level: float, limit: float, m: float, which: str) -> str:
    """Mention the multiple when it moved the quantity off the limit itself (e.g. MOQ 10, multiple 6 → 12)."""
    return f" ({which} multiple of {m:g}: {max(level, 0.0):g})" if level != limit else ""


def _need_array(need: object) -> np.ndarray:
    need_a = _as_array(need)
    if np.any(np.isnan(need_a)):
        raise ValueError("need must not be NaN")
    return need_a


def _room_array(room: object) -> np.ndarray:
    return np.nan_to_num(_as_array(room), nan=np.inf)


def _as_array(value: object) -> np.ndarray:
    """None → NaN, anything else → float64 array (at least 1-d)."""
    if value is None:
        return np.array([np.nan])
    return np.atleast_1d(np.asarray(value, dtype=np.float64))
