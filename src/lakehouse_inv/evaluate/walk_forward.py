"""Walk-forward evaluation: what each policy would have delivered had the system run it, decision by decision.

The window is ``selection_days`` + ``evaluation_days`` days ending on ``--as-of``, replayed as one stretch that
starts ``warmup_days`` before it. The warm-up is scored in no window: the stretch starts from the counted stock,
which no policy chose, and each policy needs its first review and lead time before the stock on hand is its own;
scoring those days would judge a policy by when its first review falls (in the demo's first two weeks the fill
rates of all policies sat 9-23 points below their later ~99 %, the longest-review ones lowest).

1. **Forecast origins** every ``forecast_step_days`` (default: the backtest's step) from the stretch's first day.
   At each origin every series is forecast from ``silver.daily_demand`` up to that day only (the forecast step's
   own method: model selection, pooling by product, calendar, censoring), all origins in one grouped pass
   (``origin`` is part of the group key).
2. **Re-optimization** on each policy's own ``optimization_schedule``: on the stretch's first day and on every day
   the schedule fires, the policy is solved from the latest origin on or before that day (the rule changes only
   when that origin is new: the same forecast gives the same decision). Every (policy, origin) pair is one set of
   partitions, solved in one grouped pass per policy (``origin`` is a partition field).
3. **Replay** (:func:`lakehouse_inv.replenishment.replay.replay`): each decision's rule takes over at the end of
   its day (``rule_from``); stock starts from the last stock count before the stretch (``silver.inventory_snapshot``,
   batches with their expiry dates), moves day by day on the true demand (``silver.daily_demand.requests``, the
   same for every policy), with lost sales, FIFO, expiry, supplier terms, and late and short deliveries drawn from
   what the supplier actually did (``silver.orders`` vs ``silver.deliveries``; ``lead_time_ci_days`` when nothing
   was observed) as common random numbers. Orders placed before the stretch and still open are not replayed.
4. The baselines run their rules from the stretch's first day, their sales averages seeded with the in-stock sales
   of the ``sales_history_days`` days before it (what the store manager saw).

A decision only ever uses data up to its day: forecasts are cut at their origin, the baselines' averages at the
stretch's start, and the replay itself feeds each rule only the sales of the days before its order.

**Incremental.** Forecasts and solves are the cost of an evaluation, and a decision never changes once made, so the
decisions of the stretch (each rule with its terms and ``rule_from``) are kept in ``gold.walk_forward_state``. A
later evaluation extends that stretch (:func:`carried_stretch`): its replay starts on the same day, with the same
origins grid, and only the decisions from the previous evaluation's ``--as-of`` on are forecast and solved (that
day's own decision may change: an origin on it did not exist before); the replay then runs over the whole stretch
from the stored and new decisions, so the result is the one a from-scratch evaluation of the same stretch gives.
A new stretch (with its warm-up) starts when there is none, when ``--full-refresh`` asks for it, when the
configuration the decisions depend on changed (``fingerprint``), when the run is not later than the stored one, or
when the stretch would start more than one window length before the window (the replay would grow without end).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.config import EvaluateConfig
from lakehouse_inv.evaluate.inputs import baseline_items, replay_terms
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.step import ORIGIN, forecasts_at_origins
from lakehouse_inv.lakehouse.checked_write import CheckedWrite
from lakehouse_inv.optimize.config import ITEM_KEYS, PolicyConfig
from lakehouse_inv.optimize.sources import current_items
from lakehouse_inv.optimize.step import decisions_at_origins
from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.pipeline.writes import publish_gold
from lakehouse_inv.replenishment.baseline import service_levels

RULE_FROM = "rule_from"
STATE = "walk_forward_state"
TERM_COLUMNS = (
    "a",
    "demand_variance",
    "service_level",
    "L",
    "moq",
    "max_qty",
    "multiple",
    "max_inventory",
    "min_inventory",
    "shelf_life_days",
    "price",
    "unit_cost",
    "h",
    "K",
    "missed_sale_cost",
    "disposal_cost",
    "shipment_group",
    "shipment_cost",
    "freight",
    "delivery_every",
    "unit_volume",
    "min_shipment_volume",
    "max_shipment_volume",
    "max_shipment_value",
)
"""The item terms of a decision row (:func:`lakehouse_inv.evaluate.inputs.replay_terms`), kept with it in the state."""


@dataclass(frozen=True)
class Windows:
    """The walk-forward window [start, end]: the selection window [start, selection_end], then the evaluation window
    [evaluation_start, end]. The replay runs as one stretch from ``replay_start`` (default ``start``): a warm-up
    before the window (:func:`plan_windows`), longer when an earlier evaluation's stretch is extended
    (:func:`carried_stretch`), with forecast origins every step from it."""

    start: dt.date
    selection_end: dt.date
    evaluation_start: dt.date
    end: dt.date
    origins: tuple[dt.date, ...]
    replay_start: dt.date | None = None

    @property
    def first_day(self) -> dt.date:
        """The replay's first day: its decisions start there, its opening stock is counted before it."""
        return self.replay_start or self.start

    @property
    def days(self) -> int:
        """Days replayed: first_day .. end."""
        return (self.end - self.first_day).days + 1

    def origin_for(self, day: dt.date) -> dt.date:
        """The latest forecast origin on or before ``day``."""
        return max(o for o in self.origins if o <= day)


