"""Typed run options: what a run may change besides its date, validated once where it enters (the command line,
the dashboard's Run page) and read by the steps as attributes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lakehouse_inv.ranges import SERVICE_LEVEL

_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
SCOPE_OPTIONS = {"stores": "store_id", "products": "product_id"}
"""Options that restrict a run to some store-products -> the column they restrict."""


@dataclass(frozen=True)
class RunOptions:
    """``full_refresh``: derived tables rebuild over all dates. ``stores`` / ``products``: optimize and
    generate_orders work on those store-products only, whatever the schedules say, and replace only their rows
    (empty = every item). ``service_level`` α: optimize sets the optimized items' missed-sale cost and fill-rate
    target for α (:mod:`lakehouse_inv.optimize.service_level`); None keeps each item's configured costs.
    ``force``: steps with their own schedule (evaluate, backtest) run now whatever it says
    (:mod:`lakehouse_inv.pipeline.schedule`)."""

    full_refresh: bool = False
    force: bool = False
    stores: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    service_level: float | None = None

    def __post_init__(self) -> None:
        for option in SCOPE_OPTIONS:
            ids = getattr(self, option)
            if isinstance(ids, str) or not all(isinstance(i, str) for i in ids):
                raise ValueError(f"--{option}: a list of ids expected, got {ids!r}")
            bad = sorted({i for i in ids if not _ID.match(i)})
            if bad:  # ids end up in a SQL scope
                raise ValueError(f"--{option}: not an id: {', '.join(map(repr, bad))}")
            object.__setattr__(self, option, tuple(sorted(set(ids))))
        alpha = self.service_level
        if alpha is None:
            return
        if isinstance(alpha, bool) or not isinstance(alpha, int | float):
            raise ValueError(f"--service-level: not a number: {alpha!r}")
        if alpha not in SERVICE_LEVEL:  # also rejects nan
            raise ValueError(f"--service-level: {alpha:g} is not a service level {SERVICE_LEVEL.describe()}, e.g. 0.95")
        object.__setattr__(self, "service_level", float(alpha))

    @classmethod
    def from_text(
        cls,
        *,
        full_refresh: bool = False,
        force: bool = False,
        stores: str | None = None,
        products: str | None = None,
        service_level: str | float | None = None,
    ) -> RunOptions:
        """From command-line text: ``"S01, S02"`` -> ``("S01", "S02")``; ``"0.95"`` -> 0.95; empty -> unset."""
        return cls(
            full_refresh=full_refresh,
            force=force,
            stores=parse_ids(stores),
            products=parse_ids(products),
            service_level=parse_service_level(service_level),
        )

    @property
    def scoped(self) -> bool:
        return bool(self.stores or self.products)


def parse_ids(text: str | None) -> tuple[str, ...]:
    """``"S01, S02"`` -> ``("S01", "S02")``; empty -> ``()``. :class:`RunOptions` checks the ids."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def parse_service_level(text: str | float | None) -> float | None:
    """``"0.95"`` -> 0.95; empty -> None (keep each item's configured costs). :class:`RunOptions` checks the range."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--service-level: not a number: {text!r}") from None
