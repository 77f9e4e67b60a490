"""An item scope for a run (``lakehouse-inv run --stores S01,S02 --products P01``, as the dashboard's Run page
launches): optimize and generate_orders then work on those store-products only, whatever their schedules say, and
replace only those items' rows. ``--service-level α`` sets the optimized items' missed-sale cost for that target
(:mod:`lakehouse_inv.policies.service_level`)."""

from __future__ import annotations

import re

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.pipeline.context import JobContext

SCOPE_OPTIONS = {"stores": "store_id", "products": "product_id"}
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
MIN_SERVICE_LEVEL = 0.5  # exclusive: below it a missed sale would cost less than holding the unit
MAX_SERVICE_LEVEL = 0.9999  # exclusive: α → 1 sends the missed-sale cost (and the stock) to infinity


def parse_ids(text: str | None, option: str) -> list[str] | None:
    """``"S01, S02"`` -> ``["S01", "S02"]``; ids are plain names (they end up in a SQL scope)."""
    if not text:
        return None
    ids = sorted({part.strip() for part in text.split(",") if part.strip()})
    bad = [i for i in ids if not _ID.match(i)]
    if bad:
        raise ValueError(f"--{option}: not an id: {', '.join(map(repr, bad))}")
    return ids or None


def parse_service_level(text: str | float | None) -> float | None:
    """``"0.95"`` -> 0.95; empty -> None (keep each item's configured costs); out of range -> ValueError."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        alpha = float(text)
    except ValueError:
        raise ValueError(f"--service-level: not a number: {text!r}") from None
    if not MIN_SERVICE_LEVEL < alpha < MAX_SERVICE_LEVEL:  # also rejects nan
        raise ValueError(
            f"--service-level: {text!r} is not a service level between {MIN_SERVICE_LEVEL} and {MAX_SERVICE_LEVEL} "
            "(both exclusive; e.g. 0.95)"
        )
    return alpha


def is_scoped(ctx: JobContext) -> bool:
    return any(ctx.options.get(option) for option in SCOPE_OPTIONS)


def restrict(frame: DataFrame, ctx: JobContext) -> DataFrame:
    """Only the rows of the run's stores / products (all rows when the run has no scope)."""
    for option, column in SCOPE_OPTIONS.items():
        ids = ctx.options.get(option)
        if ids:
            frame = frame.where(F.col(column).isin(ids))
    return frame


def scope_sql(ctx: JobContext, alias: str = "t") -> str:
    """The same restriction as a MERGE scope suffix (``" AND t.store_id IN ('S01')"``, or ``""``)."""
    parts = []
    for option, column in SCOPE_OPTIONS.items():
        ids = ctx.options.get(option)
        if ids:
            parts.append(f" AND {alias}.{column} IN ({', '.join(repr(i) for i in ids)})")
    return "".join(parts)