def plan_windows(
    as_of: dt.date,
    config: EvaluateConfig,
    step_days: int,
    replay_start: dt.date | None = None,
    earliest: dt.date | None = None,
) -> Windows:
    """The window ending on ``as_of``. The replay and its origins start ``warmup_days`` before the window (not
    before ``earliest``, the first day with enough history to forecast from), or on ``replay_start`` (on or before
    the window's start) when given."""
    wf = config.walk_forward
    start = as_of - dt.timedelta(days=wf.selection_days + wf.evaluation_days - 1)
    if replay_start is None:
        replay_start = start - dt.timedelta(days=wf.warmup_days)
        if earliest is not None:
            replay_start = min(max(replay_start, earliest), start)
    if replay_start > start:
        raise ValueError(f"the replay must start on or before the window's first day {start}, got {replay_start}")
    evaluation_start = as_of - dt.timedelta(days=wf.evaluation_days - 1)
    origins = []
    origin = replay_start
    while origin < as_of:
        origins.append(origin)
        origin += dt.timedelta(days=step_days)
    selection_end = evaluation_start - dt.timedelta(days=1)
    return Windows(start, selection_end, evaluation_start, as_of, tuple(origins), replay_start)


def decision_days(policy: PolicyConfig, windows: Windows) -> list[tuple[dt.date, dt.date]]:
    """``(origin, rule_from)`` of each new decision of ``policy``: the replay's first day, then every day its
    optimization schedule fires on which a newer forecast origin exists than the one its rule was solved from."""
    out: list[tuple[dt.date, dt.date]] = []
    for offset in range(windows.days):
        day = windows.first_day + dt.timedelta(days=offset)
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


@dataclass(frozen=True)
class Stretch:
    """The stored walk-forward stretch an evaluation extends: its first day, and the ``--as-of`` of the evaluation
    that stored it (decisions before that day are final)."""

    start: dt.date
    through: dt.date


