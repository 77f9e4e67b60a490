"""``optimize`` job: solve every due policy, one Pyomo model per partition, into ``gold.policy_parameters``.

A policy is due when its ``optimization_schedule`` fires on ``--as-of`` or it has never been optimized; one with
``replan: order_days`` then solves only the partitions that can order that day or lack a solved decision
(:func:`.step.ordering_partitions`), unless the run is forced or scoped.
Inputs come from the latest forecast at or before ``--as-of`` and the silver master data (:mod:`.features`),
solved by :func:`.step.optimize_as_of`. Each policy's rows for ``(policy_id, as_of)`` are replaced, so a re-run is
idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.optimize.config import ITEM_KEYS, PoliciesConfig, PolicyConfig
from lakehouse_inv.optimize.sources import SOLVED, current_items, latest_forecast
from lakehouse_inv.optimize.step import optimize_as_of
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.scope import is_scoped, restrict, scope_sql
from lakehouse_inv.pipeline.writes import publish_gold, rows_of_the_day

TABLE = "policy_parameters"


def is_forced(ctx: JobContext) -> bool:
    """Whether every active policy is solved for every item in scope, whatever its schedule: a scoped run
    re-optimizes its items, a service-level override every item it applies to."""
    return bool(
        ctx.options.full_refresh or is_scoped(ctx) or ctx.options.service_level is not None or ctx.options.force
    )


def due_policies(ctx: JobContext, config: PoliciesConfig, result: StepResult | None = None) -> list[PolicyConfig]:
    """The policies to solve on ``--as-of``; ``result`` (when given) records why each one is due or skipped."""
    optimized = {
        row.policy_id
        for row in ctx.read("gold", TABLE)
        .where(F.col("as_of") <= F.lit(ctx.as_of))
        .select("policy_id")
        .distinct()
        .collect()
    }
    forced = is_forced(ctx)
    out = []
    for p in config.active:
        if forced:
            reason = "forced (--force, --full-refresh, a scoped run or --service-level)"
        elif p.id not in optimized:
            reason = f"never optimized on or before {ctx.as_of}"
        elif p.fires_on(ctx.as_of, p.optimization_schedule):
            reason = f"optimization_schedule '{p.optimization_schedule}' fires on {ctx.as_of}"
            if p.replan == "order_days":
                reason += " (replan: order_days: the partitions that can order that day or lack a solved decision)"
        else:
            if result is not None:
                result.skipped.append(f"{p.id}: optimization_schedule '{p.optimization_schedule}' does not fire")
            continue
        if result is not None:
            result.due.append(f"{p.id}: {reason}")
        out.append(p)
    return out


def solved_before(ctx: JobContext) -> DataFrame:
    """``policy_id`` and item keys of every solved decision before ``--as-of`` (before, so that a re-run of the day
    solves the same partitions as its first run)."""
    return (
        ctx.read("gold", TABLE)
        .where((F.col("as_of") < F.lit(ctx.as_of)) & F.col("status").isin(*SOLVED))
        .select("policy_id", *ITEM_KEYS)
    )


def run(ctx: JobContext) -> StepResult:
    config: PoliciesConfig = ctx.configs["policies"]
    ctx.catalog.ensure_tables(ctx.spark, "gold", [TABLE])
    result = StepResult()
    policies = due_policies(ctx, config, result)
    if not policies:
        result.message = "no policy due"
        return result
    forecast_as_of, forecast = latest_forecast(ctx)
    forecast = forecast.cache()
    horizon = config.planning_horizon_days
    items = restrict(current_items(ctx, forecast), ctx).cache()
    try:
        rows = optimize_as_of(
            policies,
            items,
            forecast,
            ctx.read("silver", "store_storage"),
            as_of=ctx.as_of,
            forecast_as_of=forecast_as_of,
            horizon_days=horizon,
            service_level=ctx.options.service_level,
            solved=None if is_forced(ctx) else solved_before(ctx),
        )
        ids = ", ".join(f"'{p.id}'" for p in policies)
        today = rows_of_the_day(ctx)  # every row carries the day: the day's rows are the renewal
        scope = f"{today} AND t.policy_id IN ({ids})" + scope_sql(ctx)
        outcome = publish_gold(ctx, TABLE, rows, scope=scope, source="gold.demand_forecast", renewal=today)
        result.record(f"gold.{TABLE}", outcome, counts_input=False)
    finally:
        items.unpersist()
        forecast.unpersist()
    summary = (
        ctx.read("gold", TABLE)
        .where(F.col("as_of") == F.lit(ctx.as_of))
        .groupBy("policy_id", "status")
        .agg(F.count("*").alias("items"))
        .orderBy("policy_id", "status")
        .collect()
    )
    result.rows_in = sum(r["items"] for r in summary)
    result.message = "; ".join(f"{r.policy_id}: {r['items']} {r.status}" for r in summary)
    alpha = ctx.options.service_level
    if alpha is not None:
        result.message += (
            f"; service level {alpha:g} for the run's items: missed-sale cost pi = h·α/(1−α) (nvbudget: W·α/(1−α)), "
            "and the fill-rate target of sQ, sQ_perishable and RS"
        )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["optimize"], argv, prog="lakehouse-inv-optimize")
