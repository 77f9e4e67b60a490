"""An item scope for a run (``lakehouse-inv run --stores S01,S02 --products P01``, as the dashboard's Run page
launches): optimize and generate_orders then work on those store-products only, whatever their schedules say, and
replace only those items' rows (:class:`~lakehouse_inv.pipeline.options.RunOptions`)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.pipeline.options import SCOPE_OPTIONS


def is_scoped(ctx: JobContext) -> bool:
    return ctx.options.scoped


def restrict(frame: DataFrame, ctx: JobContext) -> DataFrame:
    """Only the rows of the run's stores / products (all rows when the run has no scope)."""
    for option, column in SCOPE_OPTIONS.items():
        ids = getattr(ctx.options, option)
        if ids:
            frame = frame.where(F.col(column).isin(list(ids)))
    return frame


def scope_sql(ctx: JobContext, alias: str = "t") -> str:
    """The same restriction as a MERGE scope suffix (``" AND t.store_id IN ('S01')"``, or ``""``)."""
    parts = []
    for option, column in SCOPE_OPTIONS.items():
        ids = getattr(ctx.options, option)
        if ids:
            parts.append(f" AND {alias}.{column} IN ({', '.join(repr(i) for i in ids)})")
    return "".join(parts)
