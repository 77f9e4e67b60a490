"""The profit ceiling (pandas + HiGHS, no Spark): a hand-computed case, brute force on tiny groups, the shared
shipment, and the ceiling above every replayed policy on the same items."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.evaluate.ceiling import (
    POLICIES_COLUMN,
    SEGMENT_COLUMN,
    CeilingProblem,
    build_model,
    solve_ceiling,
    store_ceilings,
    windowed,
)
from lakehouse_inv.replenishment.replay import replay
from lakehouse_inv.replenishment.rules import order_up_to_rule, reorder_point_rule

START = dt.date(2025, 3, 1)  # day 20148 since 1970-01-01, a multiple of 2 and 3: day 0 is a delivery day
TERMS = ("moq", "max_qty", "multiple", "max_inventory", "shelf_life_days", "unit_volume")


def values(n: int, **overrides: object) -> dict[str, np.ndarray]:
    base = {
        "price": 5.0,
        "unit_cost": 2.0,
        "h": 0.1,
        "K": 0.0,
        "disposal_cost": 2.5,
        "freight": 0.0,
        **{name: math.nan for name in TERMS},
    }
    base.update(overrides)
    return {name: np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy() for name, value in base.items()}


def problem(
    demand: list[list[float]], *, lead: int = 1, every: int = 1, shares=None, opening=(), **kw
) -> CeilingProblem:
    d = np.asarray(demand, dtype=np.float64).reshape(len(demand), -1)
    T, n = d.shape
    extra = {k: kw.pop(k) for k in list(kw) if k in ("shipment_cost", "max_volume", "max_value", "first_counted")}
    return CeilingProblem(
        demand=d,
        delivery=(np.arange(T)[:, None] % every == 0) & np.ones((T, n), dtype=bool),
        lead_days=np.full((T, n), lead),
        shares=np.ones((T, n)) if shares is None else np.asarray(shares, dtype=np.float64),
        values=values(n, **kw),
        opening=opening,
        **extra,
    )


def test_hand_computed_single_item() -> None:
    # demand 3, 0, 2, 4; lead time 1; margin 3; holding 0.1; shipment 4. Day 0's 3 units cannot be served. Best:
    # order 6 on day 1 (arrives day 2): margin 18 − shipment 4 − holding 0.1 × 4 (end of day 2) = 13.6 (ordering on
    # day 0 holds 6 + 4 units: 13.0; two shipments on days 1 and 2: 10.0).
    assert solve_ceiling(problem([[3], [0], [2], [4]], shipment_cost=4.0)).profit == pytest.approx(13.6)


def test_hand_computed_expiry() -> None:
    # shelf life 1: a batch sells only on its arrival day, so days 2 and 3 need a shipment each: 18 − 8 = 10.0
    # (one order of 6 on day 1 sells 2 and disposes 4 at 2.5 each: 6 − 4 − 10 < 0)
    ceiling = solve_ceiling(problem([[3], [0], [2], [4]], shipment_cost=4.0, shelf_life_days=1.0))
    assert ceiling.profit == pytest.approx(10.0)


def test_a_shared_shipment_is_paid_once_for_the_group() -> None:
    # two items with the 13.6 case's demand on one truck: one shipment on day 1 carries both, 36 − 4 − 0.8 = 31.2;
    # charging each item a whole shipment would give 2 × 13.6 = 27.2, not an upper bound
    both = solve_ceiling(problem([[3, 3], [0, 0], [2, 2], [4, 4]], shipment_cost=4.0))
    assert both.profit == pytest.approx(31.2)


def test_profit_counts_only_from_the_first_counted_day() -> None:
    # counted from day 2: the shipment on day 1 is free, the margin of days 2 and 3 (18) minus holding at the end
    # of day 2 (0.4)
    assert solve_ceiling(problem([[3], [0], [2], [4]], shipment_cost=4.0, first_counted=2)).profit == pytest.approx(
        17.6
    )


def test_model_is_built_apart_from_solving() -> None:
    model = build_model(problem([[3], [0], [2], [4]], shipment_cost=4.0))
    assert model.objective.sense == 1  # minimise − profit
    assert len(model.z) == 3  # shipment days whose delivery can still arrive: 0, 1, 2


# --- brute force: every order plan, simulated with the replay's rules -------------------------------------------


def simulate(p: CeilingProblem, plan: dict[tuple[int, int], float]) -> float | None:
    """Profit of a fixed order plan (None when it breaks the room or a truck maximum): FIFO, expiry, lost sales."""
    T, n = p.demand.shape
    v = p.values
    life = v["shelf_life_days"]
    batches: list[list[list[float]]] = [[] for _ in range(n)]  # [arrival, units]
    on_order: list[list[tuple[int, float]]] = [[] for _ in range(n)]  # (arrival, ordered)
    for arrival, units in p.opening:
        for i in range(n):
            if units[i] > 0:
                batches[i].append([arrival[i], units[i]])
    profit = 0.0
    for d in range(T):
        counted = d >= p.first_counted
        for i in range(n):
            for t in range(d):
                if (i, t) in plan and plan[i, t] > 0 and t + p.lead_days[t, i] == d:
                    batches[i].append([d, math.floor(plan[i, t] * p.shares[t, i] + 1e-9)])
            on_order[i] = [(a, q) for a, q in on_order[i] if a > d]
            want = p.demand[d, i]
            sold = 0.0
            for batch in batches[i]:
                take = min(batch[1], want - sold)
                batch[1] -= take
                sold += take
            disposed = 0.0
            if np.isfinite(life[i]):
                disposed = sum(b[1] for b in batches[i] if b[0] + life[i] - 1 <= d)
                batches[i] = [b for b in batches[i] if b[0] + life[i] - 1 > d]
            batches[i] = [b for b in batches[i] if b[1] > 0]
            on_hand = sum(b[1] for b in batches[i])
            if counted:
                profit += (v["price"][i] - v["unit_cost"][i]) * sold - v["h"][i] * on_hand
                profit -= v["disposal_cost"][i] * disposed
        lines = [(i, plan.get((i, d), 0.0)) for i in range(n) if plan.get((i, d), 0.0) > 0]
        for i, q in lines:
            on_hand = sum(b[1] for b in batches[i])
            if q > v["max_inventory"][i] - on_hand - sum(o for _, o in on_order[i]) + 1e-9:
                return None
            on_order[i].append((d + p.lead_days[d, i], q))
        volume = sum(q * np.nan_to_num(v["unit_volume"][i]) for i, q in lines)
        value = sum(q * v["unit_cost"][i] for i, q in lines)
        if volume > np.nan_to_num(p.max_volume, nan=np.inf) or value > np.nan_to_num(p.max_value, nan=np.inf):
            return None
        if counted and lines:
            profit -= p.shipment_cost + sum(v["K"][i] + v["freight"][i] * q for i, q in lines)
    return profit


def brute_force(p: CeilingProblem, quantities: list[float]) -> float:
    T, n = p.demand.shape
    # orders that cannot arrive by the last day only cost: left out to keep the enumeration small
    slots = [(i, t) for i in range(n) for t in range(T) if p.delivery[t, i] and t + p.lead_days[t, i] < T]
    v = p.values
    choices = []
    for i, _ in slots:
        m = 1.0 if not np.isfinite(v["multiple"][i]) else v["multiple"][i]
        allowed = [0.0] + [q for q in quantities if q > 0 and q % m == 0 and q >= np.nan_to_num(v["moq"][i])]
        choices.append([q for q in allowed if q <= np.nan_to_num(v["max_qty"][i], nan=np.inf)])
    best = -np.inf
    for combo in itertools.product(*choices):
        profit = simulate(p, dict(zip(slots, combo, strict=True)))
        if profit is not None:
            best = max(best, profit)
    return best


CASES = {
    "perishable, short delivery, moq": dict(
        demand=[[2], [3], [1], [2], [1]], shipment_cost=3.0, shelf_life_days=2.0, moq=2.0, shares=[[0.5]] * 5, lead=1
    ),  # half of each order arrives: an odd line receives what the even line below it does (no freight); two days
    # of demand (what a batch can sell) are at most 4 units, so lines up to 8 cover every useful plan
    "two items one truck, room, every 2 days": dict(
        demand=[[2, 1], [1, 3], [2, 0], [3, 2], [1, 1]],
        shipment_cost=5.0,
        max_inventory=4.0,
        every=2,
        opening=[(np.array([-1.0, -1.0]), np.array([1.0, 2.0]))],
    ),
    "two perishables, multiple, truck volume, lead 2": dict(
        demand=[[1, 2], [2, 1], [2, 2], [1, 3]],
        shipment_cost=2.0,
        shelf_life_days=[2.0, 3.0],
        multiple=[2.0, 1.0],
        unit_volume=1.0,
        max_volume=4.0,
        lead=2,
        first_counted=1,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ceiling_equals_brute_force(name: str) -> None:
    case = dict(CASES[name])
    demand = case.pop("demand")
    p = problem(demand, **case)
    short = (p.shares < 1).any()
    exact = brute_force(p, list(range(0, 10, 2)) if short else list(range(7)))
    assert solve_ceiling(p).profit == pytest.approx(exact, abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_a_window_started_later_is_a_relaxation_of_the_whole_stretch(seed: int) -> None:
    # the late start with a free opening may only enlarge what is attainable on the counted days
    rng = np.random.default_rng(seed)
    T, a = 24, 16
    p = problem(
        rng.poisson([2.0, 1.0, 3.0], (T, 3)).tolist(),
        lead=int(rng.integers(1, 3)),
        every=int(rng.integers(1, 3)),
        shipment_cost=float(rng.uniform(2, 8)),
        shelf_life_days=[3.0, math.nan, math.nan] if seed % 2 else math.nan,
        max_inventory=[math.nan, 12.0, math.nan],
        multiple=[1.0, 1.0, 2.0],
        first_counted=a,
        opening=[(np.zeros(3), np.array([2.0, 5.0, 0.0]))],
    )
    short = windowed(p)
    assert short.free_opening and short.n_days < p.n_days and short.first_counted < a
    assert solve_ceiling(short).profit >= solve_ceiling(p).profit - 1e-6


def test_a_window_from_the_first_day_keeps_the_real_opening() -> None:
    p = problem([[3], [0], [2], [4]], shipment_cost=4.0, first_counted=0)
    assert windowed(p) is p


# --- the ceiling is above every replayed policy on the same items ----------------------------------------------


def store_items(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for k in range(4):
        perishable = k < 2
        rows.append(
            {
                "store_id": "S1",
                "product_id": f"P{k}",
                "L": 1 + k % 2,
                "moq": 2.0 if k == 1 else math.nan,
                "max_qty": math.nan,
                "multiple": 2.0 if k == 3 else math.nan,
                "max_inventory": 30.0 if k == 2 else math.nan,
                "shelf_life_days": 4.0 if perishable else math.nan,
                "price": 4.0 + k,
                "unit_cost": 2.5 + 0.5 * k,
                "h": 0.05,
                "K": 0.0,
                "missed_sale_cost": 0.0,
                "disposal_cost": 3.0,
                "shipment_group": "S1/fresh" if perishable else "S1/ambient",
                "shipment_cost": 6.0 if perishable else 10.0,
                "freight": 0.1,
                "delivery_every": 1.0 if perishable else 3.0,
                "unit_volume": 1.0,
                "max_shipment_volume": 25.0 if not perishable else math.nan,
                "lead_time_deviations": [0, 0, 1] if k == 0 else None,
                "received_shares": [0.8, 1.0, 1.0] if k == 1 else None,
                "opening_units": [3] if k in (0, 2) else None,
                "opening_expiry": [START + dt.timedelta(days=1)] if k == 0 else None,
                SEGMENT_COLUMN: "perishable" if perishable else "non_perishable",
            }
        )
    return pd.DataFrame(rows)


def test_the_lp_bound_is_above_the_optimum() -> None:
    lp = solve_ceiling(problem([[3], [0], [2], [4]], shipment_cost=4.0), relax=True)
    assert lp.status == "lp_bound"
    assert lp.profit >= 13.6 - 1e-9


@pytest.mark.parametrize("relax", [False, True])
def test_the_ceiling_is_above_every_replayed_policy(relax: bool) -> None:
    rng = np.random.default_rng(7)
    days = 21
    end = START + dt.timedelta(days=days - 1)
    terms = store_items(rng)
    demand = pd.DataFrame(
        [
            {"store_id": "S1", "product_id": p, "date": START + dt.timedelta(days=d), "requests": int(x)}
            for p, rate in zip(terms["product_id"], [3, 2, 4, 1.5], strict=True)
            for d, x in enumerate(rng.poisson(rate, days))
        ]
    )
    rules = {
        **{f"up_{R}_{S}": order_up_to_rule(R, S) for R in (1, 3) for S in (4, 9, 15)},
        **{f"rop_{s}_{Q}": reorder_point_rule(s, Q) for s in (2, 6) for Q in (4, 10)},
    }
    frames = []
    for policy, rule in rules.items():
        items = terms.drop(columns=[SEGMENT_COLUMN]).assign(policy_id=policy, **rule.columns())
        items["shipment_group"] = policy + "/" + items["shipment_group"]  # each policy sends its own trucks
        frames.append(items)
    rows = replay(
        pd.concat(frames, ignore_index=True),
        demand,
        start=START,
        end=end,
        key_columns=["policy_id", "store_id", "product_id"],
    )
    assert (rows["status"] == "ok").all()
    periods = [("whole", START, end), ("last_week", end - dt.timedelta(days=6), end)]
    ceilings = store_ceilings(
        terms.assign(**{POLICIES_COLUMN: [list(rules)] * len(terms)}),
        demand,
        start=START,
        end=end,
        periods=periods,
        relax=relax,
    )
    assert set(ceilings["ceiling_status"]) == {"lp_bound" if relax else "optimal"}
    rows = rows.merge(terms[["product_id", SEGMENT_COLUMN]], on="product_id")
    rows["profit"] = rows["revenue"] - rows[["purchase_cost", "holding_cost", "ordering_cost", "disposal_cost"]].sum(
        axis=1
    )
    for name, first, last in periods:
        window = rows[(rows["date"] >= first) & (rows["date"] <= last)]
        for segment in ("all", "perishable", "non_perishable"):
            part = window if segment == "all" else window[window[SEGMENT_COLUMN] == segment]
            profits = part.groupby("policy_id")["profit"].sum()
            chosen = ceilings[(ceilings["period"] == name) & (ceilings["segment"] == segment)]
            ceiling = chosen.groupby("policy_id")["profit_ceiling"].sum()
            assert (profits <= ceiling.reindex(profits.index) + 1e-6).all(), (name, segment, profits, ceiling)
            # not a vacuous bound: the best policy gets a fair share of it
            assert profits.max() > 0.3 * ceiling.iloc[0]
