"""The rows each policy type's partitions are solved from, built from the lakehouse's item inputs.

One builder per way of posing a problem, named in the type's :class:`~lakehouse_inv.optimize.policy_types.PolicyType`
spec: the single-item policies read the item columns as they are; ceoq, nvbudget and the lot-sizing types rename,
rescale or expand them and add their partition's native capacity as a constant column (``_b``, ``_V``, ``_C``,
read once per group by the UDF). Pure DataFrame transforms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.numeric import exact_sum

NEWSVENDOR_MAX_PERIOD_DAYS = 7
TARGET_COLUMNS = ("L_ci", "alpha", "min_inventory")
"""Optional item inputs of the single-item policies (lead-time spread, fill-rate target, minimum stock)."""


@dataclass(frozen=True)
class InputsRequest:
    """What a builder reads: the (scoped) item rows, the forecast, the storage spaces, the partition's key columns
    (``keys``: item keys + partition fields), the item keys alone, and the policy's settings."""

    items: DataFrame
    forecast: DataFrame
    storage: DataFrame
    keys: list[str]
    item_keys: list[str]
    partition_fields: Sequence[str]
    horizon_days: int
    budget_factor: float
    capacity_factor: float
    period_days: int
    extra_columns: Sequence[str] = ()
    """Per-item columns the policy's couplings weigh by."""

    def partition_total(self, value: Column) -> Column:
        return exact_sum(value, Window.partitionBy(*self.partition_fields))


def newsvendor_period() -> Column:
    """Days one newsvendor order has to sell: the item's shelf life, at least 1 and at most a week."""
    return F.least(F.greatest(F.coalesce(F.col("life"), F.lit(1)), F.lit(1)), F.lit(NEWSVENDOR_MAX_PERIOD_DAYS))


def newsvendor_underage(items: DataFrame) -> Column:
    """nvbudget's underage cost per unit (before dividing by the period): ``pi``, raised where needed so that the
    critical ratio ``b/(b + h)`` (h = W per period) reaches the item's service level ``alpha``:
    ``max(pi, W·alpha/(1 − alpha))`` (``pi`` when ``alpha`` is null, 0 or ≥ 1; a penalty, not a constraint, so the
    budget stays feasible). With ``--service-level`` ``pi`` is already ``W·alpha/(1 − alpha)``."""
    if "alpha" not in items.columns:
        return F.col("pi")
    alpha = F.col("alpha")
    floor = F.when((alpha > 0) & (alpha < 1), F.col("W") * alpha / (1 - alpha))
    return F.greatest(F.col("pi"), F.coalesce(floor, F.col("pi")))


def demand_lead_time() -> Column:
    """The days of sales an order-up-to review's order waits for: L − 1 for a lead time of L ≥ 1 days.

    An order goes out after closing on day t and arrives before opening on day t + L (the replay's and
    ``generate_orders``' calendar; a lead time below one day counts as one), so the days t + 1 … t + L − 1 sell from
    the stock already there. The level S set at a review must therefore last L − 1 + R days, to the eve of the next
    review's delivery: the periodic models' protection interval L + R with L = this. Passing the supplier's L itself
    makes RS and jrp hold one day of demand too many, which a perishable pays in outdating (a 3-day product kept
    1.5-2 days of stock on hand instead of 0.5-1). Continuous review (sQ, :func:`item_rows` ``lead_time``) keeps L:
    a level seen at one day's close must last through the next day's sales, when the next look comes, plus the
    L − 1 days to arrival."""
    return (F.greatest(F.col("L"), F.lit(1)) - 1).cast("int")


