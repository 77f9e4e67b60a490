"""``optimize`` job: solve every due policy, one Pyomo model per partition, into ``gold.policy_parameters``.

A policy is due when its ``optimization_schedule`` fires on ``--as-of`` or it has never been optimized.
Inputs come from the latest forecast at or before ``--as-of`` and the silver master data
(:mod:`.features`). Each policy's rows for ``(policy_id, as_of)`` are replaced, so a re-run is idempotent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.scope import is_scoped, restrict, scope_sql
from lakehouse_inv.pipeline.writes import publish_gold
from lakehouse_inv.policies.config import ITEM_KEYS, PoliciesConfig, PolicyConfig
from lakehouse_inv.policies.distributed import optimize_frame
from lakehouse_inv.policies.features import newsvendor_period, policy_inputs
from lakehouse_inv.policies.service_level import apply_service_level
from lakehouse_inv.policies.sources import current_items, latest_forecast

TABLE = "policy_parameters"
INPUT_FIELDS = [
    "a",
    "demand_variance",
    "L",
    "h",
    "K",
    "pi",
    "W",
    "life",
    "unit_cost",
    "price",
    "moq",
    "max_qty",
    "multiple",
    "max_inventory",
    "L_ci",
    "alpha",
    "min_inventory",
]


def due_policies(ctx: JobContext, config: PoliciesConfig) -> list[PolicyConfig]:
    optimized = {
        row.policy_id
        for row in ctx.read("gold", TABLE)
        .where(F.col("as_of") <= F.lit(ctx.as_of))
        .select("policy_id")
        .distinct()
        .collect()
    }
    # a scoped run re-optimizes its items; a service-level override re-optimizes every item it applies to
    forced = ctx.options.get("full_refresh", False) or is_scoped(ctx) or ctx.options.get("service_level") is not None
    return [
        p for p in config.active if forced or p.id not in optimized or p.fires_on(ctx.as_of, p.optimization_schedule)
    ]


def with_review_period() -> Column:
    """The newsvendor decision {"s"} plus its period {"R"}: the item orders up to s every R days."""
    decision = F.col("decision_json")
    period = F.concat(F.lit(', "R": '), F.col("_period").cast("string"), F.lit("}"))
    return F.when(
        decision.isNotNull(), F.concat(F.expr("substring(decision_json, 1, length(decision_json) - 1)"), period)
    )


def parameters_rows(
    results: DataFrame, items: DataFrame, policy: PolicyConfig, as_of: dt.date, forecast_as_of: dt.date
) -> DataFrame:
    """Solver rows + the item's inputs and identifiers, in ``gold.policy_parameters`` terms."""
    partition_key = F.concat_ws("/", *[F.concat(F.lit(f"{f}="), F.col(f)) for f in policy.partition_fields])
    details = items.select(
        *ITEM_KEYS,
        "supplier_id",
        F.to_json(F.struct(*[f for f in INPUT_FIELDS if f in items.columns])).alias("inputs_json"),
        newsvendor_period().alias("_period"),
    )
    extra_keys = [f for f in policy.partition_fields if f not in ITEM_KEYS]  # folded into partition_key
    return (
        results.withColumn("partition_key", partition_key)
        .drop(*extra_keys)
        .join(details, list(ITEM_KEYS), "left")
        .withColumn("decision_json", with_review_period() if policy.type == "nvbudget" else F.col("decision_json"))
        .drop("_period")
        .withColumn("policy_id", F.lit(policy.id))
        .withColumn("as_of", F.lit(as_of))
        .withColumn("forecast_as_of", F.lit(forecast_as_of))
    )


def optimize_rows(
    ctx: JobContext, policy: PolicyConfig, items: DataFrame, forecast: DataFrame, forecast_as_of: dt.date, horizon: int
) -> DataFrame:
    """``gold.policy_parameters`` rows of one policy (lazy: solved when written); with ``--service-level`` the
    items' ``pi`` is the one for that target (recorded in ``inputs_json``)."""
    items = apply_service_level(items, ctx.options.get("service_level"), policy.type)
    storage = ctx.read("silver", "store_storage")
    inputs = policy_inputs(items, forecast, storage, policy, horizon_days=horizon)
    return parameters_rows(optimize_frame(inputs, policy), items, policy, ctx.as_of, forecast_as_of)


def run(ctx: JobContext) -> StepResult:
    config: PoliciesConfig = ctx.configs["policies"]
    ctx.catalog.ensure_tables(ctx.spark, "gold", [TABLE])
    result = StepResult()
    policies = due_policies(ctx, config)
    if not policies:
        result.message = "no policy due"
        return result
    forecast_as_of, forecast = latest_forecast(ctx)
    forecast = forecast.cache()
    horizon = config.planning_horizon_days
    items = restrict(current_items(ctx, forecast), ctx).cache()
    try:
        # one union, one write: the policies' partitions are solved side by side on the executors
        rows = reduce(
            DataFrame.unionByName, [optimize_rows(ctx, p, items, forecast, forecast_as_of, horizon) for p in policies]
        )
        ids = ", ".join(f"'{p.id}'" for p in policies)
        scope = f"t.as_of = DATE'{ctx.as_of}' AND t.policy_id IN ({ids})" + scope_sql(ctx)
        outcome = publish_gold(ctx, TABLE, rows, scope=scope, source="gold.demand_forecast")
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
    alpha = ctx.options.get("service_level")
    if alpha is not None:
        result.message += (
            f"; service level {alpha:g} for the run's items: missed-sale cost pi = h·α/(1−α) (nvbudget: W·α/(1−α)), "
            "and the fill-rate target of sQ, sQ_perishable and RS"
        )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["optimize"], argv, prog="lakehouse-inv-optimize")
