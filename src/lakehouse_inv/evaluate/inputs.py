"""Replay inputs shared by both evaluation modes: item terms, service levels, baseline rules, true demand, and the
cogrouped replay of one store per pandas call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.config import BaselineConfig
from lakehouse_inv.optimize.config import ITEM_KEYS
from lakehouse_inv.optimize.policy_types import DECISION_RULES
from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.replenishment.baseline import EPOCH
from lakehouse_inv.replenishment.replay import replay, replay_schema
from lakehouse_inv.replenishment.rules import attach_rules

REPLAY_KEYS = ["policy_id", *ITEM_KEYS]


def replay_terms(items: DataFrame, levels: DataFrame, extra_keys: Sequence[str] = ()) -> DataFrame:
    """Replay inputs per store-product from the policy inputs and service levels; an order placed after closing
    arrives next morning at the earliest, so lead times below one day count as one. An expired unit costs its
    purchase price plus disposal (``W``), as in the optimizer. Ordering is paid per shipment (store x supplier x
    delivery day: the supplier's ``shipment_cost`` shared by the lines on it, :mod:`lakehouse_inv.replenishment.
    shipments`) plus freight per unit, not per line (``K`` = 0); the replay groups shipments per policy as well,
    since ``policy_id`` is part of the replay keys."""
    return items.join(levels, list(ITEM_KEYS), "left").select(
        *ITEM_KEYS,
        *extra_keys,
        "a",
        "demand_variance",
        "service_level",
        F.greatest("L", F.lit(1)).alias("L"),
        "moq",
        "max_qty",
        "multiple",
        "max_inventory",
        "min_inventory",
        F.col("life").alias("shelf_life_days"),
        "price",
        "unit_cost",
        "h",
        F.lit(0.0).alias("K"),
        F.col("pi").alias("missed_sale_cost"),
        F.col("W").alias("disposal_cost"),
        F.concat_ws("/", "store_id", "supplier_id").alias("shipment_group"),
        "shipment_cost",
        "freight",
        "delivery_every",
        F.col("product_volume").alias("unit_volume"),
        "min_shipment_volume",
        "max_shipment_volume",
        "max_shipment_value",
    )


def baseline_items(terms: DataFrame, baseline: BaselineConfig, first_day: dt.date | None = None) -> DataFrame:
    """Every store-product under a baseline rule (decision as :func:`rule_from_decision` reads it; a null field
    is left out of the JSON, so a product without a shelf life gets no expiry cap). With ``first_day`` (the
    replay's day 0) a service_cover item reviews on the dates ``generate_orders`` does: those whose day count since
    1970-01-01 is a multiple of its review period (:func:`lakehouse_inv.replenishment.baseline.calendar_offset`)."""
    delivered = baseline.rule == "service_cover" and "delivery_every" in terms.columns
    # the strong baseline orders every item of a supplier on the supplier's delivery days
    review_days = F.coalesce(F.col("delivery_every"), F.lit(baseline.review_days)) if delivered else None
    fields = [(review_days if review_days is not None else F.lit(baseline.review_days)).alias("R")]
    if baseline.rule == "days_of_cover":
        fields.append((F.col("L") + F.lit(baseline.review_days + baseline.safety_days)).alias("cover_days"))
    if baseline.rule == "service_cover":
        fields += [
            F.coalesce("service_level", F.lit(baseline.default_service_level)).alias("service_level"),
            F.col("shelf_life_days"),
            F.col("demand_variance"),
        ]
        if first_day is not None:
            longest = F.coalesce(F.col("delivery_every"), F.lit(baseline.review_days)) if delivered else None
            longest = longest if longest is not None else F.lit(baseline.review_days)
            shortest = F.greatest(F.lit(1), F.least(longest, F.floor(F.col("shelf_life_days") / 2)))
            review = F.coalesce(shortest, longest)
            fields.append(F.pmod(F.lit(-(first_day - EPOCH).days), review).cast("int").alias("offset"))
    return terms.select(
        F.lit(baseline.id).alias("policy_id"),
        F.lit(baseline.rule).alias("policy_type"),
        F.to_json(F.struct(*fields)).alias("decision_json"),
        F.lit(1).alias("period_days"),
        *terms.columns,
    )


def _replay_store(items: pd.DataFrame, demand: pd.DataFrame, *, start: dt.date, end: dt.date) -> pd.DataFrame:
    if "shipment_group" in items.columns:  # each policy sends its own trucks
        items = items.assign(shipment_group=items["policy_id"].astype(str) + "/" + items["shipment_group"].astype(str))
    return replay(
        attach_rules(items, period_column="period_days", rules=DECISION_RULES),
        demand,
        start=start,
        end=end,
        key_columns=REPLAY_KEYS,
    )


def replay_frame(items: DataFrame, demand: DataFrame, start: dt.date, end: dt.date) -> DataFrame:
    """Every item of ``items`` (policy_id, store_id, product_id, policy_type, decision_json, period_days, terms)
    replayed on ``demand`` (store_id, product_id, date, requests), one store per pandas call."""
    schema = replay_schema([(k, "string") for k in REPLAY_KEYS])
    fn = partial(_replay_store, start=start, end=end)
    return items.groupBy("store_id").cogroup(demand.groupBy("store_id")).applyInPandas(fn, schema)


def true_demand(ctx: JobContext, start: dt.date, end: dt.date) -> DataFrame:
    return (
        ctx.read("silver", "daily_demand")
        .where(F.col("date").between(F.lit(start), F.lit(end)))
        .select(*ITEM_KEYS, "date", F.coalesce("requests", "units_sold").cast("double").alias("requests"))
    )