def item_rows(columns: Sequence[str], rhythm: Literal["lead_time", "review_period"] | None = None):
    """Builder of a single-item type: its input ``columns`` (and ``demand_variance``), the optional targets and
    ``max_inventory`` where present, and the coupling weights.

    ``rhythm``: how the supplier's delivery rhythm (``delivery_every`` days; orders go out on delivery days only)
    enters the model. ``lead_time`` (continuous review, sQ): the reorder point is seen on delivery days only, so
    the stock must cover the lead time plus the days to the next delivery day: L + every − 1 (the periodic-review
    protection interval; L itself when deliveries are daily). ``review_period`` (RS): R is a multiple of every
    (``R_step``), and L is the order's demand lead time (:func:`demand_lead_time`)."""

    def build(request: InputsRequest) -> DataFrame:
        items = request.items
        wanted = [*columns, "demand_variance", *(c for c in (*TARGET_COLUMNS, "max_inventory") if c in items.columns)]
        selected: list[Column | str] = list(dict.fromkeys(wanted))
        if rhythm == "review_period":
            selected = [demand_lead_time().alias("L") if c == "L" else c for c in selected]
        if rhythm is not None and "delivery_every" in items.columns:
            every = F.greatest(F.coalesce(F.col("delivery_every").cast("int"), F.lit(1)), F.lit(1))
            if rhythm == "lead_time":
                selected = [(F.col("L") + every - 1).cast("int").alias("L") if c == "L" else c for c in selected]
            else:
                selected.append(every.alias("R_step"))
        return items.select(*request.keys, *selected, *request.extra_columns)

    return build


def ceoq_rows(request: InputsRequest) -> DataFrame:
    """lam = a, C = h per item; the storage space's cost budget as ``_b``."""
    budget = request.storage.select("store_id", "storage_id", F.col("storage_cost_budget").alias("_b"))
    return request.items.select(*request.keys, F.col("a").alias("lam"), "K", F.col("h").alias("C")).join(
        budget, ["store_id", "storage_id"], "left"
    )


def newsvendor_rows(request: InputsRequest) -> DataFrame:
    """One newsvendor period = the shelf life (capped): a batch is sold or thrown away within it. Costs and spend
    are per day, so items with different periods share one daily budget ``_V``."""
    items, period = request.items, newsvendor_period()
    frame = items.select(
        *request.keys,
        (F.col("a") * period).alias("d"),
        (F.col("W") / period).alias("h"),
        (newsvendor_underage(items) / period).alias("b"),
        (F.col("unit_cost") / period).alias("c"),
        (F.col("demand_variance") * period).alias("demand_variance"),
        *[c for c in ("min_inventory", "max_inventory") if c in items.columns],
    )
    return frame.withColumn("_V", request.budget_factor * request.partition_total(F.col("c") * F.col("d")))


def period_rows(capacity: bool):
    """Builder of a lot-sizing type: one row per item x planning period (``period_days`` days) with the period's
    forecast demand; holding is charged per period, so h scales with the period length. With ``capacity`` the
    partition's capacity per period ``_C`` = capacity_factor x its mean demand per period."""

    def build(request: InputsRequest) -> DataFrame:
        period = F.ceil(F.col("horizon_day") / request.period_days).cast("int")
        periods = request.horizon_days // request.period_days
        daily = request.forecast.where(F.col("horizon_day") <= periods * request.period_days)
        demand = daily.groupBy(*request.item_keys, period.alias("t")).agg(exact_sum("mean").alias("d"))
        frame = request.items.select(*request.keys, "K", (F.col("h") * request.period_days).alias("h"))
        frame = frame.join(demand, request.item_keys)
        if capacity:
            frame = frame.withColumn("_C", request.capacity_factor * request.partition_total(F.col("d")) / periods)
        return frame

    return build


JRP_OPTIONAL_COLUMNS = (
    *TARGET_COLUMNS,
    "max_inventory",
    "W",
    "product_volume",
    "unit_cost",
    "shipment_cost",
    "delivery_every",
    "min_shipment_volume",
    "max_shipment_volume",
    "max_shipment_value",
)


def jrp_rows(request: InputsRequest) -> DataFrame:
    """Joint replenishment: the item inputs as they are (L the demand lead time, :func:`demand_lead_time`), the
    shelf life only where the product expires (a non-perishable's null or 0 means it keeps), and the supplier's
    shipment cost, delivery rhythm and limits, the same on every row of a store x supplier partition."""
    items = request.items
    expires = F.col("life") > 0
    if "is_perishable" in items.columns:
        expires = expires & F.col("is_perishable")
    return items.select(
        *request.keys,
        "a",
        demand_lead_time().alias("L"),
        "h",
        "pi",
        "demand_variance",
        F.when(expires, F.col("life")).alias("life"),
        *(c for c in JRP_OPTIONAL_COLUMNS if c in items.columns),
    )
