"""Walk-forward evaluation: what each policy would have delivered had the system run it, decision by decision.

The window is ``selection_days`` + ``evaluation_days`` days ending on ``--as-of``, replayed as one stretch:

1. **Forecast origins** every ``forecast_step_days`` (default: the backtest's step) from the window's first day.
   At each origin every series is forecast from ``silver.daily_demand`` up to that day only (the forecast step's
   own method: model selection, pooling by product, calendar, censoring), all origins in one grouped pass
   (``origin`` is part of the group key).
2. **Re-optimization** on each policy's own ``optimization_schedule``: on the window's first day and on every day
   the schedule fires, the policy is solved from the latest origin on or before that day (the rule changes only
   when that origin is new: the same forecast gives the same decision). Every (policy, origin) pair is one set of
   partitions, solved in one grouped pass per policy (``origin`` is a partition field).
3. **Replay** (:func:`lakehouse_inv.replenishment.replay.replay`): each decision's rule takes over at the end of
   its day (``rule_from``); stock starts from the last stock count before the window (``silver.inventory_snapshot``,
   batches with their expiry dates), moves day by day on the true demand (``silver.daily_demand.requests``, the
   same for every policy), with lost sales, FIFO, expiry, supplier terms, and late and short deliveries drawn from
   what the supplier actually did (``silver.orders`` vs ``silver.deliveries``; ``lead_time_ci_days`` when nothing
   was observed) as common random numbers. Orders placed before the window and still open are not replayed.
4. The baselines run their rules from the window's first day, their sales averages seeded with the in-stock sales
   of the ``sales_history_days`` days before it (what the store manager saw).

A decision only ever uses data up to its day: forecasts are cut at their origin, the baselines' averages at the
window's start, and the replay itself feeds each rule only the sales of the days before its order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.config import EvaluateConfig
from lakehouse_inv.evaluate.inputs import baseline_items, replay_terms
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.step import ORIGIN, forecasts_at_origins
from lakehouse_inv.optimize.config import ITEM_KEYS, PolicyConfig
from lakehouse_inv.optimize.sources import current_items
from lakehouse_inv.optimize.step import decisions_at_origins
from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.replenishment.baseline import service_levels

RULE_FROM = "rule_from"


@dataclass(frozen=True)
class Windows:
    """The walk-forward stretch [start, end]: the selection window [start, selection_end], the evaluation window
    [evaluation_start, end], and the forecast origins (the first one is ``start``)."""

    start: dt.date
    selection_end: dt.date
    evaluation_start: dt.date
    end: dt.date
    origins: tuple[dt.date, ...]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def origin_for(self, day: dt.date) -> dt.date:
        """The latest forecast origin on or before ``day``."""
        return max(o for o in self.origins if o <= day)


def plan_windows(as_of: dt.date, config: EvaluateConfig, step_days: int) -> Windows:
    wf = config.walk_forward
    start = as_of - dt.timedelta(days=wf.selection_days + wf.evaluation_days - 1)
    evaluation_start = as_of - dt.timedelta(days=wf.evaluation_days - 1)
    origins = []
    origin = start
    while origin < as_of:
        origins.append(origin)
        origin += dt.timedelta(days=step_days)
    return Windows(start, evaluation_start - dt.timedelta(days=1), evaluation_start, as_of, tuple(origins))


def decision_days(policy: PolicyConfig, windows: Windows) -> list[tuple[dt.date, dt.date]]:
    """``(origin, rule_from)`` of each new decision of ``policy``: the window's first day, then every day its
    optimization schedule fires on which a newer forecast origin exists than the one its rule was solved from."""
    out: list[tuple[dt.date, dt.date]] = []
    for offset in range(windows.days):
        day = windows.start + dt.timedelta(days=offset)
        if offset == 0 or policy.fires_on(day, policy.optimization_schedule):
            origin = windows.origin_for(day)
            if not out or out[-1][0] != origin:
                out.append((origin, day))
    return out


def policy_decisions(
    ctx: JobContext, policy: PolicyConfig, items: DataFrame, forecasts: DataFrame, schedule: DataFrame
) -> DataFrame:
    """The solved decisions of ``policy`` at the origins it re-optimizes from: one model per partition and origin."""
    needed = schedule.where(F.col("policy_id") == policy.id).select(ORIGIN).distinct()
    horizon = ctx.configs["policies"].planning_horizon_days
    solved = decisions_at_origins(
        policy,
        items.join(F.broadcast(needed), ORIGIN),
        forecasts.join(F.broadcast(needed), ORIGIN),
        ctx.read("silver", "store_storage"),
        horizon_days=horizon,
        origin=ORIGIN,
    )
    return solved.select(
        F.lit(policy.id).alias("policy_id"),
        F.lit(policy.type).alias("policy_type"),
        *ITEM_KEYS,
        ORIGIN,
        "decision_json",
        F.lit(policy.period_days).alias("period_days"),
    )


def sales_before(daily_demand: DataFrame, start: dt.date, days: int) -> DataFrame:
    """Per store-product the mean and (population) variance of the daily sales on the in-stock days among the
    ``days`` days before ``start``: what a store manager's averages start from."""
    window = daily_demand.where(
        (F.col("date") < F.lit(start))
        & (F.col("date") >= F.date_sub(F.lit(start), days))
        & ~F.coalesce("stockout", F.lit(False))
    )
    return window.groupBy(*ITEM_KEYS).agg(
        F.avg(F.col("units_sold").cast("double")).alias("observed_a"),
        F.var_pop(F.col("units_sold").cast("double")).alias("observed_variance"),
    )


