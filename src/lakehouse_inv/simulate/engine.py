"""Day-by-day store operations: deliveries, Poisson demand over opening hours, FIFO sales, expiry, ordering.

Each day draws from its own generator ``default_rng([seed, DAY_STREAM, ordinal])``, so simulating
2025-01-01..2025-12-31 in one go or in 365 daily calls (resuming from :class:`SimState`) gives the same
rows. The store's ordering practice (periodic order-up-to on a 28-day sales average, with an uneven
cover factor and supplier delays, on its suppliers' delivery days, each shipment within the supplier's volume and
budget limits) is what the retailer does today and produces realistic stock-outs.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lakehouse_inv.config import SimulatorConfig
from lakehouse_inv.replenishment.shipments import fit_shipments
from lakehouse_inv.simulate.world import World

DAY_STREAM = 2
PROMO_STREAM = 3
HISTORY_DAYS = 28
NO_EXPIRY = 0


@dataclass
class SimState:
    """Everything carried from one simulated day to the next."""

    next_day: dt.date
    stock: list[list[list[int]]]  # per series: FIFO list of [units, expiry ordinal or NO_EXPIRY]
    pipeline: list[tuple[int, int, int, str]] = field(default_factory=list)  # (arrival ordinal, series, units, order)
    sales_history: np.ndarray = field(default_factory=lambda: np.zeros((HISTORY_DAYS, 0)))
    in_stock_history: np.ndarray = field(default_factory=lambda: np.zeros((HISTORY_DAYS, 0), dtype=bool))
    log_level: np.ndarray = field(default_factory=lambda: np.zeros(0))
    order_seq: int = 0


@dataclass(frozen=True)
class DayOutput:
    """The rows one day produces, one frame per landing entity (store/product ids as strings)."""

    day: dt.date
    demand_requests: pd.DataFrame
    sales: pd.DataFrame
    inventory: pd.DataFrame
    orders: pd.DataFrame
    deliveries: pd.DataFrame


def order_up_to_level(world: World, rate_estimate: np.ndarray) -> np.ndarray:
    """The store's target stock: cover lead time + review period at its (uneven) cover factor, plus a
    one-sigma Poisson buffer."""
    cover_days = world.lead_time + world.review_days
    mean = rate_estimate * cover_days
    target = np.ceil(mean * world.cover_factor + np.sqrt(mean))
    perishable = world.shelf_life > 0
    target = np.where(perishable, np.minimum(target, np.ceil(rate_estimate * world.shelf_life * 0.9)), target)
    return np.maximum(target, 1).astype(np.int64)


def initial_state(cfg: SimulatorConfig, world: World) -> SimState:
    start = cfg.start_date.toordinal()
    level = order_up_to_level(world, world.base_rate)
    stock = [
        [[int(level[i]), start + int(world.shelf_life[i]) - 1 if world.shelf_life[i] else NO_EXPIRY]]
        for i in range(world.n_series)
    ]
    return SimState(
        next_day=cfg.start_date,
        stock=stock,
        sales_history=np.tile(world.base_rate, (HISTORY_DAYS, 1)),
        in_stock_history=np.ones((HISTORY_DAYS, world.n_series), dtype=bool),
        log_level=np.zeros(world.n_series),
    )


def promo_discount(cfg: SimulatorConfig, n_series: int, day: dt.date) -> np.ndarray:
    """Fraction off the shelf price this week (0 for most store-products); stable within a week."""
    week = day.toordinal() // 7
    rng = np.random.default_rng([cfg.seed, PROMO_STREAM, week])
    on_promo = rng.random(n_series) < cfg.promo_week_share
    return np.where(on_promo, rng.uniform(0.1, 0.3, n_series), 0.0)


# Retail holiday effects on demand when ``holiday_country`` is set: on the day, and on the two days before.
HOLIDAY_EFFECTS = {"Christmas Day": 0.05, "Thanksgiving Day": 0.6, "Independence Day": 1.25, "New Year's Day": 0.7}
EVE_EFFECTS = {"Christmas Day": 1.4, "Thanksgiving Day": 1.3}


@functools.lru_cache(maxsize=4096)
def holiday_factor(country: str | None, day: dt.date) -> float:
    """Demand multiplier of ``day`` (1 without a country)."""
    if not country:
        return 1.0
    import holidays

    calendar = holidays.country_holidays(country, years=[day.year, day.year + 1])
    factor = HOLIDAY_EFFECTS.get(calendar.get(day, ""), 1.0)
    for ahead in (1, 2):
        factor *= EVE_EFFECTS.get(calendar.get(day + dt.timedelta(days=ahead), ""), 1.0)
    return factor


def demand_rate(cfg: SimulatorConfig, world: World, state: SimState, day: dt.date, rng: np.random.Generator):
    """Mean requests today per series, and today's shelf price."""
    base_price = world.store_products["price"].to_numpy()
    price = np.round(base_price * (1 - promo_discount(cfg, world.n_series, day)), 2)
    season = 1 + 0.1 * np.sin(2 * np.pi * day.timetuple().tm_yday / 365.25 + world.season_phase)
    rate = (
        world.base_rate
        * world.dow_profile[:, day.weekday()]
        * np.exp(state.log_level)
        * season
        * (price / base_price) ** world.elasticity
    )
    shock = rng.gamma(world.dispersion, 1 / world.dispersion)
    return rate * shock * holiday_factor(cfg.holiday_country, day), price


