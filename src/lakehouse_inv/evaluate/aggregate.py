"""Evaluation metrics in Spark: the formulas of :mod:`.metrics` (see its docstring) on replay rows.

Per policy x store and chain-wide (``store_id = 'ALL'``) x segment (``all``, ``perishable``, ``non_perishable``,
when the rows carry a ``segment``), per period, plus the baseline's metrics on the *same items* and the signed
improvement over it (positive = better).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.metrics import (
    COST_COLUMNS,
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    NEAR_ZERO_PROFIT,
    PROFIT_COSTS,
    SUMMED,
)
from lakehouse_inv.lakehouse.numeric import exact_parts, exact_subtotal, exact_total

ALL_STORES = "ALL"
SEGMENT, ALL_SEGMENTS = "segment", "all"
GROUP = ["policy_id", "store_id", SEGMENT]
COMPARED = [*HIGHER_IS_BETTER, *LOWER_IS_BETTER]
SUMS = (*SUMMED, "received")


def _ratio(numerator: Column, denominator: Column) -> Column:
    return numerator / F.when(denominator != 0, denominator)


def period_metrics(rows: DataFrame, periods: Sequence[tuple[str, dt.date, dt.date]]) -> DataFrame:
    """One row per policy_id x store_id (and ``ALL``) x segment (and ``all``; rows without a ``segment`` column
    are all one segment ``all``) x period with TR, NR, NSE, TOR, fill rate, CSL, costs, gross margin (revenue −
    purchase cost of the units sold, over revenue), waste rate (units disposed / units received) and ordering cost
    share (of revenue)."""
    segmented = SEGMENT in rows.columns
    spans = rows.sparkSession.createDataFrame(
        [(name, start, end) for name, start, end in periods], "period string, period_start date, period_end date"
    )
    valid = rows.where(F.col("status") == "ok")
    if not segmented:
        valid = valid.withColumn(SEGMENT, F.lit(ALL_SEGMENTS))
    # Three stages, so that each item-day row is summed once whatever the periods: per policy x store x segment x
    # day (the products of the day kept as a set), then per period over those days (a day joins every period it
    # falls in), then every policy x (store or ALL) x (segment or all) over the few rows left: the cube's sets that
    # keep the period and the policy (without segments only those that keep the constant segment 'all'). Summing the
    # item-day rows once per period, or cubing them directly (which expands each row into every set it belongs to,
    # and again per distinct count), is what made the metrics the most costly part of an evaluation at 10,000
    # store-products. Exact sums (lakehouse.numeric) carried between the stages, so the metrics do not depend on
    # how rows are split over partitions; an item is in one store and its product in one segment, so items add up
    # across stores and segments.
    daily = valid.groupBy(*GROUP, "date").agg(
        F.collect_set("product_id").alias("products"),
        *[part for c in SUMS for part in exact_parts(c, c)],
    )
    dated = daily.join(F.broadcast(spans), F.col("date").between(F.col("period_start"), F.col("period_end")))
    per_store = dated.groupBy("period", *GROUP).agg(
        F.size(F.array_distinct(F.flatten(F.collect_list("products")))).alias("items"),
        F.collect_set("date").alias("dates"),
        *[part for c in SUMS for part in exact_subtotal(c)],
    )
    totals = per_store.cube("period", *GROUP).agg(
        F.sum("items").alias("items"),
        F.size(F.array_distinct(F.flatten(F.collect_list("dates")))).cast("long").alias("n_days"),
        *[exact_total(c).alias(c) for c in SUMS],
        *[F.grouping(c).alias(f"_all_{c}") for c in ("period", *GROUP)],
    )
    keep = (F.col("_all_period") == 0) & (F.col("_all_policy_id") == 0)
    if not segmented:
        keep = keep & (F.col("_all_segment") == 0)
    average_value = F.col("inventory_value_end") / F.col("n_days")
    return (
        totals.where(keep)
        .join(F.broadcast(spans), "period")
        .select(
            "policy_id",
            F.when(F.col("_all_store_id") == 1, F.lit(ALL_STORES)).otherwise(F.col("store_id")).alias("store_id"),
            F.when(F.col("_all_segment") == 1, F.lit(ALL_SEGMENTS)).otherwise(F.col(SEGMENT)).alias(SEGMENT),
            "period",
            "period_start",
            "period_end",
            "items",
            "n_days",
            F.col("revenue").alias("total_revenue"),
            _ratio(F.col("revenue"), F.col("unit_days_sold")).alias("normalized_revenue"),
            F.col("lost").alias("stockout_events"),
            average_value.alias("average_inventory_value"),
            _ratio(F.col("revenue"), average_value).alias("turnover_ratio"),
            _ratio(F.col("sold"), F.col("demand")).alias("fill_rate"),
            (1 - _ratio(F.col("cycles_with_stockout"), F.col("cycles_closed"))).alias("cycle_service_level"),
            *COST_COLUMNS,
            sum((F.col(c) for c in COST_COLUMNS), F.lit(0.0)).alias("total_cost"),
            "purchase_cost",
            (F.col("revenue") - sum((F.col(c) for c in PROFIT_COSTS), F.lit(0.0))).alias("profit"),
            "demand",
            "sold",
            "disposed",
            "orders",
            _ratio(F.col("revenue") - F.col("purchase_cost"), F.col("revenue")).alias("gross_margin"),
            _ratio(F.col("disposed"), F.col("received")).alias("waste_rate"),
            _ratio(F.col("ordering_cost"), F.col("revenue")).alias("ordering_cost_share"),
        )
    )


def with_improvement(metrics: DataFrame, baseline: DataFrame, baseline_id: str) -> DataFrame:
    """Add ``baseline_id``, ``<metric>_baseline`` and ``<metric>_improvement`` (signed: positive = better).

    ``baseline`` holds the baseline's metrics computed on each policy's own items (labelled with that
    ``policy_id``), so a policy that manages only perishables is compared with the baseline on perishables.
    """
    base = baseline.select(*GROUP, "period", *[F.col(c).alias(f"{c}_baseline") for c in COMPARED])
    added = {"baseline_id": F.lit(baseline_id)}
    for name in COMPARED:
        value, reference = F.col(name), F.col(f"{name}_baseline")
        change = (
            (value - reference) / F.abs(reference)
            if name in HIGHER_IS_BETTER
            else (reference - value) / F.abs(reference)
        )
        added[f"{name}_improvement"] = F.when(reference == 0, F.when(value == 0, F.lit(0.0))).otherwise(change)
    # a percentage of a loss or of almost nothing says nothing: profit's change is then null (money only)
    meaningful = (F.col("profit_baseline") > 0) & (
        F.col("profit_baseline") >= F.lit(NEAR_ZERO_PROFIT) * F.abs(F.col("total_revenue_baseline"))
    )
    added["profit_improvement"] = F.when(meaningful, added["profit_improvement"])
    # what a percentage cannot say, money and a share of the revenue can: profit − baseline profit, and that over the
    # baseline's revenue on the same items
    added["profit_gain"] = F.col("profit") - F.col("profit_baseline")
    added["profit_gain_share"] = added["profit_gain"] / F.when(
        F.col("total_revenue_baseline") != 0, F.col("total_revenue_baseline")
    )
    # one projection: a withColumn per metric would analyse the growing plan once per column
    return metrics.join(base, [*GROUP, "period"], "left").withColumns(added)
