"""``generate_orders`` job: each due policy's orders for ``--as-of`` into ``gold.orders``.

A policy is due when its ``order_schedule`` fires on ``--as-of``. Its latest solved parameters (on or before
``--as-of``) meet each item's inventory position (silver stock count + open orders) in
:func:`~lakehouse_inv.orders.proposals.propose_orders`, one store per pandas call. Order ids are deterministic
and the day's rows are replaced, so a re-run for the same date never duplicates orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.checked_write import publish_gold
from lakehouse_inv.lakehouse.positions import on_hand, on_order
from lakehouse_inv.orders.proposals import ORDER_SCHEMA, propose_orders
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.scope import is_scoped, restrict, scope_sql
from lakehouse_inv.policies.config import ITEM_KEYS, PoliciesConfig, PolicyConfig
from lakehouse_inv.policies.sources import current_items, latest_forecast, latest_parameters

TABLE = "orders"


def order_inputs(ctx: JobContext, policies: list[PolicyConfig]) -> DataFrame:
    items = current_items(ctx, latest_forecast(ctx)[1]).select(
        *ITEM_KEYS, "supplier_id", "a", "L", "moq", "max_qty", "multiple", "max_inventory", "unit_cost"
    )
    stock = on_hand(ctx.read("silver", "inventory_snapshot"), ctx.as_of)
    pending = on_order(ctx.read("silver", "orders"), ctx.read("silver", "deliveries"), ctx.as_of)
    return (
        latest_parameters(ctx, policies)
        .join(items, list(ITEM_KEYS))
        .join(stock, list(ITEM_KEYS), "left")
        .join(pending, list(ITEM_KEYS), "left")
        .fillna(0.0, ["on_hand", "on_order"])
    )


def run(ctx: JobContext) -> StepResult:
    config: PoliciesConfig = ctx.configs["policies"]
    ctx.catalog.ensure_tables(ctx.spark, "gold", [TABLE])
    result = StepResult()
    forced = ctx.options.get("full_refresh", False) or is_scoped(ctx)  # a scoped run orders for its items
    policies = [p for p in config.active if forced or p.fires_on(ctx.as_of, p.order_schedule)]
    if not policies:
        result.message = "no policy orders today"
        return result
    proposals = (
        restrict(order_inputs(ctx, policies), ctx)
        .groupBy("store_id")
        .applyInPandas(partial(propose_orders, as_of=ctx.as_of), ORDER_SCHEMA)
    )
    ids = ", ".join(f"'{p.id}'" for p in policies)
    scope = f"t.order_date = DATE'{ctx.as_of}' AND t.policy_id IN ({ids})" + scope_sql(ctx)
    result.record(f"gold.{TABLE}", publish_gold(ctx, TABLE, proposals, scope=scope, source="gold.policy_parameters"))
    summary = (
        ctx.read("gold", TABLE)
        .where(F.col("order_date") == F.lit(ctx.as_of))
        .groupBy("policy_id", "status")
        .count()
        .orderBy("policy_id", "status")
        .collect()
    )
    result.message = "; ".join(f"{r.policy_id}: {r['count']} {r.status}" for r in summary) or "no orders needed"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["generate_orders"], argv, prog="lakehouse-inv-generate-orders")