def simulate_day(cfg: SimulatorConfig, world: World, state: SimState) -> DayOutput:
    """Advance ``state`` by one day (mutating it) and return that day's rows."""
    day = state.next_day
    ordinal = day.toordinal()
    rng = np.random.default_rng([cfg.seed, DAY_STREAM, ordinal])
    n = world.n_series
    if day.weekday() == 0:  # slow level drift: a mean-reverting weekly random walk on the log scale
        state.log_level = 0.95 * state.log_level + rng.normal(0, 0.06, n)

    deliveries = _receive(world, state, ordinal, day)
    rate, price = demand_rate(cfg, world, state, day, rng)
    requests_per_series = rng.poisson(rate)
    on_hand = np.array([sum(b[0] for b in batches) for batches in state.stock], dtype=np.int64)
    sold = np.minimum(requests_per_series, on_hand)
    _sell_fifo(state, sold)
    requests, sales = _request_rows(cfg, world, day, rng, requests_per_series, sold, price)
    _expire(state, ordinal)
    inventory = _inventory_rows(world, state, day)

    state.sales_history = np.vstack([state.sales_history[1:], sold[None, :]])
    state.in_stock_history = np.vstack([state.in_stock_history[1:], (sold < requests_per_series)[None, :] == 0])
    orders = _place_orders(cfg, world, state, day, rng)
    state.next_day = day + dt.timedelta(days=1)
    return DayOutput(day, requests, sales, inventory, orders, deliveries)


def _receive(world: World, state: SimState, ordinal: int, day: dt.date) -> pd.DataFrame:
    arriving = [p for p in state.pipeline if p[0] == ordinal]
    state.pipeline = [p for p in state.pipeline if p[0] != ordinal]
    rows = []
    for _, series, units, order_id in arriving:
        life = int(world.shelf_life[series])
        state.stock[series].append([units, ordinal + life - 1 if life else NO_EXPIRY])
        rows.append((f"DLV-{order_id}", order_id, series, day.isoformat(), units))
    frame = pd.DataFrame(rows, columns=["delivery_id", "order_id", "series", "delivery_date", "quantity_received"])
    return _with_keys(world, frame, with_supplier=True)


def _sell_fifo(state: SimState, sold: np.ndarray) -> None:
    for series in np.flatnonzero(sold):
        remaining = int(sold[series])
        batches = state.stock[series]
        while remaining:
            take = min(remaining, batches[0][0])
            batches[0][0] -= take
            remaining -= take
            if batches[0][0] == 0:
                batches.pop(0)


