"""A step's contract-checked writes: :func:`lakehouse_inv.lakehouse.checked_write.check_and_write` with the run's
Spark session, catalog, as-of date and run id taken from its :class:`JobContext`."""

from __future__ import annotations

import threading

from pyspark.sql import DataFrame

from lakehouse_inv.lakehouse.checked_write import CheckedWrite, check_and_write
from lakehouse_inv.pipeline.context import JobContext


def rows_of_the_day(ctx: JobContext, column: str = "as_of") -> str:
    """The target rows (alias ``t``) whose ``column`` is the run's ``--as-of``. For a table where every row a run
    writes carries its day, this is both the write's scope and its renewal
    (:func:`lakehouse_inv.lakehouse.writes.merge_into`): the day's first run replaces its still empty scope in one
    ``REPLACE WHERE`` instead of a MERGE that joins its rows with every earlier day's; a re-run merges."""
    return f"t.{column} = DATE'{ctx.as_of}'"


def publish_checked(
    ctx: JobContext,
    layer: str,
    table: str,
    rows: DataFrame,
    *,
    scope: str | None,
    source: str,
    quarantine_lock: threading.Lock | None = None,
    renewal: str | None = None,
) -> CheckedWrite:
    """Check ``rows`` against ``<layer>/<table>.yml`` and MERGE them into ``<layer>.<table>`` (``scope``: the
    target rows this write replaces; ``renewal``: :func:`~lakehouse_inv.lakehouse.writes.merge_into`); rejected
    rows go to ``silver.quarantine`` labelled with ``source``."""
    return check_and_write(
        ctx.spark,
        ctx.catalog,
        layer,
        table,
        rows,
        as_of=ctx.as_of,
        run_id=ctx.run_id,
        scope=scope,
        source=source,
        quarantine_lock=quarantine_lock,
        renewal=renewal,
    )


def publish_gold(
    ctx: JobContext, table: str, rows: DataFrame, *, scope: str | None, source: str, renewal: str | None = None
) -> CheckedWrite:
    """The one write path of every gold table: :func:`publish_checked` into ``gold.<table>``."""
    return publish_checked(ctx, "gold", table, rows, scope=scope, source=source, renewal=renewal)
