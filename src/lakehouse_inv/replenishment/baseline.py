"""The strong baseline outside the replay: what ``generate_orders`` needs to place today's order of an item whose
recommended policy is the baseline (rule ``service_cover``,
:func:`~lakehouse_inv.replenishment.rules.store_manager_rule`).

* **Review calendar.** An item with review period R' (= max(1, min(R, ⌊shelf life / 2⌋)), see the rule) reviews
  on the dates d with (d − 1970-01-01 in days) mod R' = 0: a fixed calendar, whatever day a run or a replay
  starts, so re-runs and consecutive days agree on which days are review days. :func:`calendar_offset` gives the
  ``review_offset`` that puts a rule whose day 0 is a given date on this calendar.
* **Need today.** :func:`needs_after_history` runs the items' rules (:class:`~lakehouse_inv.replenishment.rules.
  RuleExecutor`, the code the replay runs) over the observed sales of the last SALES_HISTORY_DAYS days (day 0 =
  the first of them) and returns each item's need at the end of the last day. For service_cover that is
  ⌈(L + R')·m + z·σ·√(L + R')⌉ − IP on a review day (capped by what sells before expiry), m and σ² the mean and
  population variance of the daily sales of the window's *in-stock* days (:func:`sales_history`: days with a
  ``silver.daily_demand`` row whose ``stockout`` is false); with no in-stock day, m = the forecast rate ``a``
  and σ = 0, as the rule documents.
* :func:`service_levels`: the primary supplier's ``service_level`` per store-product (Spark), the target the
  baseline's safety stock is set from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.replenishment.items import RULE_PARAMETER_COLUMNS, as_days
from lakehouse_inv.replenishment.rules import (
    RULE_COLUMNS,
    RULE_KINDS,
    SALES_HISTORY_DAYS,
    RuleExecutor,
    store_manager_rule,
)
from lakehouse_inv.replenishment.shipments import DELIVERY_EPOCH, next_delivery_days

EPOCH = DELIVERY_EPOCH
"""Review calendars count days from here: the delivery calendar (:mod:`lakehouse_inv.replenishment.shipments`)."""
KEYS = ("store_id", "product_id")


def calendar_offset(review_period: int, first_day: dt.date) -> int:
    """The ``review_offset`` of a rule whose day 0 is ``first_day`` that makes its review days, (day − offset) mod
    R = 0, the calendar's: dates d with (d − 1970-01-01).days mod R = 0."""
    return (-(first_day - EPOCH).days) % int(review_period)


def is_review_date(day: dt.date, review_period: int) -> bool:
    """Whether ``day`` is a review day of the calendar for review period R."""
    return (day - EPOCH).days % int(review_period) == 0


def store_manager_rules(
    items: pd.DataFrame, *, first_day: dt.date, review_days: int, default_service_level: float
) -> pd.DataFrame:
    """``items`` with RULE_COLUMNS added: each item's service_cover rule from ``a``, ``L``, ``service_level``
    (missing: ``default_service_level``), ``shelf_life_days`` (missing: no expiry) and ``demand_variance``, the
    longest review period its supplier's ``delivery_every`` (missing: ``review_days``: the strong baseline orders
    every item of a supplier on the supplier's delivery days), on the review calendar for a run whose day 0 is
    ``first_day``."""
    rows = []
    for position, item in enumerate(items.itertuples(index=False)):
        level, life, variance, every = (
            getattr(item, c, None) for c in ("service_level", "shelf_life_days", "demand_variance", "delivery_every")
        )
        try:
            rule = store_manager_rule(
                a=float(item.a),
                L=int(item.L),
                service_level=default_service_level if _missing(level) else float(level),
                shelf_life_days=None if _missing(life) else float(life),
                demand_variance=None if _missing(variance) else float(variance),
                R=review_days if _missing(every) else int(every),
            )
        except ValueError as exc:
            raise ValueError(f"row {position} ({_label(item)}): {exc}") from None
        offset = calendar_offset(int(rule.review_period), first_day)
        rows.append(dataclasses.replace(rule, review_offset=float(offset)).columns())
    rules = pd.DataFrame(rows, columns=[name for name, _ in RULE_COLUMNS], index=items.index)
    return items.drop(columns=[c for c in rules.columns if c in items.columns]).join(rules)


