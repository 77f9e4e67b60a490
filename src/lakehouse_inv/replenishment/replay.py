"""Replay replenishment rules day by day on known demand: the evaluation's inventory simulation.

:func:`replay` is a plain pandas function of two frames, items and demand, so in Spark it runs as a cogrouped map::

    keys = ["policy_id", "store_id", "product_id"]
    items.groupBy("store_id").cogroup(demand.groupBy("store_id")).applyInPandas(
        functools.partial(replay, start=start, end=end, key_columns=keys),
        replay_schema([(key, "string") for key in keys]),
    )

A group is any set of items (one store-product under several policies, or a whole store), simulated together
with numpy operations over the items and a Python loop over the days only, so larger groups amortise the loop.
Every policy is replayed on the same demand (common random numbers), so differences come from the policies.

Semantics of day t (t = start … end; an item's lead time L ≥ 1 and shelf life ``life`` days, or none):

1. Start of day: the units ordered on day t − L arrive as one batch whose last sellable day is t + life − 1.
   A delivery closes the item's running replenishment cycle (see below) and opens a new one.
2. Demand (``requests`` units, each request one unit) is served first-in-first-out from the oldest batch; a
   request that finds no stock is a lost sale (no backorders). Each sold unit spent ``t − arrival day + 1`` days in
   inventory (``unit_days_sold``, summed per day).
3. End of day: batches whose last sellable day is ≤ t are disposed (``disposed``).
4. End of day: the rule (:mod:`lakehouse_inv.replenishment.rules`) looks at the inventory position IP = on hand + on
   order and states a need; supplier terms (:mod:`lakehouse_inv.replenishment.terms`, room = max inventory − IP) turn
   it into an order that arrives at the start of day t + L (deterministic lead time).

The replay starts with nothing on hand and nothing on order, so a rule that never orders sells nothing.

A replenishment cycle runs from one delivery to the day before the next one. It is counted on the day it closes
(the next delivery's day) in ``cycles_closed``, and in ``cycles_with_stockout`` if any sale was lost during it.
Lost sales before an item's first delivery belong to no cycle; a cycle still open on the last day is not counted.

Output grain: one row per item × day, items in input order, days ascending; the item's key columns first, then
REPLAY_COLUMNS. Money columns: revenue = sold × price, inventory_value_end = on_hand_end × unit_cost,
holding_cost = on_hand_end × h, ordering_cost = orders × K, stockout_cost = lost × missed_sale_cost,
disposal_cost = disposed × disposal_cost, purchase_cost = sold × unit_cost (what the units sold cost to buy; expired
units are in disposal_cost, whose unit rate includes their purchase price in the evaluation job).

Bad input (see :mod:`lakehouse_inv.replenishment.items`): an item with an invalid value is not simulated; its rows have
status ``invalid``, an ``error`` naming the item, column and value, and null measures. The other items are
replayed as usual. Missing columns or demand that matches no item raise ValueError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lakehouse_inv.replenishment.delivery import delivery_draws
from lakehouse_inv.replenishment.items import (
    OPENING_EXPIRY,
    OPENING_UNITS,
    RULE_FROM,
    SHIPMENT_GROUP,
    ItemInputs,
    as_days,
    demand_matrix,
    prepare_items,
    resolve_key_columns,
)
from lakehouse_inv.replenishment.rules import NONE, RULE_COLUMNS, RULE_KINDS, RuleExecutor
from lakehouse_inv.replenishment.shipments import (
    DELIVERY_EPOCH,
    DROPPED_BY_CAP,
    FITTED_NONE,
    delivery_day_mask,
    group_codes,
    next_delivery_days,
    shipment_limits,
    shipment_shares,
)
from lakehouse_inv.replenishment.terms import ADJUSTED, BLOCKED, SupplierTerms

OK, INVALID = "ok", "invalid"

_UNIT_COLUMNS = (
    "demand",
    "sold",
    "lost",
    "received",
    "disposed",
    "on_hand_end",
    "on_order_end",
    "ordered",
    "orders",
    "orders_adjusted",
    "orders_blocked",
    "unit_days_sold",
    "cycles_closed",
    "cycles_with_stockout",
)
_MONEY_COLUMNS = {  # output column → (unit column, item cost column)
    "revenue": ("sold", "price"),
    "inventory_value_end": ("on_hand_end", "unit_cost"),
    "holding_cost": ("on_hand_end", "h"),
    "ordering_cost": ("orders", "K"),  # + each line's share of its shipment's cost + freight (_frame)
    "stockout_cost": ("lost", "missed_sale_cost"),
    "disposal_cost": ("disposed", "disposal_cost"),
    "purchase_cost": ("sold", "unit_cost"),
}
SHIPMENT_SHARE = "shipment_share"
"""Internal: each line's share of its shipment on a day (1 / lines on it), for the shipment cost."""
REPLAY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("date", "date"),
    ("status", "string"),
    ("error", "string"),
    *((name, "bigint") for name in _UNIT_COLUMNS),
    *((name, "double") for name in _MONEY_COLUMNS),
)
"""Output columns after the key columns (name, Spark type). ``orders`` is 1 on a day an order was placed,
``orders_adjusted`` 1 when supplier terms changed its quantity, ``orders_blocked`` 1 when the rule needed units
but the terms allowed none."""
REPLAY_SCHEMA = ", ".join(f"{name} {kind}" for name, kind in REPLAY_COLUMNS)
"""Spark DDL of REPLAY_COLUMNS: "date date, status string, error string, demand bigint, … disposal_cost double"."""


