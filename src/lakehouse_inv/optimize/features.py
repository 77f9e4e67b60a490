"""Policy inputs from the lakehouse (docs/policies.md, "From forecasts to policy inputs"). Pure DataFrame transforms.

Per store-product: ``a`` = mean forecast demand per day over the planning window, ``demand_variance`` = mean
forecast variance per day (negative binomial when above ``a``), ``L`` = primary supplier lead time,
``h`` = storage cost per unit per day, ``K`` = what one order line of the item adds to the cost of shipments (below),
``pi`` = missed-sale cost, ``W`` = unit cost + disposal cost (an expired unit loses both; the replay charges it so),
``margin`` = price − unit cost − freight (what a sold unit earns before holding and shipments), ``life`` = shelf life
in days, ``L_ci`` = the primary supplier's lead-time spread (+/- days, 0 when missing), ``alpha`` = its
``service_level`` (target fill rate, null when missing), ``min_inventory`` = units always to keep
(:mod:`lakehouse_inv.optimize.targets` says how each policy uses them). The replay's shipment inputs
(:mod:`lakehouse_inv.replenishment.shipments`): ``shipment_cost`` = the supplier's whole cost per shipment,
``freight`` = the term's per-unit shipping cost, ``delivery_every`` = the term's shipment frequency in days, and the
supplier's ``min_shipment_volume``, ``max_shipment_volume`` and ``max_shipment_value`` (its purchase budget per
order; null = no limit).

**K, the cost of a line.** The replay (and the store) pays a shipment once per store × supplier × delivery day,
whoever is on it. Adding a line to a shipment that goes anyway costs nothing; a line that alone makes the truck come
costs the whole ``shipment_cost``. So K = shipment_cost × P(no other line of the supplier orders on that delivery
day). With the other lines reviewed on every delivery day (as the baseline and the policies below are), line j
orders when it sold something since the last delivery, P = 1 − exp(−a_j·every) for Poisson demand, so
``K = shipment_cost · exp(−every · Σ_{j≠i} a_j)`` over the store's other products from the same primary supplier:
≈ 0 for a supplier delivering many selling lines, the whole cost for a supplier's only line. (The average share,
shipment_cost / lines, charges a line for a truck that comes anyway and made single-item policies order weeks of
stock at once to save a cost that was never saved.)

:func:`planning_inputs` turns these into what one policy plans with, for its objective.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.numeric import exact_mean, exact_sum
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
        .join(window, list(ITEM_KEYS))
        .withColumn("K", line_cost(forecast_keys))
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
            (F.col("price") - F.col("unit_cost") - F.coalesce("freight", F.lit(0.0))).alias("margin"),
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


LINE_COST_DECIMALS = 6


def line_cost(forecast_keys: Sequence[str]) -> Column:
    """K = shipment_cost · exp(−every · Σ_{j≠i} a_j) over the store's products from the same supplier (module
    docstring), per forecast key (a walk-forward origin plans with that origin's rates)."""
    supplier = Window.partitionBy("store_id", "supplier_id", *forecast_keys)
    every = F.greatest(F.coalesce(F.col("delivery_every"), F.lit(1)), F.lit(1))
    others = F.greatest(exact_sum("a", supplier) - F.col("a"), F.lit(0.0))
    # money to 6 decimals: a millionth is nothing, and the solvers reject magnitudes below 1e-12 (a unit error)
    return F.round(F.col("shipping_cost") * F.exp(-every * others), LINE_COST_DECIMALS)


def planning_inputs(items: DataFrame, policy: PolicyConfig) -> DataFrame:
    """The item inputs ``policy`` plans with: the economics the replay charges, for the policy's objective.

    * An expired unit loses its purchase price, disposal and the freight paid to bring it: ``W`` + freight.
    * ``objective: profit``: a lost sale loses the unit's ``margin`` (price − unit cost − freight; the purchase is
      not paid), so ``pi`` = margin (with ``service_level: penalty`` plus the configured missed-sale cost, the
      goodwill a miss costs on top). Expected profit per day is then ``margin · a − cost`` for every single-item and
      newsvendor cost model: maximising it is minimising the cost with that ``pi`` (docs/policies.md).
      ``objective: cost`` keeps the configured missed-sale cost.
    * ``service_level: floor`` keeps the item's fill-rate target ``alpha`` as a constraint (nvbudget: as the critical
      ratio's floor); ``penalty`` drops it, the shortfall then priced by ``pi`` alone.
    """
    if "freight" in items.columns:
        items = items.withColumn("W", F.col("W") + F.coalesce(F.col("freight"), F.lit(0.0)))
    if policy.objective == "profit":
        lost = F.greatest(F.col("margin"), F.lit(0.0))
        items = items.withColumn("pi", lost + F.col("pi") if policy.service_level == "penalty" else lost)
    if policy.service_level == "penalty" and "alpha" in items.columns:
        items = items.withColumn("alpha", F.lit(None).cast("double"))
    return items


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
