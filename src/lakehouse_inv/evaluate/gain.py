"""How much of the attainable gain a policy captured: the profit ceiling per policy's items (:mod:`.ceiling`) in Spark,
and ``gain_captured`` = (profit − profit_baseline) / (profit_ceiling − profit_baseline).

The ceiling is solved once per store in a cogrouped pandas call (one MIP per shipment group and distinct item set
and period), summed per policy x store x segment x period and chain-wide (``ALL``). ``gain_captured`` is 0 for the
baseline, 1 for a policy that reached the ceiling; it is null, with the reason in ``ceiling_note``, when the baseline
is within NEAR_ZERO_PROFIT of the revenue below the ceiling (there is no gain to capture, so no ratio means
anything) or when no ceiling could be solved. A policy whose profit is above its ceiling is a defect and is said so
in ``ceiling_note``; the recommended portfolio is one replayed trajectory too (its lines of a store × supplier
share one truck), so the same holds for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.aggregate import ALL_STORES, SEGMENT
from lakehouse_inv.evaluate.ceiling import CEILING_SCHEMA, POLICIES_COLUMN, SEGMENT_COLUMN, store_ceilings
from lakehouse_inv.evaluate.metrics import NEAR_ZERO_PROFIT
from lakehouse_inv.optimize.config import ITEM_KEYS
from lakehouse_inv.optimize.solver import OPTIMAL, SolverOptions

CEILING_COLUMNS = ("profit_ceiling", "gain_captured", "ceiling_note")
DEFECT_TOLERANCE = 1e-6
"""Profit above the ceiling by more than this share of revenue (and 0.01 in money) is reported as a defect."""


def segments(products: DataFrame) -> DataFrame:
    """``product_id``, ``segment``: perishable when the product has a shelf life, else non_perishable."""
    perishable = F.coalesce(F.col("is_perishable"), F.lit(False))
    return products.select(
        "product_id",
        F.when(perishable, F.lit("perishable")).otherwise(F.lit("non_perishable")).alias(SEGMENT),
    )


def with_segment(rows: DataFrame, products: DataFrame) -> DataFrame:
    """Replay rows with their item's ``segment`` (a product missing from ``products`` counts as non_perishable)."""
    return rows.join(F.broadcast(segments(products)), "product_id", "left").withColumn(
        SEGMENT, F.coalesce(F.col(SEGMENT), F.lit("non_perishable"))
    )


def ceiling_frame(
    terms: DataFrame,
    members: DataFrame,
    products: DataFrame,
    demand: DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    periods: Sequence[tuple[str, dt.date, dt.date]],
    options: SolverOptions | None = None,
    relax: bool = False,
) -> DataFrame:
    """``profit_ceiling`` and ``ceiling_status`` per policy_id x store_id (and ALL) x segment (and all) x period.

    ``terms``: one replay items row per store-product (the baseline's: terms, shipment, opening stock and delivery
    history; rule columns are ignored); ``members``: (policy_id, store_id, product_id) of every policy whose ceiling
    is wanted, each on its own items; ``demand`` as for the replay. ``ceiling_status`` is ``optimal`` when every
    group's MIP was solved to optimality, else the statuses met (a ``bound`` ceiling is still an upper bound)."""
    policies = members.groupBy(*ITEM_KEYS).agg(F.sort_array(F.collect_set("policy_id")).alias(POLICIES_COLUMN))
    drop = [c for c in ("policy_id", "policy_type", "decision_json", "period_days", "rule_from") if c in terms.columns]
    items = (
        terms.drop(*drop)
        .join(policies, list(ITEM_KEYS))
        .join(F.broadcast(segments(products).withColumnRenamed(SEGMENT, SEGMENT_COLUMN)), "product_id", "left")
    )
    items = items.withColumn(SEGMENT_COLUMN, F.coalesce(F.col(SEGMENT_COLUMN), F.lit("non_perishable")))
    solve = partial(_store_ceilings, start=start, end=end, periods=tuple(periods), options=options, relax=relax)
    groups = items.groupBy("store_id").cogroup(demand.groupBy("store_id")).applyInPandas(solve, CEILING_SCHEMA)
    totals = groups.cube("policy_id", "store_id", SEGMENT, "period").agg(
        F.sum("profit_ceiling").alias("profit_ceiling"),
        # a null ceiling for one group makes the total unknown (sum would skip it)
        F.max(F.col("profit_ceiling").isNull().cast("int")).alias("_unknown"),
        F.concat_ws(", ", F.sort_array(F.collect_set("ceiling_status"))).alias("ceiling_status"),
        *[F.grouping(c).alias(f"_all_{c}") for c in ("policy_id", "store_id", SEGMENT, "period")],
    )
    return totals.where(
        (F.col("_all_policy_id") == 0) & (F.col("_all_period") == 0) & (F.col(f"_all_{SEGMENT}") == 0)
    ).select(
        "policy_id",
        F.when(F.col("_all_store_id") == 1, F.lit(ALL_STORES)).otherwise(F.col("store_id")).alias("store_id"),
        SEGMENT,
        "period",
        F.when(F.col("_unknown") == 0, F.col("profit_ceiling")).alias("profit_ceiling"),
        "ceiling_status",
    )