def replay_schema(key_columns: Sequence[tuple[str, str]]) -> str:
    """The full applyInPandas schema: key columns first, e.g. ``[("policy_id", "string"), ("store_id", "string")]``."""
    return ", ".join([f"{name} {kind}" for name, kind in key_columns] + [REPLAY_SCHEMA])


def replay(
    items: pd.DataFrame,
    demand: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    key_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Replay every item of ``items`` on ``demand`` over [start, end] (module docstring for the semantics; input
    columns in :mod:`lakehouse_inv.replenishment.items`). ``key_columns`` default: the items columns that are not
    inputs."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    n_days = (end - start).days + 1
    keys = resolve_key_columns(items, key_columns)
    base, schedule = split_schedule(items, keys, start, n_days)
    inputs = prepare_items(base, keys)
    switches = _switches(inputs, schedule, keys) if schedule is not None else []
    matrix = demand_matrix(inputs, demand, start, n_days) if len(base) else np.zeros((n_days, 0))
    opening = opening_batches(base, inputs, start)
    series = [c for c in keys if c in demand.columns]
    lead_days, shares = delivery_draws(base, series, np.nan_to_num(inputs.values["L"], nan=1.0), n_days)
    errors = inputs.errors()
    valid = np.array([e is None for e in errors], dtype=bool)
    delivery_days = delivery_day_mask(inputs.values["delivery_every"], start, n_days)
    groups = group_codes(base[SHIPMENT_GROUP].to_numpy(object) if SHIPMENT_GROUP in base else None, len(base))
    daily = {name: np.full((n_days, len(base)), np.nan) for name in (*_UNIT_COLUMNS, SHIPMENT_SHARE)}
    position = np.cumsum(valid) - 1  # index of each valid item among the valid ones
    simulated = _simulate(
        inputs.kinds[valid],
        {name: values[valid] for name, values in inputs.values.items()},
        matrix[:, valid],
        deliveries=(lead_days[:, valid], shares[:, valid]),
        shipping=(delivery_days[:, valid], np.unique(groups[valid], return_inverse=True)[1].astype(np.int64)),
        opening=[(arrival[valid], units[valid]) for arrival, units in opening],
        switches=[
            (day, position[idx[valid[idx]]], kinds[valid[idx]], {k: v[valid[idx]] for k, v in params.items()})
            for day, idx, kinds, params in switches
            if valid[idx].any()
        ],
        calendar_day0=(start - DELIVERY_EPOCH).days,
    )
    for name, values in simulated.items():
        daily[name][:, valid] = values
    return _frame(inputs, errors, valid, daily, start, n_days)


def split_schedule(
    items: pd.DataFrame, keys: Sequence[str], start: dt.date, n_days: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``(base, schedule)``: without a ``rule_from`` column the items themselves and None. With it, one base row
    per item (its terms, and the rule in force on day 0: the latest row from on or before ``start``, or rule
    ``none`` when the first row comes later) and the later rule rows, each with its day number ``_day``."""
    if RULE_FROM not in items.columns:
        return items, None
    day = (as_days(items[RULE_FROM]) - np.datetime64(start, "D")).astype(np.int64)
    ordered = items.assign(_day=np.maximum(day, 0)).sort_values([*keys, "_day"], kind="mergesort")
    ordered = ordered[ordered["_day"] < n_days]
    # of several rows in force from day 0 the latest wins (rows sort by rule_from: take the last of each item-day)
    ordered = ordered[~ordered.duplicated([*keys, "_day"], keep="last")]
    first = ~ordered.duplicated(list(keys), keep="first")
    base = ordered[first].copy()
    late_start = base["_day"].to_numpy() > 0
    schedule = pd.concat([ordered[~first], base[late_start]], ignore_index=True)
    base.loc[late_start, "rule_kind"] = RULE_KINDS[NONE]
    return base.drop(columns=["_day", RULE_FROM]).reset_index(drop=True), schedule


def _switches(
    inputs: ItemInputs, schedule: pd.DataFrame, keys: Sequence[str]
) -> list[tuple[int, np.ndarray, np.ndarray, dict[str, np.ndarray]]]:
    """Rule changes ``(day, item indices, kind codes, parameters)`` in day order; a rule row with a bad parameter
    makes its item invalid (its problems are added to the item's)."""
    if len(schedule) == 0:
        return []
    checked = prepare_items(schedule.drop(columns=[RULE_FROM]), [*keys, "_day"])
    index = pd.MultiIndex.from_frame(inputs.keys) if len(keys) > 1 else pd.Index(inputs.keys[keys[0]])
    rows = pd.MultiIndex.from_frame(schedule[list(keys)]) if len(keys) > 1 else pd.Index(schedule[keys[0]])
    item_of_row = index.get_indexer(rows)
    for row, problems in enumerate(checked.problems):
        if problems:
            when = f"rule from day {int(schedule['_day'].iat[row])}"
            inputs.problems[item_of_row[row]].extend(f"{when}: {p}" for p in problems)
    days = schedule["_day"].to_numpy()
    out = []
    for day in np.unique(days):
        rows_today = np.flatnonzero(days == day)
        params = {name: checked.values[name][rows_today] for name, _ in RULE_COLUMNS if name != "rule_kind"}
        out.append((int(day), item_of_row[rows_today], checked.kinds[rows_today], params))
    return out


def opening_batches(base: pd.DataFrame, inputs: ItemInputs, start: dt.date) -> list[tuple[np.ndarray, np.ndarray]]:
    """The stock on hand when the replay starts, as batches ``(arrival day, units)`` oldest first, one pair of
    arrays (per item) per batch rank. A batch with an ``opening_expiry`` E (its last sellable day) and a shelf life
    counts as having arrived on E − life + 1, so it expires on E as in the store; without one it arrived the day
    before ``start``. Batches already past their last sellable day are not stock."""
    if OPENING_UNITS not in base.columns:
        return []
    life = inputs.values["shelf_life_days"]
    per_item: list[list[tuple[float, float]]] = []
    for i, (units, expiry) in enumerate(
        zip(base[OPENING_UNITS], base[OPENING_EXPIRY] if OPENING_EXPIRY in base else [None] * len(base), strict=True)
    ):
        units = _cells(units)
        expiry = _expiry_days(expiry, start, len(units))
        batches = []
        for count, last_day in zip(units, expiry, strict=False):
            if not np.isfinite(count) or count < 0 or count != np.floor(count):
                inputs.problems[i].append(f"opening_units: must be whole numbers >= 0, got {count:g}")
                continue
            if np.isfinite(last_day) and np.isfinite(life[i]):
                if last_day < 0:
                    continue
                batches.append((last_day - life[i] + 1, count))
            else:
                batches.append((-1.0, count))
        per_item.append(sorted(b for b in batches if b[1] > 0))
    ranks = max((len(b) for b in per_item), default=0)
    out = []
    for rank in range(ranks):
        arrival = np.array([b[rank][0] if rank < len(b) else 0.0 for b in per_item])
        units = np.array([b[rank][1] if rank < len(b) else 0.0 for b in per_item])
        out.append((arrival, units))
    return out


def _cells(value: object) -> np.ndarray:
    """An array cell of numbers (list or array; None = empty) as floats."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.zeros(0)
    return np.asarray(value, dtype=np.float64).ravel()


def _expiry_days(value: object, start: dt.date, n: int) -> np.ndarray:
    """An array cell of expiry dates (None/NaT = does not expire) as day numbers from ``start`` (NaN for none)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.full(n, np.nan)
    dates = pd.to_datetime(pd.Series(list(np.asarray(value, dtype=object).ravel()), dtype=object))
    days = (dates - pd.Timestamp(start)).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)
    return days


def _simulate(
    kinds: np.ndarray,
    values: Mapping[str, np.ndarray],
    demand: np.ndarray,
    *,
    deliveries: tuple[np.ndarray, np.ndarray] | None = None,
    shipping: tuple[np.ndarray, np.ndarray] | None = None,
    opening: Sequence[tuple[np.ndarray, np.ndarray]] = (),
    switches: Sequence[tuple[int, np.ndarray, np.ndarray, Mapping[str, np.ndarray]]] = (),
    calendar_day0: int = 0,
) -> dict[str, np.ndarray]:
    """The day loop for valid items: ``demand`` is (days, items); returns every _UNIT_COLUMNS measure as a
    (days, items) float array. Only what the next day depends on is computed in the loop; lost sales, order
    counts and cycles follow from the recorded days afterwards. ``deliveries`` = (lead time, received share) of an
    order placed on each day, (days, items) each (default: the promised lead time, in full); ``opening`` the
    stock on hand at the start as batches by rank; ``switches`` the rule changes by day; ``shipping`` = (delivery
    days, shipment group code per item) (default: every day, each item alone); ``calendar_day0`` the day number of
    day 0 since 1970-01-01 (for rules on the calendar). Also returns SHIPMENT_SHARE, each line's share of its
    shipment per day."""
    n_days, n = demand.shape
    items = np.arange(n)
    lead_days, shares = deliveries if deliveries is not None else (None, None)
    if lead_days is None:
        lead_days = np.tile(values["L"].astype(np.int64), (n_days, 1))
        shares = np.ones((n_days, n))
    longest = int(lead_days.max(initial=0)) + 1
    arriving_units = np.zeros((longest, n))  # units arriving on day d sit in row d % longest
    arriving_ordered = np.zeros((longest, n))  # what those deliveries were ordered as (leaves on-order)
    life = values["shelf_life_days"]
    perishable = np.isfinite(life)
    # A batch arriving on day a is sold through day a + life − 1 and disposed after closing that day; items
    # without a shelf life get an age no batch reaches.
    disposal_age = np.where(perishable, life - 1, n_days + 1)
    stock = _BatchQueues(n)
    on_hand, on_order = np.zeros(n), np.zeros(n)
    for arrival, units in opening:
        stock.receive(arrival, units)
        on_hand += units
    terms = SupplierTerms.from_limits(values["moq"], values["max_qty"], values["multiple"])
    max_inventory = np.nan_to_num(values["max_inventory"], nan=np.inf)
    storage_limited = bool(np.isfinite(max_inventory).any())
    any_perishable = bool(perishable.any())
    rules = RuleExecutor(kinds, values, n_days, calendar_day0)
    switch_on = {day: (idx, k, p) for day, idx, k, p in switches}
    delivery_days, groups = shipping if shipping is not None else (np.ones((n_days, n), dtype=bool), items)
    every_day = bool(delivery_days.all())
    if not every_day:  # a review between delivery days waits for the next one
        rules.review_due[:] = next_delivery_days(rules.review_due, delivery_days)
    limits = {k: values[k] for k in ("min_shipment_volume", "max_shipment_volume", "max_shipment_value") if k in values}
    shipments = None  # the shipment structure, built once: the day loop only sums today's lines per shipment
    if any(np.isfinite(v).any() for v in limits.values()):
        shipments = shipment_limits(
            groups,
            unit_volume=values["unit_volume"],
            unit_cost=values["unit_cost"],
            multiple=values["multiple"],
            moq=values["moq"],
            max_qty=values["max_qty"],
            min_volume=values["min_shipment_volume"],
            max_volume=values["max_shipment_volume"],
            max_value=values["max_shipment_value"],
        )
    no_room = np.full(n, np.inf)

    out = {name: np.zeros((n_days, n)) for name in (*_UNIT_COLUMNS, SHIPMENT_SHARE)}
    received, sold_out, unit_days, disposed_out = out["received"], out["sold"], out["unit_days_sold"], out["disposed"]
    ordered, adjusted, blocked = out["ordered"], out["orders_adjusted"], out["orders_blocked"]
    on_hand_out, on_order_out = out["on_hand_end"], out["on_order_end"]
    for day in range(n_days):
        slot = day % longest
        arriving = received[day]
        arriving[:] = arriving_units[slot]
        on_order -= arriving_ordered[slot]
        arriving_units[slot] = 0.0
        arriving_ordered[slot] = 0.0
        on_hand += arriving
        stock.receive(day, arriving)

        in_stock = on_hand > 0  # the shelf opened with stock: the day's sales say something about its demand
        sold = sold_out[day]
        np.minimum(demand[day], on_hand, out=sold)
        if sold.any():
            unit_days[day] = stock.sell(day, sold)
            on_hand -= sold
        if any_perishable:
            disposed_out[day] = stock.dispose(day, day - disposal_age)
            on_hand -= disposed_out[day]

        rules.record_sales(day, sold, in_stock)
        if day in switch_on:
            rules.switch(day, *switch_on[day])
            if not every_day:
                rules.review_due[day:] = next_delivery_days(rules.review_due[day:], delivery_days[day:])
        position = on_hand + on_order
        need = rules.needed(day, position)
        if not every_day:
            need = np.where(delivery_days[day], need, 0.0)
        if (need > 0).any():
            room = max_inventory - position if storage_limited else None
            order = terms.apply(need, room)
            quantity, fitted = order.quantity, np.zeros(n, dtype=np.int64)
            if shipments is not None:
                quantity, fitted = shipments.fit(quantity, no_room if room is None else room)
            arrival = (day + lead_days[day]) % longest
            arriving_units[arrival, items] += np.floor(quantity * shares[day] + 1e-9)
            arriving_ordered[arrival, items] += quantity
            on_order += quantity
            ordered[day] = quantity
            adjusted[day] = (order.status == ADJUSTED) | ((fitted != FITTED_NONE) & (fitted != DROPPED_BY_CAP))
            blocked[day] = (order.status == BLOCKED) | (fitted == DROPPED_BY_CAP)
            out[SHIPMENT_SHARE][day] = shipment_shares(quantity, groups)
        on_hand_out[day] = on_hand
        on_order_out[day] = on_order
    out["demand"] = demand.astype(np.float64)
    out["lost"] = out["demand"] - sold_out
    out["orders"] = (ordered > 0).astype(np.float64)
    out["cycles_closed"], out["cycles_with_stockout"] = _cycles(received, out["lost"])
    return out


def _cycles(received: np.ndarray, lost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(cycles_closed, cycles_with_stockout)`` per day and item: a delivery on day t closes the cycle opened by
    the previous delivery p (if any), with a stockout when units were lost on days p … t − 1."""
    n_days, n = received.shape
    delivered = received > 0
    latest = np.maximum.accumulate(np.where(delivered, np.arange(n_days)[:, None], -1), axis=0)
    previous = np.vstack([np.full((1, n), -1), latest[:-1]])  # latest delivery day before t
    closes = delivered & (previous >= 0)
    lost_before = np.vstack([np.zeros((1, n)), np.cumsum(lost, axis=0)])  # row t: units lost on days < t
    lost_in_cycle = lost_before[:-1] - np.take_along_axis(lost_before, np.maximum(previous, 0), axis=0)
    return closes.astype(np.float64), (closes & (lost_in_cycle > 0)).astype(np.float64)


class _BatchQueues:
    """Each item's on-hand batches, oldest first: a ring of ``capacity`` slots per item (``units`` and ``arrival``
    day, capacity × items), the oldest batch at slot ``head`` and ``count`` batches in use.

    An item receives at most one batch a day and all its batches share one shelf life, so arrival order is expiry
    order: selling takes from the head, and the only batch that can expire is the head. The capacity doubles when
    an item with a full ring receives a batch (a slow mover holding many batches). An emptied batch leaves the
    queue at once, so a head batch always holds units."""

    def __init__(self, n_items: int, capacity: int = 8) -> None:
        self.units = np.zeros((capacity, n_items))
        self.arrival = np.zeros((capacity, n_items))
        self.head = np.zeros(n_items, dtype=np.int64)
        self.count = np.zeros(n_items, dtype=np.int64)
        self._columns = np.arange(n_items)

    def receive(self, day: int | np.ndarray, units: np.ndarray) -> None:
        """Add today's deliveries (``day`` may be a per-item arrival day, for the opening stock)."""
        delivered = np.flatnonzero(units > 0)
        if len(delivered) == 0:
            return
        if np.any(self.count[delivered] == len(self.units)):
            self._grow()
        tail = (self.head[delivered] + self.count[delivered]) % len(self.units)
        self.units[tail, delivered] = units[delivered]
        self.arrival[tail, delivered] = np.broadcast_to(day, units.shape)[delivered]
        self.count[delivered] += 1

    def _grow(self) -> None:
        capacity = len(self.units)
        in_order = (self.head + np.arange(capacity)[:, None]) % capacity  # slot of each item's k-th oldest batch
        for name in ("units", "arrival"):
            grown = np.zeros((2 * capacity, len(self.head)))
            grown[:capacity] = getattr(self, name)[in_order, self._columns]
            setattr(self, name, grown)
        self.head[:] = 0

    def _pop(self, done: np.ndarray) -> None:
        """Drop the head batch of the items ``done`` (indices)."""
        if len(done):
            self.head[done] = (self.head[done] + 1) % len(self.units)
            self.count[done] -= 1

    def sell(self, day: int, sold: np.ndarray) -> np.ndarray:
        """Take ``sold`` units per item oldest first (sold ≤ on hand); returns the unit-days of the units sold,
        each unit counting day − arrival day + 1. Each pass empties at most one batch per item, so the passes
        after the first only touch the few items whose sale spans several batches."""
        unit_days = np.zeros_like(sold)
        selling, remaining = self._columns, sold
        while len(selling):
            heads = self.head[selling]
            head_units = self.units[heads, selling]
            taken = np.minimum(head_units, remaining)
            self.units[heads, selling] = head_units - taken
            unit_days[selling] += taken * (day + 1 - self.arrival[heads, selling])
            emptied = (taken == head_units) & (taken > 0)
            self._pop(selling[emptied])
            more = emptied & (taken < remaining)
            selling, remaining = selling[more], (remaining - taken)[more]
        return unit_days

    def dispose(self, day: int, last_arrival_to_dispose: np.ndarray) -> np.ndarray:
        """Remove and return each item's head batch if it arrived on or before ``last_arrival_to_dispose``."""
        expired = (self.count > 0) & (self.arrival[self.head, self._columns] <= last_arrival_to_dispose)
        disposed = np.where(expired, self.units[self.head, self._columns], 0.0)
        self.units[self.head, self._columns] -= disposed
        self._pop(np.flatnonzero(expired))
        return disposed


def _frame(
    inputs: ItemInputs,
    errors: np.ndarray,
    valid: np.ndarray,
    daily: dict[str, np.ndarray],
    start: dt.date,
    n_days: int,
) -> pd.DataFrame:
    """Item-major output rows: key columns repeated per day, dates tiled per item, measures transposed."""
    n_items = len(valid)
    columns: dict[str, object] = {name: np.repeat(inputs.keys[name].to_numpy(), n_days) for name in inputs.keys.columns}
    dates = np.array([start + dt.timedelta(days=d) for d in range(n_days)], dtype=object)
    columns["date"] = np.tile(dates, n_items)
    columns["status"] = np.repeat(np.where(valid, OK, INVALID).astype(object), n_days)
    columns["error"] = np.repeat(errors, n_days)
    missing = np.repeat(~valid, n_days)
    for name in _UNIT_COLUMNS:
        values = np.nan_to_num(daily[name].T.ravel(), nan=0.0).astype(np.int64)
        columns[name] = pd.arrays.IntegerArray(values, missing)
    for name, (units, cost) in _MONEY_COLUMNS.items():
        columns[name] = (daily[units] * inputs.values[cost]).T.ravel()
    shipping = daily[SHIPMENT_SHARE] * np.nan_to_num(inputs.values["shipment_cost"], nan=0.0)
    freight = daily["ordered"] * np.nan_to_num(inputs.values["freight"], nan=0.0)
    columns["ordering_cost"] = columns["ordering_cost"] + (shipping + freight).T.ravel()
    frame = pd.DataFrame(columns, copy=False)
    for name in inputs.keys.columns:
        frame[name] = frame[name].astype(inputs.keys[name].dtype)
    return frame