def fingerprint(ctx: JobContext, config: EvaluateConfig) -> str:
    """A hash of every setting the stored decisions depend on: the active policies, the planning horizon, the
    forecast method, the walk-forward settings and the baselines."""
    settings = {
        "policies": [p.model_dump(mode="json") for p in ctx.configs["policies"].active],
        "planning_horizon_days": ctx.configs["policies"].planning_horizon_days,
        "forecast": ctx.configs["forecast"].model_dump(mode="json", exclude={"backtest": {"schedule"}}),
        "walk_forward": config.walk_forward.model_dump(mode="json"),
        "baselines": [b.model_dump(mode="json") for b in config.baselines],
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def carried_stretch(ctx: JobContext, config: EvaluateConfig, windows: Windows, stamp: str) -> Stretch | None:
    """The stored stretch this evaluation extends, or None to start a new one (module docstring for when)."""
    if ctx.options.full_refresh:
        return None
    stored = (
        ctx.read("gold", STATE).groupBy("stretch_start", "fingerprint").agg(F.max("as_of").alias("through")).collect()
    )
    if len(stored) != 1 or stored[0].fingerprint != stamp:
        return None
    stretch = Stretch(stored[0].stretch_start, stored[0].through)
    longest = config.walk_forward.selection_days + config.walk_forward.evaluation_days
    if not stretch.through < ctx.as_of or (windows.start - stretch.start).days > longest:
        return None
    return stretch


def as_state(rows: DataFrame) -> DataFrame:
    """Decision rows in the state's column order and types: every evaluation replays rows of this one shape,
    stored or new, so a stored row gives the same replay as a recomputed one."""
    return rows.select(
        "policy_id",
        *ITEM_KEYS,
        F.col(RULE_FROM).cast("date").alias(RULE_FROM),
        F.col(ORIGIN).cast("date").alias(ORIGIN),
        "policy_type",
        "decision_json",
        F.col("period_days").cast("int").alias("period_days"),
        *[F.col(c).cast("string" if c == "shipment_group" else "double").alias(c) for c in TERM_COLUMNS],
    )


def save_state(
    ctx: JobContext, new_rows: DataFrame, windows: Windows, carried: Stretch | None, stamp: str
) -> CheckedWrite:
    """Store this evaluation's new decision rows: a new stretch replaces the state, an extended one replaces the
    rows from the previous evaluation's ``--as-of`` on."""
    labelled = new_rows.withColumns(
        {"stretch_start": F.lit(windows.first_day), "fingerprint": F.lit(stamp), "as_of": F.lit(ctx.as_of)}
    )
    scope = "true"
    if carried is not None:
        scope = f"t.stretch_start = DATE'{carried.start}' AND t.{RULE_FROM} >= DATE'{carried.through}'"
    return publish_gold(ctx, STATE, labelled, scope=scope, source="walk_forward")


def walk_forward_items(
    ctx: JobContext, config: EvaluateConfig, windows: Windows, carried: Stretch | None = None
) -> tuple[DataFrame, DataFrame, list[DataFrame]]:
    """One row per policy (and baseline) × store-product × decision: the rule's inputs (``policy_type``,
    ``decision_json``, ``a``), when it takes over (``rule_from``), the item's terms and costs, opening stock and
    delivery history: the items frame of :func:`lakehouse_inv.replenishment.replay.replay`. Also the decision rows
    computed here (``carried``: only those from its ``through`` day on; the others are read from the state) and
    the frames it cached (the forecasts and item inputs per origin), to unpersist once the items are used."""
    forecast_config: ForecastConfig = ctx.configs["forecast"]
    policies = ctx.configs["policies"].active
    daily = ctx.read("silver", "daily_demand")
    due = [
        (p.id, origin, day)
        for p in policies
        for origin, day in decision_days(p, windows)
        if carried is None or day >= carried.through
    ]
    # only the origins the new decisions (and, in a new stretch, the baselines) are solved from
    origins = sorted({origin for _, origin, _ in due} | ({windows.origins[0]} if carried is None else set()))
    parts, cached = [], []
    if origins:
        forecasts = forecasts_at_origins(daily, origins, forecast_config).cache()
        items = current_items(ctx, forecasts, [ORIGIN]).cache()
        cached = [forecasts, items]
        terms = replay_terms(items, service_levels(ctx.read("silver", "store_product_supplier")), [ORIGIN])
    if due:
        schedule = ctx.spark.createDataFrame(due, f"policy_id string, {ORIGIN} date, {RULE_FROM} date")
        solved = [
            policy_decisions(ctx, p, items, forecasts, schedule) for p in policies if any(d[0] == p.id for d in due)
        ]
        decisions = reduce(DataFrame.unionByName, solved)
        optimized = decisions.join(F.broadcast(schedule), ["policy_id", ORIGIN]).join(terms, [*ITEM_KEYS, ORIGIN])
        parts.append(as_state(optimized))
    if carried is None:
        parts += [as_state(b) for b in baseline_rows(ctx, config, windows, terms, daily)]
    schema = as_state(ctx.read("gold", STATE)).schema
    new_rows = reduce(DataFrame.unionByName, parts) if parts else ctx.spark.createDataFrame([], schema)
    rows = new_rows
    if carried is not None:
        kept = ctx.read("gold", STATE).where(
            (F.col("stretch_start") == F.lit(carried.start)) & (F.col(RULE_FROM) < F.lit(carried.through))
        )
        rows = as_state(kept).unionByName(new_rows)
    extras = opening_stock(ctx.read("silver", "inventory_snapshot"), windows.first_day).join(
        delivery_history(ctx.read("silver", "orders"), ctx.read("silver", "deliveries"), windows.end),
        list(ITEM_KEYS),
        "full",
    )
    lead_spread = (
        ctx.read("silver", "store_product_supplier").where("is_primary").select(*ITEM_KEYS, "lead_time_ci_days")
    )
    frame = rows.join(extras, list(ITEM_KEYS), "left").join(lead_spread, list(ITEM_KEYS), "left").drop(ORIGIN)
    return frame, new_rows, cached


def baseline_rows(
    ctx: JobContext, config: EvaluateConfig, windows: Windows, terms: DataFrame, daily: DataFrame
) -> list[DataFrame]:
    """The baselines of a new stretch: the first origin's terms, the rate they start from = the in-stock sales
    before the stretch, their rules in force from its first day."""
    first = terms.where(F.col(ORIGIN) == F.lit(windows.origins[0])).drop(ORIGIN)
    observed = sales_before(daily, windows.first_day, config.walk_forward.sales_history_days)
    seeded = (
        first.join(observed, list(ITEM_KEYS), "left")
        .withColumn("a", F.coalesce("observed_a", "a"))
        .withColumn("demand_variance", F.coalesce("observed_variance", "demand_variance"))
        .drop("observed_a", "observed_variance")
    )
    rule_start = F.lit(windows.first_day - dt.timedelta(days=1))
    return [
        baseline_items(seeded, b, windows.first_day)
        .withColumn(RULE_FROM, rule_start)
        .withColumn(ORIGIN, F.lit(windows.origins[0]))
        for b in config.baselines
    ]
