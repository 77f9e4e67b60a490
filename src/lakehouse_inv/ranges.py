"""Value ranges that several layers check or show: each is defined here once.

The command line, the dashboard's Run page and the models read the same bounds, so a value one of them accepts is
never rejected (or silently clamped differently) by another.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpenRange:
    """``low < value < high``, both bounds excluded."""

    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low < value < self.high  # False for NaN

    def inner(self, decimals: int) -> tuple[float, float]:
        """The closed range of ``decimals``-digit values inside it: the bounds of a number field with that step."""
        step = 10.0**-decimals
        return round(self.low + step, decimals), round(self.high - step, decimals)

    def describe(self) -> str:
        return f"between {self.low:g} and {self.high:g} (both exclusive)"


SERVICE_LEVEL = OpenRange(0.5, 0.9999)
"""A target service level α (fill rate, critical ratio). Below 0.5 a missed sale would cost less than holding the
unit (π = h·α/(1−α) < h); α → 1 sends the missed-sale cost, the safety stock and the normal quantile to infinity,
so a service level of 1 is read as the upper bound (z = 3.72)."""
SERVICE_LEVEL_DECIMALS = 4
"""Digits of a service level typed in the dashboard (0.5001 … 0.9998 with the bounds above)."""