def _store_ceilings(
    items: pd.DataFrame,
    demand: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    periods: tuple,
    options: SolverOptions | None,
    relax: bool,
) -> pd.DataFrame:
    if items.empty:
        return pd.DataFrame(columns=[c.split()[0] for c in CEILING_SCHEMA.split(", ")])
    items = items.assign(**{POLICIES_COLUMN: items[POLICIES_COLUMN].map(list)})
    return store_ceilings(items, demand, start=start, end=end, periods=periods, options=options, relax=relax)


def with_ceiling(metrics: DataFrame, ceilings: DataFrame | None) -> DataFrame:
    """``metrics`` (with the baseline's profit and revenue, :func:`~.aggregate.with_improvement`) plus
    ``profit_ceiling``, ``gain_captured`` and ``ceiling_note`` (module docstring). The segment rows ``all`` of
    ``ceilings`` match the metrics' ``all`` rows; ``ceilings`` None: not computed (``evaluate.yml`` ceiling.modes)."""
    if ceilings is None:
        return metrics.withColumns(
            {
                "profit_ceiling": F.lit(None).cast("double"),
                "gain_captured": F.lit(None).cast("double"),
                "ceiling_note": F.lit("no ceiling: not computed in this mode (evaluate.yml ceiling.modes)"),
            }
        )
    joined = metrics.join(ceilings, ["policy_id", "store_id", SEGMENT, "period"], "left")
    profit, base, ceiling = F.col("profit"), F.col("profit_baseline"), F.col("profit_ceiling")
    room = ceiling - base
    near_zero = F.lit(NEAR_ZERO_PROFIT) * F.abs(F.col("total_revenue_baseline"))
    slack = F.greatest(F.lit(0.01), F.lit(DEFECT_TOLERANCE) * F.abs(F.col("total_revenue")))
    note = (
        F.when(
            ceiling.isNull(),
            F.concat(F.lit("no ceiling: "), F.coalesce("ceiling_status", F.lit("not computed for this period"))),
        )
        .when(
            profit > ceiling + slack,
            F.lit("defect: profit above the ceiling"),
        )
        .when(room <= near_zero, F.lit("no gain to capture: the baseline is within 0.5 % of revenue of the ceiling"))
        .when(
            F.col("ceiling_status") != OPTIMAL,
            F.concat(
                F.lit("ceiling is an upper bound, not a proven optimum ("),
                F.col("ceiling_status"),
                F.lit("): the gain captured is understated, never overstated"),
            ),
        )
    )
    gain = F.when(ceiling.isNotNull() & (room > near_zero), (profit - base) / room)
    return joined.withColumns({"gain_captured": gain, "ceiling_note": note}).drop("ceiling_status")
