"""The optimize step's computation on DataFrames, without reading or writing a table.

The job (:mod:`.job`: which policies are due, read the forecast and master data, call these, write
``gold.policy_parameters``) and the walk-forward evaluation (:mod:`lakehouse_inv.evaluate.walk_forward`: the same
solve at many past forecast origins) call the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.optimize.config import ITEM_KEYS, PolicyConfig
from lakehouse_inv.optimize.distributed import optimize_frame
from lakehouse_inv.optimize.features import in_scope, planning_inputs, policy_inputs
from lakehouse_inv.optimize.frames import newsvendor_period
from lakehouse_inv.optimize.service_level import apply_service_level
from lakehouse_inv.optimize.sources import SOLVED
from lakehouse_inv.replenishment.shipments import DELIVERY_EPOCH

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
    "margin",
    "freight",
    "delivery_every",
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
        .withColumn("decision_json", with_review_period() if policy.spec.decision_period else F.col("decision_json"))
        .drop("_period")
        .withColumn("policy_id", F.lit(policy.id))
        .withColumn("objective_kind", F.lit(policy.objective_label))
        .withColumn("as_of", F.lit(as_of))
        .withColumn("forecast_as_of", F.lit(forecast_as_of))
    )


def ordering_partitions(items: DataFrame, policy: PolicyConfig, day: dt.date, solved: DataFrame) -> DataFrame:
    """``policy``'s items in the partitions worth solving on ``day`` under ``replan: order_days``: the partitions
    with an item whose supplier takes orders on ``day`` or that has no solved decision (``solved``: the item keys
    of the items that have one).

    Why the day's orders stay what a re-plan of every partition gives: an order goes out only on a delivery day of
    the item's supplier (:mod:`lakehouse_inv.replenishment.shipments`), so a decision made on any other day orders
    nothing on it, and on a delivery day the partition is solved from that day's forecast as before. Partitions are
    kept or dropped whole, so a constraint their items share (clsp's capacity, nvbudget's budget) is never split.
    """
    items = in_scope(items, policy)
    every = F.greatest(F.coalesce(F.col("delivery_every").cast("int"), F.lit(1)), F.lit(1))
    ordering = F.pmod(F.datediff(F.lit(day), F.lit(DELIVERY_EPOCH)), every) == 0
    known = solved.select(*ITEM_KEYS).distinct().withColumn("_solved", F.lit(True))
    due = (ordering | F.col("_solved").isNull()).cast("int")
    return (
        items.join(known, list(ITEM_KEYS), "left")
        .withColumn("_due", F.max(due).over(Window.partitionBy(*policy.partition_fields)))
        .where(F.col("_due") == 1)
        .drop("_solved", "_due")
    )


def optimize_as_of(
    policies: Sequence[PolicyConfig],
    items: DataFrame,
    forecast: DataFrame,
    storage: DataFrame,
    *,
    as_of: dt.date,
    forecast_as_of: dt.date,
    horizon_days: int,
    service_level: float | None = None,
    solved: DataFrame | None = None,
) -> DataFrame:
    """``gold.policy_parameters`` rows of ``policies`` for ``items`` (lazy: solved when written), one union so the
    policies' partitions are solved side by side on the executors. With ``service_level`` the items' ``pi`` is the
    one for that target (recorded in ``inputs_json``, :mod:`.service_level`). With ``solved`` (``policy_id`` and the
    item keys of every solved decision so far) a policy with ``replan: order_days`` solves only
    :func:`ordering_partitions`; without it every partition."""
    frames = []
    for policy in policies:
        policy_items = apply_service_level(planning_inputs(items, policy), service_level, policy.type)
        if solved is not None and policy.replan == "order_days":
            mine = solved.where(F.col("policy_id") == policy.id)
            policy_items = ordering_partitions(policy_items, policy, as_of, mine)
        inputs = policy_inputs(policy_items, forecast, storage, policy, horizon_days=horizon_days)
        frames.append(parameters_rows(optimize_frame(inputs, policy), policy_items, policy, as_of, forecast_as_of))
    return reduce(DataFrame.unionByName, frames)


def decisions_at_origins(
    policy: PolicyConfig,
    items: DataFrame,
    forecasts: DataFrame,
    storage: DataFrame,
    *,
    horizon_days: int,
    origin: str,
) -> DataFrame:
    """The solved decisions of ``policy`` at every forecast origin of ``items`` and ``forecasts`` (column
    ``origin``): one model per partition and origin, all in one grouped pass; ``decision_json`` as in
    ``gold.policy_parameters``."""
    per_origin = policy.model_copy(update={"partition_fields": [*policy.partition_fields, origin]})
    items = planning_inputs(items, policy)
    inputs = policy_inputs(items, forecasts, storage, per_origin, horizon_days=horizon_days, forecast_keys=[origin])
    solved = optimize_frame(inputs, per_origin).where(F.col("status").isin(*SOLVED))
    if policy.spec.decision_period:
        period = items.select(*ITEM_KEYS, origin, newsvendor_period().alias("_period"))
        solved = solved.join(period, [*ITEM_KEYS, origin]).withColumn("decision_json", with_review_period())
    return solved