def _expire(state: SimState, ordinal: int) -> None:
    """Batches whose last sellable day is today are thrown away after closing."""
    for batches in state.stock:
        if batches and batches[0][1] != NO_EXPIRY and batches[0][1] <= ordinal:
            batches[:] = [b for b in batches if b[1] == NO_EXPIRY or b[1] > ordinal]


def _request_rows(cfg, world, day, rng, requests_per_series, sold, price):
    """One row per demand request (1 unit each) at a uniform time within opening hours; the first
    ``sold`` requests of a series in time order found stock and became sales transactions."""
    total = int(requests_per_series.sum())
    series = np.repeat(np.arange(world.n_series), requests_per_series)
    seconds = rng.uniform(cfg.open_hour * 3600, cfg.close_hour * 3600, total).astype(np.int64)
    order = np.lexsort((seconds, series))
    series, seconds = series[order], seconds[order]
    first_of_series = np.cumsum(requests_per_series) - requests_per_series
    rank = np.arange(total) - first_of_series[series]
    fulfilled = rank < sold[series]
    stamp = pd.Timestamp(day) + pd.to_timedelta(seconds, unit="s")
    prefix = day.strftime("%Y%m%d")
    # numpy's zfill cannot take an empty array: a day without a single request (a one-store world can have one)
    seq = np.char.zfill(np.arange(1, total + 1).astype(str), 7) if total else np.array([], dtype="<U7")
    requests = pd.DataFrame(
        {
            "request_id": np.char.add(f"R{prefix}-", seq),
            "series": series,
            "requested_at": stamp.strftime("%Y-%m-%d %H:%M:%S"),
            "units": 1,
            "fulfilled": fulfilled,
        }
    )
    sales = requests.loc[fulfilled, ["series", "requested_at", "units"]].rename(
        columns={"requested_at": "transaction_ts"}
    )
    sales.insert(0, "transaction_id", np.char.add(f"T{prefix}-", seq[fulfilled]))
    sales["unit_price"] = price[sales["series"].to_numpy()]
    return _with_keys(world, requests), _with_keys(world, sales)


def _inventory_rows(world: World, state: SimState, day: dt.date) -> pd.DataFrame:
    """End-of-day stock count: one row per store-product and expiry date; an empty shelf counts 0 units."""
    rows = []
    for series, batches in enumerate(state.stock):
        by_expiry: dict[int, int] = {}
        for units, expiry in batches:
            by_expiry[expiry] = by_expiry.get(expiry, 0) + units
        if not by_expiry:
            by_expiry = {NO_EXPIRY: 0}
        for expiry, units in by_expiry.items():
            expiry_date = dt.date.fromordinal(expiry).isoformat() if expiry != NO_EXPIRY else ""
            rows.append((series, day.isoformat(), units, expiry_date))
    frame = pd.DataFrame(rows, columns=["series", "snapshot_date", "units", "expiry_date"])
    return _with_keys(world, frame, position=0)


