"""One recommended policy per store-product, chosen on the walk-forward selection window (out of sample).

For each item and each candidate (every active policy that manages it, and the baseline), the walk-forward rows
of the selection window give its profit (revenue − purchase cost of the units sold − holding − ordering − disposal)
and fill rate (units sold / units demanded; an item without demand in the window meets any target). The item's
target is its primary supplier's ``service_level`` (the baseline's ``default_service_level`` when missing).

* The recommendation is the candidate with the highest profit among those whose fill rate meets the target
  (ties: the smaller policy id).
* When no candidate meets it, the fallback is the baseline; a candidate that fills at least as well as the baseline
  does is as acceptable (no worse on service than the fallback), and the highest profit among those is chosen. The
  reason names the best fill rate reached.
* An item of ``silver.store_product`` without walk-forward rows (no forecast or supplier terms) stays on the
  baseline with the reason "not evaluated".

The recommended policy's profit and fill rate on the later evaluation window are reported beside it, with the
baseline's on the same window (so a planner sees the items where the recommendation lost to the baseline or missed
its target): the recommendation never saw that window, so those figures are out of sample. The portfolio as a whole
(every item under its recommended policy) is replayed as one set (:func:`recommended_items`), its lines of one store
× supplier sharing each shipment.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.inputs import REPLAY_KEYS
from lakehouse_inv.evaluate.metrics import PROFIT_COSTS
from lakehouse_inv.lakehouse.numeric import exact_sum
from lakehouse_inv.optimize.config import ITEM_KEYS

RECOMMENDED = "recommended"
"""``gold.policy_metrics.policy_id`` of the recommended portfolio (each item under its recommended policy)."""


def window_scores(rows: DataFrame, start: dt.date, end: dt.date, prefix: str = "") -> DataFrame:
    """Per policy × item: profit and fill rate over [start, end] (valid rows only)."""
    window = rows.where((F.col("status") == "ok") & F.col("date").between(F.lit(start), F.lit(end)))
    summed = ("revenue", *PROFIT_COSTS, "sold", "demand")
    sums = window.groupBy(*REPLAY_KEYS).agg(*[exact_sum(c).alias(c) for c in summed])
    profit = F.col("revenue") - sum((F.col(c) for c in PROFIT_COSTS), F.lit(0.0))
    fill = F.col("sold") / F.when(F.col("demand") > 0, F.col("demand"))
    return sums.select(*REPLAY_KEYS, profit.alias(f"{prefix}profit"), fill.alias(f"{prefix}fill_rate"))


def _text(value: Column, decimals: int) -> Column:
    return F.format_number(value, decimals)


def recommend(
    rows: DataFrame,
    store_product: DataFrame,
    targets: DataFrame,
    *,
    candidates: list[str],
    baseline_id: str,
    default_service_level: float,
    selection: tuple[dt.date, dt.date],
    evaluation: tuple[dt.date, dt.date],
) -> DataFrame:
    """``gold.policy_recommendation`` rows (without ``as_of``) from walk-forward replay rows (module docstring).
    ``targets``: store_id, product_id, service_level."""
    scores = window_scores(rows, *selection).where(F.col("policy_id").isin(*candidates, baseline_id))
    target = F.coalesce(F.col("service_level"), F.lit(default_service_level))
    scored = (
        scores.join(targets.select(*ITEM_KEYS, "service_level"), list(ITEM_KEYS), "left")
        .withColumn("service_level", target)
        .withColumn("meets", F.coalesce(F.col("fill_rate") >= F.col("service_level"), F.lit(True)))
    )
    by_item = Window.partitionBy(*ITEM_KEYS)
    baseline_fill = F.max(F.when(F.col("policy_id") == baseline_id, F.col("fill_rate"))).over(by_item)
    ranked = (
        scored.withColumn("candidates", F.count("*").over(by_item).cast("int"))
        .withColumn("candidates_meeting", F.sum(F.col("meets").cast("int")).over(by_item).cast("int"))
        .withColumn("best_fill", F.max("fill_rate").over(by_item))
        # with no candidate meeting the target, one filling at least as well as the baseline (the fallback) is
        # as acceptable on service; none is when the baseline has no fill rate to compare with
        .withColumn(
            "_acceptable",
            F.col("meets")
            | ((F.col("candidates_meeting") == 0) & F.coalesce(F.col("fill_rate") >= baseline_fill, F.lit(False))),
        )
        .withColumn(
            "_rank",
            F.row_number().over(
                by_item.orderBy(F.col("_acceptable").desc(), F.col("profit").desc(), F.col("policy_id"))
            ),
        )
    )
    best = ranked.where(F.col("_rank") == 1)
    base = scored.where(F.col("policy_id") == baseline_id).select(
        *ITEM_KEYS, F.col("profit").alias("baseline_profit"), F.col("fill_rate").alias("_baseline_fill")
    )
    level = _text(F.col("service_level") * 100, 1)
    among = F.concat(
        F.col("candidates_meeting").cast("string"),
        F.lit(" of "),
        F.col("candidates").cast("string"),
        F.lit(" candidates meeting the "),
        level,
        F.lit("% fill-rate target"),
    )
    missed = F.concat(
        F.lit("no candidate met the "), level, F.lit("% fill-rate target (best "), _text(F.col("best_fill") * 100, 1)
    )
    more = F.concat(
        F.lit(" ("),
        _text(F.col("profit") - F.coalesce("baseline_profit", F.lit(0.0)), 2),
        F.lit(" more than the baseline)"),
    )
    accepted = F.col("_acceptable")
    chosen = best.join(base, list(ITEM_KEYS), "left").select(
        *ITEM_KEYS,
        F.when(accepted, F.col("policy_id")).otherwise(F.lit(baseline_id)).alias("policy_id"),
        F.when(
            F.col("meets") & (F.col("policy_id") == baseline_id),
            F.concat(F.lit("the baseline had the highest profit among the "), among),
        )
        .when(F.col("meets"), F.concat(F.lit("highest profit among the "), among, more))
        .when(
            accepted & (F.col("policy_id") != baseline_id),
            F.concat(
                missed,
                F.lit("%): highest profit among the candidates filling at least the baseline's "),
                _text(F.col("_baseline_fill") * 100, 1),
                F.lit("%"),
                more,
            ),
        )
        .otherwise(F.concat(missed, F.lit("%): kept on the baseline")))
        .alias("reason"),
        F.when(accepted, F.col("profit")).otherwise(F.col("baseline_profit")).alias("expected_profit"),
        "baseline_profit",
        F.when(accepted, F.col("fill_rate")).otherwise(F.col("_baseline_fill")).alias("fill_rate"),
        "service_level",
        "candidates",
        "candidates_meeting",
    )
    later = window_scores(rows, *evaluation, prefix="evaluation_")
    every_item = store_product.select(*ITEM_KEYS).distinct()
    return (
        every_item.join(chosen, list(ITEM_KEYS), "left")
        .join(targets.select(*ITEM_KEYS, F.col("service_level").alias("_target")), list(ITEM_KEYS), "left")
        .select(
            *ITEM_KEYS,
            F.coalesce("policy_id", F.lit(baseline_id)).alias("policy_id"),
            F.coalesce(
                "reason",
                F.lit("not evaluated (no forecast or supplier terms for the walk-forward): kept on the baseline"),
            ).alias("reason"),
            "expected_profit",
            F.lit(baseline_id).alias("baseline_id"),
            "baseline_profit",
            "fill_rate",
            F.coalesce("service_level", "_target", F.lit(default_service_level)).alias("service_level"),
            F.coalesce("candidates", F.lit(0)).alias("candidates"),
            F.coalesce("candidates_meeting", F.lit(0)).alias("candidates_meeting"),
            F.lit(selection[0]).alias("selection_start"),
            F.lit(selection[1]).alias("selection_end"),
        )
        .join(later, list(REPLAY_KEYS), "left")
        .join(
            later.where(F.col("policy_id") == baseline_id).select(
                *ITEM_KEYS,
                F.col("evaluation_profit").alias("baseline_evaluation_profit"),
                F.col("evaluation_fill_rate").alias("baseline_evaluation_fill_rate"),
            ),
            list(ITEM_KEYS),
            "left",
        )
    )


def recommended_items(items: DataFrame, recommendation: DataFrame) -> DataFrame:
    """The replay items of the recommended portfolio: each item's decisions under its recommended policy (its whole
    rule stream: the rules in force and when each takes over), labelled ``policy_id = 'recommended'``.

    Replayed as one set, the portfolio sends one shipment per store × supplier × delivery day whatever policy each
    line comes from, as the store would: the lines of items on different policies share the truck and its cost.
    (Taking each item's rows from its policy's own replay would charge it a share of a truck it shared with the
    partition's other items under that policy, which the portfolio may not hold.)"""
    chosen = recommendation.select(*REPLAY_KEYS)
    return items.join(chosen, list(REPLAY_KEYS)).withColumn("policy_id", F.lit(RECOMMENDED)).select(*items.columns)
