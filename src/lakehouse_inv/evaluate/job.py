"""``evaluate`` job: replay every active policy and the baselines on the same demand, score them against the baseline.

Demand is the true demand (``silver.daily_demand.requests``: every request, sold or lost) where known, else the
observed sales. Each store's items under every policy are replayed together in one cogrouped pandas call
(:func:`~lakehouse_inv.replenishment.replay.replay`) over the ``horizon_days`` ending on ``--as-of``. The daily
levels go to ``gold.inventory_levels`` (replaced by each evaluation), the metrics per policy x store x period to
``gold.policy_metrics`` with ``evaluation = 'replay'`` (rows for ``--as-of`` and this evaluation replaced).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial, reduce

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.aggregate import ALL_STORES, period_metrics, with_improvement
from lakehouse_inv.evaluate.config import BaselineConfig, EvaluateConfig
from lakehouse_inv.evaluate.metrics import period_bounds
from lakehouse_inv.lakehouse.checked_write import publish_gold
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.policies.config import ITEM_KEYS
from lakehouse_inv.policies.sources import current_items, latest_forecast, latest_parameters
from lakehouse_inv.replenishment.replay import replay, replay_schema
from lakehouse_inv.replenishment.rules import attach_rules

REPLAY_KEYS = ["policy_id", *ITEM_KEYS]
LEVELS, METRICS = "inventory_levels", "policy_metrics"
EVALUATION = "replay"
"""``gold.policy_metrics.evaluation`` of this job: the latest parameters replayed over the past horizon."""
NOT_IN_LEVELS = ("purchase_cost",)
"""Replay columns summed into the metrics but not kept in gold.inventory_levels."""


def service_levels(store_product_supplier: DataFrame) -> DataFrame:
    """The primary supplier's ``service_level`` per store-product (the target the service_cover baseline keeps)."""
    return (
        store_product_supplier.where("is_primary")
        .groupBy(*ITEM_KEYS)
        .agg(F.max("service_level").alias("service_level"))
    )


def replay_terms(items: DataFrame, levels: DataFrame) -> DataFrame:
    """Replay inputs per store-product from the policy inputs and service levels; an order placed after closing
    arrives next morning at the earliest, so lead times below one day count as one. An expired unit costs its
    purchase price plus disposal (``W``), as in the optimizer."""
    return items.join(levels, list(ITEM_KEYS), "left").select(
        *ITEM_KEYS,
        "a",
        "demand_variance",
        "service_level",
        F.greatest("L", F.lit(1)).alias("L"),
        "moq",
        "max_qty",
        "multiple",
        "max_inventory",
        F.col("life").alias("shelf_life_days"),
        "price",
        "unit_cost",
        "h",
        "K",
        F.col("pi").alias("missed_sale_cost"),
        F.col("W").alias("disposal_cost"),
    )


def baseline_items(terms: DataFrame, baseline: BaselineConfig) -> DataFrame:
    """Every store-product under a baseline rule (decision as :func:`rule_from_decision` reads it; a null field
    is left out of the JSON, so a product without a shelf life gets no expiry cap)."""
    fields = [F.lit(baseline.review_days).alias("R")]
    if baseline.rule == "days_of_cover":
        fields.append((F.col("L") + F.lit(baseline.review_days + baseline.safety_days)).alias("cover_days"))
    if baseline.rule == "service_cover":
        fields += [
            F.coalesce("service_level", F.lit(baseline.default_service_level)).alias("service_level"),
            F.col("shelf_life_days"),
            F.col("demand_variance"),
        ]
    return terms.select(
        F.lit(baseline.id).alias("policy_id"),
        F.lit(baseline.rule).alias("policy_type"),
        F.to_json(F.struct(*fields)).alias("decision_json"),
        F.lit(1).alias("period_days"),
        *terms.columns,
    )