def sales_history(
    keys: pd.DataFrame, history: pd.DataFrame, first_day: dt.date, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(sold, in_stock)``, each (n_days, items) with day 0 = ``first_day``, items in ``keys`` order (store_id,
    product_id), from ``history`` rows (store_id, product_id, date, units_sold, stockout): a day is in stock when it
    has a row with ``stockout`` false; a day without a row sold nothing that counts. Rows outside the window or of
    other items are ignored; two rows for one item and day are an error."""
    sold = np.zeros((n_days, len(keys)))
    in_stock = np.zeros((n_days, len(keys)), dtype=bool)
    if history.empty or keys.empty:
        return sold, in_stock
    day = (as_days(history["date"]) - np.datetime64(first_day, "D")).astype(np.int64)
    item = pd.MultiIndex.from_frame(keys[list(KEYS)]).get_indexer(pd.MultiIndex.from_frame(history[list(KEYS)]))
    used = (day >= 0) & (day < n_days) & (item >= 0)
    day, item = day[used], item[used]
    cells = day * len(keys) + item
    if len(np.unique(cells)) != len(cells):
        first = cells[np.flatnonzero(pd.Series(cells).duplicated().to_numpy())[0]]
        store, product = keys.iloc[first % len(keys)][list(KEYS)]
        when = first_day + dt.timedelta(days=int(first // len(keys)))
        raise ValueError(f"sales history: two rows for store_id={store!r}, product_id={product!r} on {when}")
    units = pd.to_numeric(history["units_sold"], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)[used]
    stockout = history["stockout"].fillna(True).to_numpy(dtype=bool)[used]
    sold[day, item] = units
    in_stock[day, item] = ~stockout
    return sold, in_stock


def needs_after_history(
    rules: pd.DataFrame,
    sold: np.ndarray,
    in_stock: np.ndarray,
    position: np.ndarray,
    delivery_days: np.ndarray | None = None,
) -> np.ndarray:
    """Each item's need at the end of the last day of ``sold`` (n_days, items): its rule (RULE_COLUMNS of
    ``rules``) has seen every day's sales (``in_stock``: whether the day counts as in stock) and is asked at the
    inventory position ``position``. Day 0 is the first history day, which is where review offsets count from.
    With ``delivery_days`` (n_days, items; the supplier's delivery days) a review between delivery days waits for
    the next one, and an item whose last day is not a delivery day needs nothing today."""
    n_days = sold.shape[0]
    if len(rules) == 0:
        return np.zeros(0)
    codes = {name: code for code, name in enumerate(RULE_KINDS)}
    kinds = rules["rule_kind"].map(codes).to_numpy(dtype=np.int64)
    params = {c: rules[c].to_numpy(dtype=np.float64) for c in RULE_PARAMETER_COLUMNS}
    executor = RuleExecutor(kinds, params, n_days)
    if delivery_days is not None:
        executor.review_due[:] = next_delivery_days(executor.review_due, delivery_days)
    for day in range(n_days):
        executor.record_sales(day, sold[day], in_stock[day])
    need = executor.needed(n_days - 1, np.asarray(position, dtype=np.float64))
    return need if delivery_days is None else np.where(delivery_days[-1], need, 0.0)


def history_start(as_of: dt.date) -> dt.date:
    """First day of the SALES_HISTORY_DAYS-day window ending on ``as_of``."""
    return as_of - dt.timedelta(days=SALES_HISTORY_DAYS - 1)


def service_levels(store_product_supplier: DataFrame) -> DataFrame:
    """The primary supplier's ``service_level`` per store-product (the target the service_cover baseline keeps)."""
    return store_product_supplier.where("is_primary").groupBy(*KEYS).agg(F.max("service_level").alias("service_level"))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _label(item: object) -> str:
    return ", ".join(f"{k}={getattr(item, k)!r}" for k in KEYS if hasattr(item, k))
