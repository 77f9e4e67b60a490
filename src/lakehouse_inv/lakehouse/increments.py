"""Which dates a derived table must rebuild: those whose source rows changed since its last write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def rebuild_window(
    target: DataFrame,
    sources: Sequence[tuple[DataFrame, str]],
    *,
    as_of: dt.date,
    lookback_days: int,
    full_refresh: bool = False,
) -> tuple[dt.date, dt.date] | None:
    """(start, end) of the dates to rebuild, or None when the sources hold no data at all.

    ``sources`` are (frame with ``_updated_at``, its business-date column). The window reaches back to
    the earliest date of any source row changed after the target's newest row (everything on the first
    run or with ``full_refresh``), and always covers the last ``lookback_days`` before ``as_of`` so the
    new day exists even when nothing was sold.
    """
    last_write = None if full_refresh else target.agg(F.max("_updated_at")).first()[0]
    starts = []
    for frame, date_column in sources:
        changed = frame if last_write is None else frame.where(F.col("_updated_at") > F.lit(last_write))
        first = changed.where(F.col(date_column) <= F.lit(as_of)).agg(F.min(date_column)).first()[0]
        if first is not None:
            starts.append(first)
    if last_write is None and not starts:
        return None
    start = min([*starts, as_of - dt.timedelta(days=lookback_days)])
    return start, as_of
