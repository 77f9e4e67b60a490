"""A planner's target service level α as the missed-sale cost the cost-based policies optimize with.

The policies trade holding cost against missed-sale cost ``pi``; a run with ``--service-level α`` (the dashboard's
Run page) replaces the chosen items' configured ``pi`` by the cost at which the critical ratio (newsvendor) relation
gives α:  α = π / (π + h)  ⇔  π = h · α / (1 − α),  with ``h`` the holding cost per unit per day. For the budgeted
newsvendor (``nvbudget``) the holding side of one period is the expiry loss ``W`` (per period, like ``b = pi /
period``), so there ``pi = W · α / (1 − α)`` and ``b / (b + W / period) = α`` exactly. Policies without a missed-sale
cost (ceoq, ww, clsp) are unchanged. The ``pi`` used is kept in ``gold.policy_parameters.inputs_json``.

The override also replaces each item's own target ``alpha`` (the supplier's ``service_level``) where the items carry
one, so sQ, sQ_perishable and RS are additionally held to fill rate α by their constraint
(:mod:`lakehouse_inv.optimize.targets`); nvbudget's critical ratio is then exactly α.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.optimize.policy_types import type_spec


def missed_sale_cost(holding: float, alpha: float) -> float:
    """π with α = π / (π + h): the missed-sale cost at which a unit's critical ratio is α. The formula needs
    0 < α < 1; a run's ``--service-level`` is narrower (:data:`lakehouse_inv.ranges.SERVICE_LEVEL`)."""
    if not 0 < alpha < 1:
        raise ValueError(f"service level {alpha!r} must lie strictly between 0 and 1")
    return holding * alpha / (1 - alpha)


def apply_service_level(items: DataFrame, alpha: float | None, policy_type: str) -> DataFrame:
    """The item inputs with ``pi`` set for service level ``alpha`` (unchanged when ``alpha`` is None or the
    policy type has no missed-sale cost: its spec's ``service_level_holding`` is None). ``items`` are the run's
    (already scoped) rows of :func:`lakehouse_inv.optimize.features.item_inputs`."""
    holding = type_spec(policy_type).service_level_holding
    if alpha is None or holding is None:
        return items
    items = items.withColumn("pi", (F.col(holding) * F.lit(missed_sale_cost(1.0, alpha))).cast("double"))
    return items.withColumn("alpha", F.lit(float(alpha))) if "alpha" in items.columns else items
