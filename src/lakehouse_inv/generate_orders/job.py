"""``generate_orders`` job: each due policy's orders for ``--as-of`` into ``gold.orders``, the recommended one marked.

A policy is due when its ``order_schedule`` fires on ``--as-of``. Its latest solved parameters (on or before
``--as-of``) meet each item's inventory position (silver stock count + open orders). The strong baseline
(``evaluate.yml`` ``baseline``, rule service_cover) orders too, but only for the items whose latest recommendation
(``gold.policy_recommendation``, on or before ``--as-of``) is the baseline, on its fixed review calendar. Both are
proposed in one pandas call per store (:func:`~lakehouse_inv.generate_orders.proposals.propose_store_orders`), so
that the orders to place, marked ``recommended`` (the item's latest recommended policy, :func:`mark_recommended`;
with no recommendation yet, none is), share one truck per supplier whatever policy each comes from.
Order ids are deterministic and the day's rows of the due policies and the baseline are replaced, so a re-run for
the same date never duplicates orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial, reduce
from typing import Protocol

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.generate_orders.proposals import ORDER_SCHEMA, propose_store_orders
from lakehouse_inv.lakehouse.positions import on_hand, on_order
from lakehouse_inv.optimize.config import ITEM_KEYS, PoliciesConfig, PolicyConfig
from lakehouse_inv.optimize.sources import current_items, latest_forecast, latest_parameters
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.scope import is_scoped, restrict, scope_sql
from lakehouse_inv.pipeline.writes import publish_gold, rows_of_the_day
from lakehouse_inv.replenishment.baseline import history_start, service_levels

TABLE = "orders"
RECOMMENDATION = "policy_recommendation"
BASELINE_RULE = "service_cover"
"""The baseline rule generate_orders can place orders with (the strong baseline of evaluate.yml)."""
ORDER_TERMS = (
    "supplier_id",
    "a",
    "L",
    "moq",
    "max_qty",
    "multiple",
    "max_inventory",
    "unit_cost",
    "delivery_every",
    "product_volume",
    "min_shipment_volume",
    "max_shipment_volume",
    "max_shipment_value",
)


class Baseline(Protocol):
    """What this job reads of ``evaluate.yml``'s ``baseline`` (orders/ does not import evaluate/)."""

    id: str
    rule: str
    review_days: int
    default_service_level: float


def _with_positions(ctx: JobContext, items: DataFrame) -> DataFrame:
    """``items`` with ``on_hand`` (latest stock count) and ``on_order`` (open orders) on ``--as-of``, 0 when none."""
    stock = on_hand(ctx.read("silver", "inventory_snapshot"), ctx.as_of)
    pending = on_order(ctx.read("silver", "orders"), ctx.read("silver", "deliveries"), ctx.as_of)
    return (
        items.join(stock, list(ITEM_KEYS), "left")
        .join(pending, list(ITEM_KEYS), "left")
        .fillna(0.0, ["on_hand", "on_order"])
    )


def order_inputs(ctx: JobContext, policies: list[PolicyConfig], items: DataFrame | None = None) -> DataFrame:
    """The due policies' latest parameters per item with the item's terms and inventory position."""
    if items is None:
        items = current_items(ctx, latest_forecast(ctx)[1])
    terms = items.select(*ITEM_KEYS, *ORDER_TERMS)
    return _with_positions(ctx, latest_parameters(ctx, policies).join(terms, list(ITEM_KEYS)))


def latest_recommendation(ctx: JobContext) -> DataFrame:
    """Each item's recommended ``policy_id`` in its latest ``gold.policy_recommendation`` row on or before
    ``--as-of`` (store_id, product_id, recommended_policy_id)."""
    rows = ctx.read("gold", RECOMMENDATION).where(F.col("as_of") <= F.lit(ctx.as_of))
    newest = rows.withColumn("_newest", F.max("as_of").over(Window.partitionBy(*ITEM_KEYS)))
    return newest.where(F.col("as_of") == F.col("_newest")).select(
        *ITEM_KEYS, F.col("policy_id").alias("recommended_policy_id")
    )


def mark_recommended(orders: DataFrame, recommendation: DataFrame) -> DataFrame:
    """``orders`` (or the items to order for) with ``recommended``: true when the row's policy is its item's
    ``recommended_policy_id`` in ``recommendation`` (store_id, product_id, recommended_policy_id), false otherwise,
    also for items without one."""
    matched = F.coalesce(F.col("o.policy_id") == F.col("r.recommended_policy_id"), F.lit(False))
    return (
        orders.alias("o")
        .join(recommendation.alias("r"), [F.col(f"o.{k}") == F.col(f"r.{k}") for k in ITEM_KEYS], "left")
        .select(*(F.col(f"o.{c}") for c in orders.columns), matched.alias("recommended"))
    )


def baseline_inputs(ctx: JobContext, items: DataFrame, on_baseline: DataFrame) -> DataFrame:
    """The items of ``on_baseline`` (store_id, product_id) with what the service_cover rule needs: terms, forecast
    rate and variance, shelf life, the primary supplier's service level and the inventory position."""
    levels = service_levels(ctx.read("silver", "store_product_supplier"))
    chosen = items.join(on_baseline, list(ITEM_KEYS), "left_semi").join(levels, list(ITEM_KEYS), "left")
    return _with_positions(
        ctx,
        chosen.select(
            *ITEM_KEYS,
            *ORDER_TERMS,
            "demand_variance",
            F.col("life").alias("shelf_life_days"),
            "service_level",
        ),
    )