def _place_orders(cfg: SimulatorConfig, world: World, state: SimState, day: dt.date, rng) -> pd.DataFrame:
    """The store's current practice: on review days order up to a level based on recent sales."""
    ordinal = day.toordinal()
    reviewing = (ordinal + world.review_offset) % world.review_days == 0
    # The buyer averages sales over the days the item did not run out (stock-outs censor sales).
    days_in_stock = np.maximum(state.in_stock_history.sum(axis=0), 7)
    rate_estimate = np.maximum(state.sales_history.sum(axis=0) / days_in_stock, 1 / HISTORY_DAYS)
    target = order_up_to_level(world, rate_estimate)
    on_hand = np.array([sum(b[0] for b in batches) for batches in state.stock], dtype=np.int64)
    on_order = np.zeros(world.n_series, dtype=np.int64)
    for _, series, units, _ in state.pipeline:
        on_order[series] += units
    position = on_hand + on_order
    mult = world.multiple
    need = target - position
    qty = np.maximum(np.ceil(need / mult) * mult, world.moq)
    qty = np.minimum(qty, world.max_order // mult * mult)
    room = (world.max_inventory - position) // mult * mult
    qty = np.minimum(qty, room)
    placing = reviewing & (need > 0) & (qty >= world.moq)
    qty = _fit_to_shipments(world, np.where(placing, qty, 0.0), room)
    placing &= qty > 0

    series = np.flatnonzero(placing)
    qty = qty[series].astype(np.int64)
    late = rng.random(len(series)) < cfg.late_delivery_share
    delay = np.where(late, rng.integers(1, world.lead_time_ci[series] + 3), 0)
    short = rng.random(len(series)) < cfg.short_shipment_share
    received = np.where(short, np.floor(qty * rng.uniform(0.5, 0.9, len(series))), qty).astype(np.int64)
    rows = []
    for k, s in enumerate(series):
        state.order_seq += 1
        order_id = f"O{day:%Y%m%d}-{state.order_seq:07d}"
        arrival = ordinal + int(world.lead_time[s]) + int(delay[k])
        if received[k] > 0:
            state.pipeline.append((arrival, int(s), int(received[k]), order_id))
        expected = day + dt.timedelta(days=int(world.lead_time[s]))
        rows.append(
            (order_id, int(s), day.isoformat(), int(qty[k]), round(float(world.unit_cost[s]), 2), expected.isoformat())
        )
    frame = pd.DataFrame(
        rows, columns=["order_id", "series", "order_date", "quantity", "unit_cost", "expected_arrival_date"]
    )
    return _with_keys(world, frame, with_supplier=True)


def _fit_to_shipments(world: World, qty: np.ndarray, room: np.ndarray) -> np.ndarray:
    """The day's lines of each store x supplier fitted to the supplier's shipping volume and budget limits, as the
    supplier would accept them (:func:`lakehouse_inv.replenishment.shipments.fit_shipments`)."""
    suppliers = world.suppliers
    limits = {
        name: np.where(values > 0, values, np.nan)[world.primary_supplier]
        for name, values in (
            ("min_volume", suppliers["min_shipping_volume"].to_numpy(dtype=np.float64)),
            ("max_volume", suppliers["max_shipping_volume"].to_numpy(dtype=np.float64)),
            ("max_value", suppliers["purchase_cost_budget"].to_numpy(dtype=np.float64)),
        )
    }
    if not any(np.isfinite(v).any() for v in limits.values()):
        return qty
    store = world.store_products["store_id"].to_numpy()
    groups = np.unique(store, return_inverse=True)[1] * len(suppliers) + world.primary_supplier
    product_volume = world.products.set_index("product_id")["product_volume"]
    fitted, _ = fit_shipments(
        qty.astype(np.float64),
        groups.astype(np.int64),
        unit_volume=product_volume.loc[world.store_products["product_id"]].to_numpy(dtype=np.float64),
        unit_cost=world.unit_cost,
        multiple=world.multiple.astype(np.float64),
        moq=world.moq.astype(np.float64),
        max_qty=(world.max_order // world.multiple * world.multiple).astype(np.float64),
        room=np.maximum(room, 0).astype(np.float64),
        **limits,
    )
    return fitted.astype(np.int64)


def _with_keys(world: World, frame: pd.DataFrame, with_supplier: bool = False, position: int = 1) -> pd.DataFrame:
    """Replace the internal series index by the exported store/product (and supplier) ids, inserted at
    ``position`` (after the row's own id by default) so files follow the export layout."""
    idx = frame.pop("series").to_numpy(dtype=np.int64)
    keys = world.store_products[["store_id", "product_id"]].to_numpy()[idx].reshape(-1, 2)
    frame.insert(position, "store_id", keys[:, 0])
    frame.insert(position + 1, "product_id", keys[:, 1])
    if with_supplier:
        supplier = world.suppliers["supplier_id"].to_numpy()[world.primary_supplier[idx]]
        frame.insert(position + 2, "supplier_id", supplier)
    return frame
