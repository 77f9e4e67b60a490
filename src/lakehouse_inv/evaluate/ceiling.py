"""The profit ceiling: the best profit attainable on the same items and window with the true demand known in advance.

A policy's profit only means something next to what was possible. The ceiling of a set of items over a period [a, b]
is the optimum of a deterministic lot-sizing with expiry and lost sales over the replay's whole stretch [start, b]
(the policies start there too), solved **exactly** as one MIP per shipment group (store × supplier, the items that
share a truck), because a shipment's cost is shared by its lines: a per-item model that charges each item the full
shipment cost would not be an upper bound. The model knows what the replay imposes
(:mod:`lakehouse_inv.replenishment.replay`, :mod:`~lakehouse_inv.replenishment.shipments`):

* orders only on the supplier's delivery days; an order placed on day t arrives on day t + ℓ_t with ⌊q·σ_t⌋ units,
  where ℓ_t and σ_t are the replay's own late and short deliveries (the same common random numbers), so the ceiling
  also knows in advance what the supplier will do;
* an order line is a multiple m of units, at least the MOQ (rounded up to m) and at most the maximum order (rounded
  down) and the store's room (max inventory − on hand − on order, as the replay's position);
* the shipment (group × day) costs ``shipment_cost`` once when any line is on it, plus ``freight`` per unit ordered
  and ``K`` per line; its volume and purchase value stay within the supplier's maxima;
* the stock on hand at the start (batches with their expiry) is the replay's; a batch arriving on day a is sold
  through day a + life − 1 and disposed at the end of that day (perishables); demand not served is lost;
* profit = Σ over the days of [a, b] of (price − unit cost) × sold − holding × on hand at the end of the day −
  disposal cost × disposed, − the ordering costs of orders placed in [a, b]: the replay's accounting (purchase cost
  paid on the units sold; expired units cost ``disposal_cost``, which includes their purchase price).

The days before a are free: every policy arrives at a from its own history, so the ceiling may arrive with any
stock a trajectory from the start could have.

**Why it is an upper bound.** Every replayed trajectory of a policy on these items is feasible here: its orders are
placed on delivery days, obey the terms, the room and the truck maxima, and its FIFO sales are one way of issuing
stock. The model relaxes three things, each only enlarging the feasible set: units may be sold from any batch (not
only the oldest) and less than demand may be sold (neither helps when price ≥ unit cost: FIFO issuing and selling
whatever is asked are optimal, so the optimum is unchanged there), and the supplier's **minimum** shipping volume is
not imposed (the replay raises a shipment towards it only as far as each line's maximum order and room allow, so a
replayed shipment can stay below it). With several shipment costs in one group the cheapest is charged. Orders
that could not arrive by b are left out (they only cost). So ceiling ≥ the profit of every policy that sends its
own trucks, and a policy above its ceiling is a defect.

The ceiling is always a bound from HiGHS: the MIP's optimum (``optimal``), its dual bound when it stops at a gap or
time limit (``bound``), or the LP relaxation's optimum (``lp_bound``: no branching, no clock; the evaluation's
default, ``evaluate.yml`` ceiling.method); each is an upper bound, the last two looser. :func:`windowed` shortens
the stretch of a period that starts late, also as a relaxation. Variables: per order opportunity (item × delivery
day) a whole number of multiples k and a line indicator y; per group × day a shipment indicator z; per item × day
sales and stock on hand (per batch × day sales for perishables); for a short delivery the whole units received.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from lakehouse_inv.optimize.solver import OPTIMAL, SolveOutcome, SolverOptions, solve
from lakehouse_inv.replenishment.delivery import delivery_draws
from lakehouse_inv.replenishment.items import SHIPMENT_GROUP, demand_matrix, prepare_items
from lakehouse_inv.replenishment.replay import opening_batches
from lakehouse_inv.replenishment.rules import NONE, RULE_KINDS
from lakehouse_inv.replenishment.shipments import delivery_day_mask

_TOLERANCE = 1e-9
_CLOSED_GAP = 1e-6
BOUND, LP_BOUND = "bound", "lp_bound"
SEGMENT_ALL, PERISHABLE, NON_PERISHABLE = "all", "perishable", "non_perishable"
SEGMENTS = (SEGMENT_ALL, PERISHABLE, NON_PERISHABLE)
CEILING_SCHEMA = (
    "policy_id string, store_id string, shipment_group string, segment string, period string, "
    "profit_ceiling double, ceiling_status string"
)
"""Output of :func:`store_ceilings`: one row per policy × shipment group × segment × period."""


@dataclass(frozen=True)
class CeilingProblem:
    """One shipment group over days 0 … T − 1 (day 0 = the replay's first day), profit counted from
    ``first_counted``. Arrays are (days, items) or (items,); ``opening`` the stock at the start as batches by rank
    ``(arrival day, units)``; ``shipment_cost`` per shipment; NaN = no limit / no shelf life. ``free_opening``: day 0
    is not the replay's first day but a later one where every policy's stock is unknown: a non-perishable item may
    start with any stock up to its max inventory, at no cost (``opening`` then holds perishables only)."""

    demand: np.ndarray
    delivery: np.ndarray
    lead_days: np.ndarray
    shares: np.ndarray
    values: Mapping[str, np.ndarray]
    shipment_cost: float = 0.0
    max_volume: float = np.nan
    max_value: float = np.nan
    first_counted: int = 0
    opening: Sequence[tuple[np.ndarray, np.ndarray]] = field(default_factory=tuple)
    free_opening: bool = False

    @property
    def n_days(self) -> int:
        return self.demand.shape[0]

    @property
    def n_items(self) -> int:
        return self.demand.shape[1]


@dataclass(frozen=True)
class Ceiling:
    """``profit``: an upper bound from HiGHS whatever the solve's budget: the optimum (status ``optimal``, gap
    closed), the MIP's dual bound when it stopped at its gap or time limit first (``bound``) or the LP relaxation's
    optimum (``lp_bound``); None when nothing could be solved (``message`` says why)."""

    profit: float | None
    status: str
    message: str = ""


def _levels(values: Mapping[str, np.ndarray], i: int) -> tuple[float, float, float]:
    """``(m, smallest line, largest line)`` of item i: the multiple, the MOQ rounded up to it (at least one
    multiple) and the maximum order rounded down to it (inf without one), as SupplierTerms rounds them."""
    m = values["multiple"][i]
    m = 1.0 if not np.isfinite(m) else m
    moq = np.nan_to_num(values["moq"][i], nan=0.0)
    smallest = max(m, np.ceil(moq / m - _TOLERANCE) * m)
    max_qty = values["max_qty"][i]
    largest = np.floor(max_qty / m + _TOLERANCE) * m if np.isfinite(max_qty) else np.inf
    return m, smallest, largest


def build_model(problem: CeilingProblem) -> pyo.ConcreteModel:
    """The ceiling MIP of one shipment group (module docstring), minimising − profit. Built apart from solving."""
    v = problem.values
    T, n = problem.n_days, problem.n_items
    demand = problem.demand
    life = v["shelf_life_days"]
    perishable = np.isfinite(life)
    model = pyo.ConcreteModel(name="profit_ceiling")

    # order opportunities: item × delivery day whose delivery arrives in time and can sell something
    orders: list[tuple[int, int, int, float, float, float, float]] = []  # (i, t, arrival, share, m, low, high)
    for i in range(n):
        m, smallest, largest = _levels(v, i)
        room_cap = v["max_inventory"][i]
        if np.isfinite(room_cap):
            largest = min(largest, np.floor(room_cap / m + _TOLERANCE) * m)
        for t in np.flatnonzero(problem.delivery[:, i]):
            arrival, share = int(t + problem.lead_days[t, i]), float(problem.shares[t, i])
            if arrival > T - 1 or share <= 0:
                continue
            last = T - 1 if not perishable[i] else min(T - 1, arrival + int(life[i]) - 1)
            sellable = float(demand[arrival : last + 1, i].sum())
            if sellable <= 0:
                continue  # its units could not sell before they expire or the window ends: it only costs
            # never more than the smallest line that could cover everything it can still sell
            high = min(largest, max(smallest, np.ceil(sellable / (m * share) - _TOLERANCE) * m))
            if high < smallest:
                continue
            orders.append((i, int(t), arrival, share, m, smallest, high))
    model.O = pyo.RangeSet(0, len(orders) - 1) if orders else pyo.Set(initialize=[])
    model.k = pyo.Var(model.O, domain=pyo.NonNegativeIntegers, bounds=lambda _, o: (0, orders[o][6] / orders[o][4]))
    model.y = pyo.Var(model.O, domain=pyo.Binary)
    quantity = {o: orders[o][4] * model.k[o] for o in range(len(orders))}
    model.line_low = pyo.Constraint(model.O, rule=lambda mdl, o: quantity[o] >= orders[o][5] * mdl.y[o])
    model.line_high = pyo.Constraint(model.O, rule=lambda mdl, o: quantity[o] <= orders[o][6] * mdl.y[o])
    # units received: all of it, or ⌊q·σ⌋ for a short delivery (a whole number in (q·σ − 1, q·σ])
    short = [o for o in range(len(orders)) if orders[o][3] < 1.0]
    model.r = pyo.Var(short, domain=pyo.NonNegativeIntegers)
    model.r_floor_high = pyo.Constraint(short, rule=lambda mdl, o: mdl.r[o] <= orders[o][3] * quantity[o] + 1e-7)
    model.r_floor_low = pyo.Constraint(short, rule=lambda mdl, o: mdl.r[o] >= orders[o][3] * quantity[o] - 1 + 1e-6)
    received = {o: (model.r[o] if o in model.r else quantity[o]) for o in range(len(orders))}

    # shipments: one indicator per day with any line; the lines of a day ride it
    ship_days = sorted({orders[o][1] for o in range(len(orders))})
    model.z = pyo.Var(ship_days, domain=pyo.Binary)
    model.on_truck = pyo.Constraint(model.O, rule=lambda mdl, o: mdl.y[o] <= mdl.z[orders[o][1]])
    by_day: dict[int, list[int]] = {}
    for o, order in enumerate(orders):
        by_day.setdefault(order[1], []).append(o)
    volume = np.nan_to_num(v["unit_volume"], nan=0.0)
    if np.isfinite(problem.max_volume):
        model.truck_volume = pyo.Constraint(
            ship_days,
            rule=lambda mdl, t: sum(volume[orders[o][0]] * quantity[o] for o in by_day[t]) <= problem.max_volume,
        )
    if np.isfinite(problem.max_value):
        model.truck_value = pyo.Constraint(
            ship_days,
            rule=lambda mdl, t: sum(v["unit_cost"][orders[o][0]] * quantity[o] for o in by_day[t]) <= problem.max_value,
        )

    # stock: batches (arrival, expiry, units) per item; sales per batch × day for perishables, per day otherwise
    days = range(T)
    model.on_hand = pyo.Var(range(n), days, domain=pyo.NonNegativeReals)
    opening_units = np.zeros(n)
    batches: list[list[tuple[int, float, object]]] = [[] for _ in range(n)]  # (first sale day, expiry, units)
    for arrival, units in problem.opening:
        for i in np.flatnonzero(units > 0):
            opening_units[i] += units[i]
            expiry = int(arrival[i] + life[i] - 1) if perishable[i] else T
            if expiry >= 0:
                batches[i].append((0, expiry, float(units[i])))
    arriving: dict[tuple[int, int], list[int]] = {}
    batch_order: dict[tuple[int, int], int] = {}  # (item, batch) -> the order line it arrives on
    for o, (i, _, arrival, *_rest) in enumerate(orders):
        arriving.setdefault((i, arrival), []).append(o)
        batch_order[i, len(batches[i])] = o
        batches[i].append((arrival, arrival + int(life[i]) - 1 if perishable[i] else T, received[o]))
    sale_index = [
        (i, b, d)
        for i in range(n)
        if perishable[i]
        for b, (first, expiry, _) in enumerate(batches[i])
        for d in range(max(first, 0), min(expiry, T - 1) + 1)
        if demand[d, i] > 0
    ]
    model.batch_sold = pyo.Var(sale_index, domain=pyo.NonNegativeReals)
    sold_of_batch: dict[tuple[int, int], list] = {}
    sold_on_day: dict[tuple[int, int], list] = {}
    for i, b, d in sale_index:
        sold_of_batch.setdefault((i, b), []).append(model.batch_sold[i, b, d])
        sold_on_day.setdefault((i, d), []).append(model.batch_sold[i, b, d])
    plain = [(i, d) for i in range(n) if not perishable[i] for d in days if demand[d, i] > 0]
    model.sold = pyo.Var(plain, domain=pyo.NonNegativeReals)
    for i, d in plain:
        sold_on_day[i, d] = [model.sold[i, d]]
    sold = {key: sum(terms) for key, terms in sold_on_day.items()}
    model.demand_cap = pyo.Constraint(list(sold), rule=lambda mdl, i, d: sold[i, d] <= demand[d, i])
    disposed: dict[tuple[int, int], object] = {}
    batch_keys = [(i, b) for i in range(n) if perishable[i] for b in range(len(batches[i]))]
    model.batch_limit = pyo.Constraint(
        [key for key in batch_keys if key in sold_of_batch],
        rule=lambda mdl, i, b: sum(sold_of_batch[i, b]) <= batches[i][b][2],
    )
    # a batch sells on a day at most that day's demand, and nothing without its line: valid for every plan, it
    # ties each line's indicator to the sales it makes, which the quantity bound alone (q ≤ high · y) does not
    # (the facility-location strengthening of lot sizing: it tightens the LP relaxation, the default ceiling)
    line_of = {(i, b): o for (i, b), o in batch_order.items()}
    model.sold_needs_line = pyo.Constraint(
        [(i, b, d) for i, b, d in sale_index if (i, b) in line_of],
        rule=lambda mdl, i, b, d: mdl.batch_sold[i, b, d] <= demand[d, i] * mdl.y[line_of[i, b]],
    )
    for i, b in batch_keys:
        expiry, units = batches[i][b][1], batches[i][b][2]
        if expiry <= T - 1:
            disposed[i, expiry] = disposed.get((i, expiry), 0) + units - sum(sold_of_batch.get((i, b), []))

    free = [i for i in range(n) if problem.free_opening and not perishable[i]]
    room_cap = v["max_inventory"]
    model.opening = pyo.Var(free, domain=pyo.NonNegativeReals, bounds=lambda _, i: (0, _finite_or_none(room_cap[i])))
    start_stock = {i: model.opening[i] if i in free else float(opening_units[i]) for i in range(n)}

    def balance(mdl: pyo.ConcreteModel, i: int, d: int) -> object:
        before = mdl.on_hand[i, d - 1] if d > 0 else start_stock[i]
        arrived = sum(received[o] for o in arriving.get((i, d), []))
        return mdl.on_hand[i, d] == before + arrived - sold.get((i, d), 0) - disposed.get((i, d), 0)

    model.balance = pyo.Constraint(range(n), days, rule=balance)

    # room: a line fits in max inventory − (on hand + on order) at the end of its day
    lines_of_item: dict[int, list[int]] = {}
    for o, order in enumerate(orders):
        lines_of_item.setdefault(order[0], []).append(o)
    on_order_of = {
        o: [p for p in lines_of_item[orders[o][0]] if orders[p][1] < orders[o][1] < orders[p][2]]
        for o in range(len(orders))
        if np.isfinite(v["max_inventory"][orders[o][0]])
    }
    model.room = pyo.Constraint(
        list(on_order_of),
        rule=lambda mdl, o: (
            quantity[o] + mdl.on_hand[orders[o][0], orders[o][1]] + sum(quantity[p] for p in on_order_of[o])
            <= v["max_inventory"][orders[o][0]]
        ),
    )

    a = problem.first_counted
    margin = v["price"] - v["unit_cost"]
    profit = (
        sum(margin[i] * sold[i, d] for (i, d) in sold if d >= a)
        - sum(v["h"][i] * model.on_hand[i, d] for i in range(n) for d in days if d >= a and v["h"][i] > 0)
        - sum(v["disposal_cost"][i] * disposed[i, d] for (i, d) in disposed if d >= a)
        - sum(
            v["K"][orders[o][0]] * model.y[o] + v["freight"][orders[o][0]] * quantity[o]
            for o in range(len(orders))
            if orders[o][1] >= a
        )
        - sum(problem.shipment_cost * model.z[t] for t in ship_days if t >= a)
    )
    model.objective = pyo.Objective(expr=-profit, sense=pyo.minimize)
    return model


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def solve_ceiling(problem: CeilingProblem, options: SolverOptions | None = None, *, relax: bool = False) -> Ceiling:
    """The ceiling of one shipment group: − HiGHS's dual bound of :func:`build_model` (an upper bound on every plan,
    so a gap or time limit loosens the ceiling but never makes it wrong); ``optimal`` when the bound meets the best
    plan found. ``relax``: the bound of the LP relaxation (integers relaxed; status ``lp_bound``), which takes no
    branching and does not depend on the clock."""
    model = build_model(problem)
    if relax:
        pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
        outcome = solve(model, options)
        if outcome.status == OPTIMAL:
            return Ceiling(-outcome.objective, LP_BOUND)
        return Ceiling(None, outcome.status, outcome.message)
    outcome: SolveOutcome = solve(model, options)
    if outcome.status == OPTIMAL and (outcome.gap is None or outcome.gap <= _CLOSED_GAP):
        return Ceiling(-outcome.objective, OPTIMAL)
    if outcome.bound is not None and np.isfinite(outcome.bound):
        gap = f"{outcome.gap:.2%} above the best plan found" if outcome.gap is not None else "no plan found"
        return Ceiling(-outcome.bound, BOUND, f"{outcome.status}: HiGHS's dual bound, {gap}")
    return Ceiling(None, outcome.status, outcome.message)


# --- one store: the items' replay inputs → ceilings per policy × shipment group × segment × period -------------

POLICIES_COLUMN = "policy_ids"
"""Items column: the policies (and ``recommended``) that manage the store-product, whose ceilings it enters."""
SEGMENT_COLUMN = "segment"
SERIES = ("store_id", "product_id")


def store_ceilings(
    items: pd.DataFrame,
    demand: pd.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    periods: Sequence[tuple[str, dt.date, dt.date]],
    options: SolverOptions | None = None,
    relax: bool = False,
) -> pd.DataFrame:
    """Ceilings (CEILING_SCHEMA) of one store's items over each period (name, first day, last day) of the replay
    [start, end]. ``items``: one row per store-product with the replay's terms, shipment and delivery columns (those
    of the baseline's items frame), SEGMENT_COLUMN (perishable / non_perishable) and POLICIES_COLUMN. Each policy's
    items of one shipment group are solved together (identical item sets once); the ``all`` ceiling of a group is
    its joint optimum. A segment of a group that also carries the other segment's items gets the bound of its own
    items with the shipment cost cut to 1 / (1 + the other segment's items), the smallest share its lines can carry
    when they share a truck; a group of one segment has that segment's ceiling = its ``all`` ceiling. ``options``
    and ``relax``: as for :func:`solve_ceiling`."""
    out_columns = [c.split()[0] for c in CEILING_SCHEMA.split(", ")]
    if items.empty:
        return pd.DataFrame(columns=out_columns)
    n_days = (end - start).days + 1
    items = items.reset_index(drop=True)
    frame = items.assign(rule_kind=RULE_KINDS[NONE])
    inputs = prepare_items(frame.drop(columns=[POLICIES_COLUMN, SEGMENT_COLUMN]), list(SERIES))
    matrix = demand_matrix(inputs, demand, start, n_days)
    valid = np.array([e is None for e in inputs.errors()], dtype=bool)
    lead_days, shares = delivery_draws(frame, list(SERIES), np.nan_to_num(inputs.values["L"], nan=1.0), n_days)
    opening = opening_batches(frame, inputs, start)
    delivery = delivery_day_mask(inputs.values["delivery_every"], start, n_days)
    groups = items[SHIPMENT_GROUP].astype(str).to_numpy() if SHIPMENT_GROUP in items else items["product_id"].to_numpy()
    segments = items[SEGMENT_COLUMN].to_numpy(object)
    solved: dict[tuple, Ceiling] = {}
    rows = []
    for group in sorted(set(groups)):
        in_group = np.flatnonzero((groups == group) & valid)
        members: dict[frozenset, list[str]] = {}
        for policy in sorted({p for i in in_group for p in items.at[i, POLICIES_COLUMN]}):
            chosen = frozenset(int(i) for i in in_group if policy in items.at[i, POLICIES_COLUMN])
            members.setdefault(chosen, []).append(policy)
        for chosen, policies in members.items():
            index = np.array(sorted(chosen))
            present = sorted({segments[i] for i in index})
            for name, first, last in periods:
                if last < start or first > end:
                    continue
                T = (min(last, end) - start).days + 1
                a = max((first - start).days, 0)
                for segment in (SEGMENT_ALL, *present):
                    subset = index if segment == SEGMENT_ALL else index[segments[index] == segment]
                    others = 0 if segment == SEGMENT_ALL else len(index) - len(subset)
                    key = (tuple(subset), T, a, others)
                    if key not in solved:
                        problem = _problem(inputs.values, subset, matrix, delivery, lead_days, shares, opening, T, a)
                        problem = windowed(problem)
                        if others:
                            problem = _scaled(problem, 1.0 / (1 + others))
                        solved[key] = solve_ceiling(problem, options, relax=relax)
                    result = solved[key]
                    for policy in policies:
                        store = items.at[int(index[0]), "store_id"]
                        rows.append((policy, store, group, segment, name, result.profit, result.status))
    return pd.DataFrame(rows, columns=out_columns)


def _problem(
    values: Mapping[str, np.ndarray],
    subset: np.ndarray,
    demand: np.ndarray,
    delivery: np.ndarray,
    lead_days: np.ndarray,
    shares: np.ndarray,
    opening: Sequence[tuple[np.ndarray, np.ndarray]],
    n_days: int,
    first_counted: int,
) -> CeilingProblem:
    picked = {name: np.asarray(array)[subset] for name, array in values.items()}
    for name in ("freight", "K", "h", "disposal_cost"):
        picked[name] = np.nan_to_num(picked[name], nan=0.0)
    costs = picked["shipment_cost"][np.isfinite(picked["shipment_cost"])]
    limits = {k: picked[k][np.isfinite(picked[k])] for k in ("max_shipment_volume", "max_shipment_value")}
    return CeilingProblem(
        demand=demand[:n_days, subset],
        delivery=delivery[:n_days, subset],
        lead_days=lead_days[:n_days, subset],
        shares=shares[:n_days, subset],
        values=picked,
        shipment_cost=float(costs.min()) if len(costs) else 0.0,
        max_volume=float(limits["max_shipment_volume"].max()) if len(limits["max_shipment_volume"]) else np.nan,
        max_value=float(limits["max_shipment_value"].max()) if len(limits["max_shipment_value"]) else np.nan,
        first_counted=first_counted,
        opening=[(arrival[subset], units[subset]) for arrival, units in opening],
    )


def _scaled(problem: CeilingProblem, factor: float) -> CeilingProblem:
    return replace(problem, shipment_cost=problem.shipment_cost * factor)


def windowed(problem: CeilingProblem) -> CeilingProblem:
    """The same bound on a shorter stretch: the days before ``first_counted`` are free, so the model may start at
    s = a − (the longest lead time seen before a) − (the longest shelf life, when the group has perishables) − 1
    with a free opening (:class:`CeilingProblem`). It is a relaxation: a replayed trajectory's stock at s plus its
    orders in flight fits the room (each line was placed within it) and arrives before a, so it can be the free
    opening of its non-perishables; its perishable batches from before s expire before a, so they only serve days
    that are not counted (and, gone, leave more room); its orders from s on are the same. A year's model of the last
    week becomes a model of a few weeks. Unchanged when s ≤ 0 (the replay's real opening is known)."""
    a = problem.first_counted
    if a <= 0:
        return problem
    life = problem.values["shelf_life_days"]
    longest_life = int(np.nanmax(life)) if np.isfinite(life).any() else 0
    longest_lead = int(np.max(problem.lead_days[:a], initial=0))
    s = a - longest_lead - longest_life - 1
    if s <= 0:
        return problem
    return replace(
        problem,
        demand=problem.demand[s:],
        delivery=problem.delivery[s:],
        lead_days=problem.lead_days[s:],
        shares=problem.shares[s:],
        first_counted=a - s,
        opening=(),
        free_opening=True,
    )
