"""Policy inputs from the lakehouse (docs/policies.md, "From forecasts to policy inputs"). Pure DataFrame transforms.

Per store-product: ``a`` = mean forecast demand per day over the planning window, ``demand_variance`` = mean
forecast variance per day (negative binomial when above ``a``), ``L`` = primary supplier lead time,
``h`` = storage cost per unit per day, ``K`` = the item's share of a shipment: the supplier's cost per shipment
divided by the number of the store's products it delivers (one truck brings them all, so charging each item the
whole truck would make every policy order months of stock at once), ``pi`` = missed-sale cost,
``W`` = unit cost + disposal cost (an expired unit loses both), ``life`` = shelf life in days,
``L_ci`` = the primary supplier's lead-time spread (+/- days, 0 when missing), ``alpha`` = its ``service_level``
(target fill rate, null when missing), ``min_inventory`` = units always to keep (:mod:`lakehouse_inv.optimize.targets`
says how each policy uses them). The replay's shipment inputs (:mod:`lakehouse_inv.replenishment.shipments`):
``shipment_cost`` = the supplier's whole cost per shipment, ``freight`` = the term's per-unit shipping cost,
``delivery_every`` = the term's shipment frequency in days, and the supplier's ``min_shipment_volume``,
``max_shipment_volume`` and ``max_shipment_value`` (its purchase budget per order; null = no limit).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.numeric import exact_mean
from lakehouse_inv.optimize.config import ITEM_KEYS, PolicyConfig
from lakehouse_inv.optimize.frames import InputsRequest


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


def in_scope(items: DataFrame, policy: PolicyConfig) -> DataFrame:
    if policy.items == "perishable":
        return items.where("is_perishable")
    if policy.items == "non_perishable":
        return items.where("NOT is_perishable")
    return items


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

    The type's spec builds the rows (:mod:`lakehouse_inv.optimize.frames`); partition-level capacities travel as
    constant columns: the type's native one (``_b``, ``_V``, ``_C``) and ``_cap<i>`` per coupling, read once per
    group by the UDF.
    """
    items = in_scope(items, policy)
    item_keys = [*ITEM_KEYS, *forecast_keys]
    keys = list(dict.fromkeys([*item_keys, *policy.partition_fields]))
    request = InputsRequest(
        items=items,
        forecast=forecast,
        storage=storage,
        keys=keys,
        item_keys=item_keys,
        partition_fields=policy.partition_fields,
        horizon_days=horizon_days,
        budget_factor=policy.budget_factor,
        capacity_factor=policy.capacity_factor,
        period_days=policy.period_days,
        extra_columns=sorted({c.weight for c in policy.couplings if c.weight}),
    )
    frame = policy.spec.rows(request)
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