def opening_stock(inventory: DataFrame, start: dt.date) -> DataFrame:
    """The batches counted at the last stock count before ``start`` (units and expiry dates, as arrays)."""
    counted = inventory.where(F.col("snapshot_date") < F.lit(start))
    latest = counted.groupBy(*ITEM_KEYS).agg(F.max("snapshot_date").alias("snapshot_date"))
    return (
        counted.join(latest, [*ITEM_KEYS, "snapshot_date"])
        .where(F.col("units") > 0)
        .groupBy(*ITEM_KEYS)
        .agg(F.sort_array(F.collect_list(F.struct("expiry_date", "units"))).alias("_batches"))
        .select(
            *ITEM_KEYS,
            F.col("_batches.units").alias("opening_units"),
            F.col("_batches.expiry_date").alias("opening_expiry"),
        )
    )


def delivery_history(orders: DataFrame, deliveries: DataFrame, end: dt.date) -> DataFrame:
    """Per store-product what its supplier did with the orders delivered by ``end``: the first delivery's day minus
    the promised arrival day (``lead_time_deviations``) and units received / ordered (``received_shares``)."""
    received = (
        deliveries.where(F.col("delivery_date") <= F.lit(end))
        .groupBy("order_id")
        .agg(F.min("delivery_date").alias("first_delivery"), F.sum("quantity_received").alias("received"))
    )
    done = orders.where(F.col("expected_arrival_date").isNotNull() & (F.col("quantity") > 0)).join(received, "order_id")
    return done.groupBy(*ITEM_KEYS).agg(
        F.sort_array(F.collect_list(F.datediff("first_delivery", "expected_arrival_date"))).alias(
            "lead_time_deviations"
        ),
        F.sort_array(F.collect_list(F.least(F.col("received") / F.col("quantity"), F.lit(1.0)))).alias(
            "received_shares"
        ),
    )


def walk_forward_items(ctx: JobContext, config: EvaluateConfig, windows: Windows) -> tuple[DataFrame, list[DataFrame]]:
    """One row per policy (and baseline) × store-product × decision: the rule's inputs (``policy_type``,
    ``decision_json``, ``a``), when it takes over (``rule_from``), the item's terms and costs, opening stock and
    delivery history: the items frame of :func:`lakehouse_inv.replenishment.replay.replay`. Also the frames it
    cached (the forecasts and item inputs per origin), to unpersist once the items are used."""
    forecast_config: ForecastConfig = ctx.configs["forecast"]
    policies = ctx.configs["policies"].active
    daily = ctx.read("silver", "daily_demand")
    forecasts = forecasts_at_origins(daily, windows.origins, forecast_config).cache()
    items = current_items(ctx, forecasts, [ORIGIN]).cache()
    schedule = ctx.spark.createDataFrame(
        [(p.id, origin, day) for p in policies for origin, day in decision_days(p, windows)],
        f"policy_id string, {ORIGIN} date, {RULE_FROM} date",
    )
    terms = replay_terms(items, service_levels(ctx.read("silver", "store_product_supplier")), [ORIGIN])
    decisions = reduce(DataFrame.unionByName, [policy_decisions(ctx, p, items, forecasts, schedule) for p in policies])
    optimized = decisions.join(F.broadcast(schedule), ["policy_id", ORIGIN]).join(terms, [*ITEM_KEYS, ORIGIN])

    # baselines: the first origin's terms, the rate they start from = the in-stock sales before the window
    first = terms.where(F.col(ORIGIN) == F.lit(windows.origins[0])).drop(ORIGIN)
    observed = sales_before(daily, windows.start, config.walk_forward.sales_history_days)
    seeded = (
        first.join(observed, list(ITEM_KEYS), "left")
        .withColumn("a", F.coalesce("observed_a", "a"))
        .withColumn("demand_variance", F.coalesce("observed_variance", "demand_variance"))
        .drop("observed_a", "observed_variance")
    )
    rule_start = F.lit(windows.start - dt.timedelta(days=1))
    baselines = [
        baseline_items(seeded, b, windows.start)
        .withColumn(RULE_FROM, rule_start)
        .withColumn(ORIGIN, F.lit(windows.origins[0]))
        for b in config.baselines
    ]
    rows = reduce(DataFrame.unionByName, [optimized.select(*baselines[0].columns), *baselines])
    extras = opening_stock(ctx.read("silver", "inventory_snapshot"), windows.start).join(
        delivery_history(ctx.read("silver", "orders"), ctx.read("silver", "deliveries"), windows.end),
        list(ITEM_KEYS),
        "full",
    )
    lead_spread = (
        ctx.read("silver", "store_product_supplier").where("is_primary").select(*ITEM_KEYS, "lead_time_ci_days")
    )
    frame = rows.join(extras, list(ITEM_KEYS), "left").join(lead_spread, list(ITEM_KEYS), "left").drop(ORIGIN)
    return frame, [forecasts, items]