def _replay_store(items: pd.DataFrame, demand: pd.DataFrame, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    return replay(
        attach_rules(items, period_column="period_days"), demand, start=start, end=end, key_columns=REPLAY_KEYS
    )


def replay_frame(items: DataFrame, demand: DataFrame, start: dt.date, end: dt.date) -> DataFrame:
    """Every item of ``items`` (policy_id, store_id, product_id, policy_type, decision_json, period_days, terms)
    replayed on ``demand`` (store_id, product_id, date, requests), one store per pandas call."""
    schema = replay_schema([(k, "string") for k in REPLAY_KEYS])
    fn = partial(_replay_store, start=start, end=end)
    return items.groupBy("store_id").cogroup(demand.groupBy("store_id")).applyInPandas(fn, schema)


def true_demand(ctx: JobContext, start: dt.date, end: dt.date) -> DataFrame:
    return (
        ctx.read("silver", "daily_demand")
        .where(F.col("date").between(F.lit(start), F.lit(end)))
        .select(*ITEM_KEYS, "date", F.coalesce("requests", "units_sold").cast("double").alias("requests"))
    )


def describe(baseline: BaselineConfig) -> str:
    if baseline.rule == "service_cover":
        return (
            f"every min({baseline.review_days}, shelf life / 2) days order up to lead time + review days of recent "
            "in-stock sales + safety stock for the item's service level, within what sells before expiry"
        )
    if baseline.rule == "days_of_cover":
        cover = f"lead time + {baseline.review_days} + {baseline.safety_days:g} days"
        return f"every {baseline.review_days} days order up to {cover} of recent sales"
    return f"every {baseline.review_days} days reorder what sold since the last order"


def comparison_table(metrics: pd.DataFrame) -> str:
    """The chain-wide comparison printed at the end of a run (policy, TR, NR, NSE, TOR, fill rate, CSL, cost,
    profit, improvements)."""
    header = (
        f"{'policy':<22}{'items':>6}{'TR':>13}{'NR':>8}{'NSE':>9}{'TOR':>8}{'fill':>7}{'CSL':>7}{'cost':>11}"
        f"{'profit':>12}{'TR vs base':>12}{'cost vs base':>13}{'profit vs base':>15}"
    )
    lines = [header, "-" * len(header)]
    for row in metrics.itertuples():
        lines.append(
            f"{row.policy_id:<22}{row.items:>6}{row.total_revenue:>13,.0f}{row.normalized_revenue:>8.3f}"
            f"{row.stockout_events:>9,.0f}{row.turnover_ratio:>8.1f}{row.fill_rate:>7.1%}{row.cycle_service_level:>7.1%}"
            f"{row.total_cost:>11,.0f}{row.profit:>12,.0f}{row.total_revenue_improvement:>+12.1%}"
            f"{row.total_cost_improvement:>+13.1%}{row.profit_improvement:>+15.1%}"
        )
    return "\n".join(lines)


def run(ctx: JobContext) -> StepResult:
    config: EvaluateConfig = ctx.configs["evaluate"]
    policies = ctx.configs["policies"].active
    ctx.catalog.ensure_tables(ctx.spark, "gold", [LEVELS, METRICS])
    result = StepResult()
    first_day = ctx.read("silver", "daily_demand").agg(F.min("date")).first()[0]
    if first_day is None:
        result.message = "no demand to replay"
        return result
    start = max(first_day, ctx.as_of - dt.timedelta(days=config.horizon_days - 1))
    horizon = (ctx.as_of - start).days + 1

    terms = replay_terms(
        current_items(ctx, latest_forecast(ctx)[1]), service_levels(ctx.read("silver", "store_product_supplier"))
    )
    solved = latest_parameters(ctx, policies).select(
        "policy_id", "policy_type", *ITEM_KEYS, "decision_json", "period_days"
    )
    items = reduce(
        DataFrame.unionByName,
        [solved.join(terms, list(ITEM_KEYS)), *(baseline_items(terms, b) for b in config.baselines)],
    ).persist(StorageLevel.MEMORY_AND_DISK)
    rows = replay_frame(items, true_demand(ctx, start, ctx.as_of), start, ctx.as_of).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    try:
        levels = rows.drop(*NOT_IN_LEVELS).withColumn("as_of", F.lit(ctx.as_of))
        # the latest evaluation replaces the previous replay; its rows are the step's input count
        result.record(f"gold.{LEVELS}", publish_gold(ctx, LEVELS, levels, scope="true", source="replay"))

        periods = [(p, *period_bounds(p, ctx.as_of, horizon_days=horizon)) for p in config.periods]
        metrics = period_metrics(rows, periods)
        baseline_rows = rows.where(F.col("policy_id") == config.baseline.id).drop("policy_id")
        same_items = baseline_rows.join(items.select(*REPLAY_KEYS), list(ITEM_KEYS))
        scored = with_improvement(metrics, period_metrics(same_items, periods), config.baseline.id)
        scored = scored.withColumn("as_of", F.lit(ctx.as_of)).withColumn("evaluation", F.lit(EVALUATION))
        scope = f"t.as_of = DATE'{ctx.as_of}' AND t.evaluation = '{EVALUATION}'"
        outcome = publish_gold(ctx, METRICS, scored, scope=scope, source="replay")
        result.record(f"gold.{METRICS}", outcome, counts_input=False)
    finally:
        rows.unpersist()
        items.unpersist()

    report = (
        ctx.read("gold", METRICS)
        .where(
            (F.col("as_of") == F.lit(ctx.as_of))
            & (F.col("evaluation") == EVALUATION)
            & (F.col("store_id") == ALL_STORES)
            & (F.col("period") == config.report_period)
        )
        .orderBy(F.col("total_revenue_improvement").desc_nulls_last())
        .toPandas()
    )
    result.report = (
        f"Policy comparison, all stores, {config.report_period} ({start} .. {ctx.as_of}, replayed from empty stock on "
        f"true demand; baseline '{config.baseline.id}' = {describe(config.baseline)})\n" + comparison_table(report)
    )
    result.message = f"{len(report)} policies and baselines replayed over {horizon} days"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["evaluate"], argv, prog="lakehouse-inv-evaluate")
