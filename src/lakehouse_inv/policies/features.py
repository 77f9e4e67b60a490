"""Policy inputs from the lakehouse (docs/policies.md, "From forecasts to policy inputs"). Pure DataFrame transforms.

Per store-product: ``a`` = mean forecast demand per day over the planning window, ``demand_variance`` = mean
forecast variance per day (negative binomial when above ``a``), ``L`` = primary supplier lead time,
``h`` = storage cost per unit per day, ``K`` = the item's share of a shipment: the supplier's cost per shipment
divided by the number of the store's products it delivers (one truck brings them all, so charging each item the
whole truck would make every policy order months of stock at once), ``pi`` = missed-sale cost,
``W`` = unit cost + disposal cost (an expired unit loses both), ``life`` = shelf life in days,
``L_ci`` = the primary supplier's lead-time spread (+/- days, 0 when missing), ``alpha`` = its ``service_level``
(target fill rate, null when missing), ``min_inventory`` = units always to keep (:mod:`lakehouse_inv.policies.targets`
says how each policy uses them). The replay's shipment inputs (:mod:`lakehouse_inv.replenishment.shipments`):
``shipment_cost`` = the supplier's whole cost per shipment, ``freight`` = the term's per-unit shipping cost,
``delivery_every`` = the term's shipment frequency in days, and the supplier's ``min_shipment_volume``,
``max_shipment_volume`` and ``max_shipment_value`` (its purchase budget per order; null = no limit).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.numeric import exact_mean, exact_sum
from lakehouse_inv.policies.config import ITEM_KEYS, PolicyConfig

NEWSVENDOR_MAX_PERIOD_DAYS = 7
TARGET_COLUMNS = ("L_ci", "alpha", "min_inventory")
"""Optional item inputs of the single-item policies (lead-time spread, fill-rate target, minimum stock)."""


def item_inputs(
    store_product: DataFrame,
    products: DataFrame,
    terms: DataFrame,
    suppliers: DataFrame,
    forecast: DataFrame,
    *,
    horizon_days: int,
    forecast_keys: Sequence[str] = (),
) -> DataFrame:
    """One row per store-product with a forecast: every per-item input any policy type needs. With
    ``forecast_keys`` (e.g. a walk-forward evaluation's forecast ``origin``) one row per store-product and key."""
    window = (
        forecast.where(F.col("horizon_day") <= horizon_days)
        .groupBy(*ITEM_KEYS, *forecast_keys)
        .agg(exact_mean("mean").alias("a"), exact_mean("variance").alias("demand_variance"))
    )
    primary = terms.where("is_primary").select(
        *ITEM_KEYS,
        "supplier_id",
        F.col("lead_time_days").alias("L"),
        F.coalesce(F.col("lead_time_ci_days"), F.lit(0)).alias("L_ci"),
        F.col("service_level").alias("alpha"),
        "unit_cost",
        F.col("min_order_qty").alias("moq"),
        F.col("max_order_qty").alias("max_qty"),
        F.col("qty_multiple").alias("multiple"),
        F.col("shipping_cost").alias("freight"),
        F.col("shipment_freq_days").alias("delivery_every"),
    )
    shared_shipment = F.col("shipping_cost") / F.count("*").over(Window.partitionBy("store_id", "supplier_id"))
    return (
        store_product.join(
            products.select("product_id", "is_perishable", F.col("shelf_life_days").alias("life"), "product_volume"),
            "product_id",
        )
        .join(primary, list(ITEM_KEYS))
        .join(
            suppliers.select(
                "supplier_id",
                "shipping_cost",
                _limit("min_shipping_volume").alias("min_shipment_volume"),
                _limit("max_shipping_volume").alias("max_shipment_volume"),
                _limit("purchase_cost_budget").alias("max_shipment_value"),
            ),
            "supplier_id",
        )
        .withColumn("K", shared_shipment)
        .join(window, list(ITEM_KEYS))
        .select(
            *ITEM_KEYS,
            *forecast_keys,
            "supplier_id",
            "storage_id",
            "department_id",
            F.coalesce("is_perishable", F.lit(False)).alias("is_perishable"),
            "life",
            "a",
            "demand_variance",
            "L",
            F.col("storage_cost").alias("h"),
            "K",
            F.col("missed_sale_cost").alias("pi"),
            (F.col("unit_cost") + F.coalesce("disposal_cost", F.lit(0.0))).alias("W"),
            "unit_cost",
            "product_volume",
            "storage_cost",
            "price",
            "moq",
            "max_qty",
            "multiple",
            F.col("max_inventory"),
            "L_ci",
            "alpha",
            "min_inventory",
            F.col("shipping_cost").alias("shipment_cost"),
            "freight",
            "delivery_every",
            "min_shipment_volume",
            "max_shipment_volume",
            "max_shipment_value",
        )
    )


def _limit(column: str) -> Column:
    """A supplier limit, null when the export says none (-1 or any value <= 0)."""
    return F.when(F.col(column) > 0, F.col(column))


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


def in_scope(items: DataFrame, policy: PolicyConfig) -> DataFrame:
    if policy.items == "perishable":
        return items.where("is_perishable")
    if policy.items == "non_perishable":
        return items.where("NOT is_perishable")
    return items


def _partition_total(value: Column, policy: PolicyConfig) -> Column:
    return exact_sum(value, Window.partitionBy(*policy.partition_fields))


def policy_inputs(
    items: DataFrame,
    forecast: DataFrame,
    storage: DataFrame,
    policy: PolicyConfig,
    *,
    horizon_days: int,
    forecast_keys: Sequence[str] = (),
) -> DataFrame:
    """The rows one policy's partitions are solved from, in the column names of :func:`optimize_partition`.

    Partition-level capacities travel as constant columns ``_b`` (ceoq), ``_V`` (nvbudget), ``_C`` (clsp) and
    ``_cap<i>`` (couplings), read once per group by the UDF.
    """
    items = in_scope(items, policy)
    item_keys = [*ITEM_KEYS, *forecast_keys]
    keys = list(dict.fromkeys([*item_keys, *policy.partition_fields]))
    kind = policy.type
    if kind in ("sQ", "sQ_perishable", "RS"):
        columns = ["a", "L", "h", "K", "pi", "demand_variance"] + (["W", "life"] if kind == "sQ_perishable" else [])
        columns += [c for c in (*TARGET_COLUMNS, "max_inventory") if c in items.columns]
        weights = sorted({c.weight for c in policy.couplings if c.weight})
        frame = items.select(*keys, *columns, *weights)
        for i, coupling in enumerate(policy.couplings):
            if coupling.capacity == "max_inventory":
                frame = frame.join(
                    items.select(*item_keys, F.col("max_inventory").cast("double").alias(f"_cap{i}")), item_keys
                )
            elif isinstance(coupling.capacity, str):
                capacity = storage.select(
                    "store_id", "storage_id", (F.col(coupling.capacity) * coupling.capacity_factor).alias(f"_cap{i}")
                )
                frame = frame.join(capacity, ["store_id", "storage_id"], "left")
            else:
                frame = frame.withColumn(f"_cap{i}", F.lit(float(coupling.capacity)))
        return frame
    if kind == "ceoq":
        budget = storage.select("store_id", "storage_id", F.col("storage_cost_budget").alias("_b"))
        return items.select(*keys, F.col("a").alias("lam"), "K", F.col("h").alias("C")).join(
            budget, ["store_id", "storage_id"], "left"
        )
    if kind == "nvbudget":
        # one newsvendor period = the shelf life (capped): a batch is sold or thrown away within it. Costs and
        # spend are per day, so items with different periods share one daily budget.
        period = newsvendor_period()
        frame = items.select(
            *keys,
            (F.col("a") * period).alias("d"),
            (F.col("W") / period).alias("h"),
            (newsvendor_underage(items) / period).alias("b"),
            (F.col("unit_cost") / period).alias("c"),
            (F.col("demand_variance") * period).alias("demand_variance"),
            *[c for c in ("min_inventory", "max_inventory") if c in items.columns],
        )
        return frame.withColumn("_V", policy.budget_factor * _partition_total(F.col("c") * F.col("d"), policy))
    # ww / clsp: one row per item x planning period (period_days days) with the period's forecast demand;
    # holding is charged per period, so h scales with the period length
    period = F.ceil(F.col("horizon_day") / policy.period_days).cast("int")
    periods = horizon_days // policy.period_days
    daily = forecast.where(F.col("horizon_day") <= periods * policy.period_days)
    demand = daily.groupBy(*item_keys, period.alias("t")).agg(exact_sum("mean").alias("d"))
    frame = items.select(*keys, "K", (F.col("h") * policy.period_days).alias("h")).join(demand, item_keys)
    if kind == "clsp":
        frame = frame.withColumn("_C", policy.capacity_factor * _partition_total(F.col("d"), policy) / periods)
    return frame