def baseline_history(ctx: JobContext, on_baseline: DataFrame) -> DataFrame:
    """The ``silver.daily_demand`` rows the baseline's rule reads for the items of ``on_baseline``."""
    return (
        ctx.read("silver", "daily_demand")
        .where(F.col("date").between(F.lit(history_start(ctx.as_of)), F.lit(ctx.as_of)))
        .join(on_baseline, list(ITEM_KEYS), "left_semi")
        .select(*ITEM_KEYS, "date", "units_sold", "stockout")
    )


def store_orders(ctx: JobContext, baseline: Baseline, items: DataFrame, history: DataFrame) -> DataFrame:
    """The orders of ``items`` (the due policies' and, with ``policy_id`` = the baseline's, the items staying on
    it), one store per pandas call (:func:`~lakehouse_inv.generate_orders.proposals.propose_store_orders`)."""
    fn = partial(
        propose_store_orders,
        as_of=ctx.as_of,
        baseline_id=baseline.id,
        review_days=baseline.review_days,
        default_service_level=baseline.default_service_level,
    )
    return items.groupBy("store_id").cogroup(history.groupBy("store_id")).applyInPandas(fn, ORDER_SCHEMA)


def run(ctx: JobContext) -> StepResult:
    config: PoliciesConfig = ctx.configs["policies"]
    baseline: Baseline = ctx.configs["evaluate"].baseline
    ctx.catalog.ensure_tables(ctx.spark, "gold", [TABLE, RECOMMENDATION])
    result = StepResult()
    forced = ctx.options.full_refresh or is_scoped(ctx)  # a scoped run orders for its items
    policies = [p for p in config.active if forced or p.fires_on(ctx.as_of, p.order_schedule)]
    for p in config.active:
        if p in policies:
            why = "forced (--full-refresh or a scoped run)" if forced else f"order_schedule '{p.order_schedule}' fires"
            result.due.append(f"{p.id}: {why}")
        else:
            result.skipped.append(f"{p.id}: order_schedule '{p.order_schedule}' does not fire on {ctx.as_of}")
    recommendation = restrict(latest_recommendation(ctx), ctx)
    on_baseline = recommendation.where(F.col("recommended_policy_id") == baseline.id).select(*ITEM_KEYS)
    # one pass over the recommendation: whether any exists, and whether any item stays on the baseline
    counts = dict(recommendation.groupBy(F.col("recommended_policy_id") == baseline.id).count().collect())
    with_baseline = baseline.rule == BASELINE_RULE and counts.get(True, 0) > 0
    if not policies and not with_baseline and _no_baseline_rows_today(ctx, baseline.id):
        result.message = "no policy orders today"
        return result
    parts = []
    if policies or with_baseline:
        items = current_items(ctx, latest_forecast(ctx)[1])
        if policies:
            parts.append(mark_recommended(restrict(order_inputs(ctx, policies, items), ctx), recommendation))
        if with_baseline:
            staying = baseline_inputs(ctx, restrict(items, ctx), on_baseline)
            parts.append(staying.withColumns({"policy_id": F.lit(baseline.id), "recommended": F.lit(True)}))
    if parts:
        to_order = reduce(partial(DataFrame.unionByName, allowMissingColumns=True), parts)
        history = baseline_history(ctx, on_baseline)
        history = history if with_baseline else history.limit(0)  # Spark plans LIMIT 0 as an empty relation
        proposals = store_orders(ctx, baseline, to_order, history)
    else:
        proposals = ctx.spark.createDataFrame([], ORDER_SCHEMA)
    orders = mark_recommended(proposals, recommendation)
    # the baseline's rows of the day are always replaced: an item no longer recommended to stay on it loses them
    today = rows_of_the_day(ctx, "order_date")  # every order carries the day: the day's orders are the renewal
    scope = _today_scope(ctx, today, [*(p.id for p in policies), baseline.id])
    source = "gold.policy_parameters, gold.policy_recommendation"
    written = publish_gold(ctx, TABLE, orders, scope=scope, source=source, renewal=today)
    result.record(f"gold.{TABLE}", written)
    result.message = _summary(ctx, recommended_items=sum(counts.values()), baseline=baseline)
    return result


def _today_scope(ctx: JobContext, today: str, policy_ids: list[str]) -> str:
    ids = ", ".join(f"'{p}'" for p in dict.fromkeys(policy_ids))
    return f"{today} AND t.policy_id IN ({ids})" + scope_sql(ctx)


def _no_baseline_rows_today(ctx: JobContext, baseline_id: str) -> bool:
    """No baseline order of ``--as-of`` (in the run's scope) that a re-run would have to remove."""
    today = (F.col("order_date") == F.lit(ctx.as_of)) & (F.col("policy_id") == baseline_id)
    return restrict(ctx.read("gold", TABLE).where(today), ctx).isEmpty()


def _summary(ctx: JobContext, *, recommended_items: int, baseline: Baseline) -> str:
    today = ctx.read("gold", TABLE).where(F.col("order_date") == F.lit(ctx.as_of))
    counts = today.groupBy("policy_id", "status", "recommended").count().orderBy("policy_id", "status").collect()
    by_status: dict[tuple[str, str], int] = {}
    for r in counts:
        by_status[(r.policy_id, r.status)] = by_status.get((r.policy_id, r.status), 0) + r["count"]
    message = "; ".join(f"{policy}: {n} {status}" for (policy, status), n in by_status.items()) or "no orders needed"
    if not recommended_items:
        return f"{message}; no policy recommendation yet: no order is marked recommended"
    marked = sum(r["count"] for r in counts if r.recommended)
    note = "" if baseline.rule == BASELINE_RULE else f" (baseline rule {baseline.rule} places no orders)"
    return f"{message}; {marked} recommended{note}"


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["generate_orders"], argv, prog="lakehouse-inv-generate-orders")
