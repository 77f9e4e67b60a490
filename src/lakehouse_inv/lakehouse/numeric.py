"""Order-independent arithmetic for every number the lakehouse publishes.

Spark adds up a column in whatever order partitions and tasks deliver its rows, and floating-point addition is
not associative: the same rows can sum to values that differ in the last bits when the shuffle partitions, the
core count or the file layout change, and a MERGE then sees a "changed" row. Two rules remove that at the
mechanism:

* aggregates sum in an exact ``DECIMAL(38, 9)`` (decimal addition is exact, so the order cannot matter) and
  convert to ``DOUBLE`` once, at the end (:func:`exact_sum`, :func:`exact_mean`); non-finite inputs keep IEEE
  semantics (any NaN gives NaN, an infinity stays infinite), which do not depend on the order either, and a
  group holding a magnitude beyond the decimal's range (:data:`EXACT_LIMIT`) falls back to a double sum;
* every ``DOUBLE`` written to a silver or gold table is rounded to :data:`PUBLISHED_DECIMALS` decimal places by
  the one write path (:func:`lakehouse_inv.lakehouse.writes.merge_into`), so the MERGE compares published
  values at a documented precision.
"""

from __future__ import annotations

from pyspark.sql import Column, WindowSpec
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType

EXACT = DecimalType(38, 9)
EXACT_LIMIT = 1e28  # |values| at or above this do not fit EXACT
# decimal places kept for every DOUBLE column of silver and gold (documented in README, "Numbers")
PUBLISHED_DECIMALS = 6


def _column(value: str | Column) -> Column:
    return F.col(value) if isinstance(value, str) else value


def _over(aggregate: Column, window: WindowSpec | None) -> Column:
    return aggregate if window is None else aggregate.over(window)


def _outside(value: Column) -> Column:
    """1 where a DOUBLE cannot be summed exactly (NaN, or beyond :data:`EXACT_LIMIT`), else 0."""
    return (F.isnan(value) | (F.abs(value) >= F.lit(EXACT_LIMIT))).cast("int")


def exact_sum(value: str | Column, window: WindowSpec | None = None) -> Column:
    """``SUM(value)`` (over ``window`` if given) as a DOUBLE that is the same for any row order; NULL when no
    row is non-null."""
    value = _column(value).cast("double")
    outside = _over(F.max(_outside(value)), window)
    exact = _over(F.sum(value.try_cast(EXACT)), window).cast("double")
    return F.when(outside == 1, _over(F.sum(value), window)).otherwise(exact)


def exact_parts(value: str | Column, name: str) -> list[Column]:
    """The partial aggregates of :func:`exact_sum` for a sum in two stages (many rows to a few groups, then
    :func:`exact_total` over those): the exact decimal sum, the double sum (used when a value is NaN or beyond
    :data:`EXACT_LIMIT`) and whether such a value was met, as ``<name>__exact``, ``__double`` and ``__outside``.
    Decimal addition is exact, so the two stages give :func:`exact_sum`'s value whatever the grouping."""
    value = _column(value).cast("double")
    return [
        F.sum(value.try_cast(EXACT)).alias(f"{name}__exact"),
        F.sum(value).alias(f"{name}__double"),
        F.max(_outside(value)).alias(f"{name}__outside"),
    ]


def exact_subtotal(name: str) -> list[Column]:
    """:func:`exact_parts` of the rows behind the :func:`exact_parts` rows of ``name`` being aggregated, for a sum in
    more than two stages (the parts of groups of groups), under the same names."""
    return [
        F.sum(F.col(f"{name}__exact")).alias(f"{name}__exact"),
        F.sum(F.col(f"{name}__double")).alias(f"{name}__double"),
        F.max(F.col(f"{name}__outside")).alias(f"{name}__outside"),
    ]


def exact_total(name: str) -> Column:
    """:func:`exact_sum` of the rows behind the :func:`exact_parts` rows of ``name`` being aggregated."""
    exact = F.sum(F.col(f"{name}__exact")).cast("double")
    return F.when(F.max(F.col(f"{name}__outside")) == 1, F.sum(F.col(f"{name}__double"))).otherwise(exact)


def exact_mean(value: str | Column, window: WindowSpec | None = None) -> Column:
    """``AVG(value)`` over non-null rows (over ``window`` if given), independent of row order."""
    value = _column(value).cast("double")
    return exact_sum(value, window) / _over(F.count(value), window)


def published(value: str | Column) -> Column:
    """A DOUBLE rounded to the published precision (NaN and infinities pass unchanged)."""
    return F.round(_column(value), PUBLISHED_DECIMALS)
