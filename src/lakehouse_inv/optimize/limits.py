"""Size limits that bound the work of one problem before any large array or model is built.

The option generators enumerate integer decisions (order quantities, order-up-to levels, …) and tabulate demand
distributions over their support; the lot-sizing MILP has products × periods binaries. Unbounded inputs
(``a = 1e12``, ``L = 1e9``, ``T = 20000``) would otherwise run for minutes or exhaust memory. Each generator calls
:func:`check_grid` with the number of values it is about to enumerate, and the lot-sizing parser checks its cells;
both raise :class:`ProblemTooLarge`, which callers report as ``status: "error"``.

The limits in force are a context variable so that one caller (the batch CLI) can set them for everything it
solves without threading them through every generator. :data:`DEFAULT_LIMITS` are the CLI's defaults. Elsewhere
(the Spark optimize job) :data:`LIBRARY_LIMITS` apply: the same grid limit, which guards memory, but no cell limit,
because a large lot-sizing model only costs time and the job bounds that with its own HiGHS time limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class ProblemTooLarge(ValueError):
    """A problem exceeds a :class:`SizeLimits` bound; the message says which quantity, its size and the limit."""


@dataclass(frozen=True)
class SizeLimits:
    """``max_grid_points``: most integer values one table or option grid may span (distribution support, the Q range
    of (s,Q), …; at 5 M a grid costs ~1 s and ~40 MB per array). ``max_lot_sizing_cells``: most products × periods in
    a ww/clsp MILP (each cell is a binary; HiGHS needs seconds to minutes from a few thousand cells)."""

    max_grid_points: int = 5_000_000
    max_lot_sizing_cells: int = 10_000


DEFAULT_LIMITS = SizeLimits()
LIBRARY_LIMITS = SizeLimits(max_lot_sizing_cells=2**62)

_ACTIVE: ContextVar[SizeLimits] = ContextVar("policy_size_limits", default=LIBRARY_LIMITS)


@contextmanager
def size_limits(limits: SizeLimits) -> Iterator[SizeLimits]:
    """Apply ``limits`` to every problem built or solved inside the ``with`` block."""
    token = _ACTIVE.set(limits)
    try:
        yield limits
    finally:
        _ACTIVE.reset(token)


def active_limits() -> SizeLimits:
    return _ACTIVE.get()


def check_grid(points: float, what: str) -> None:
    """Raise :class:`ProblemTooLarge` if enumerating ``points`` values (``what`` says which) exceeds the limit."""
    limit = _ACTIVE.get().max_grid_points
    if not points <= limit:  # also catches NaN
        raise ProblemTooLarge(f"{what} spans {points:,.0f} values, more than the size limit of {limit:,}")
