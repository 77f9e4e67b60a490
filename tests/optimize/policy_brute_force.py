"""Independent brute force for the docs/policies.md objectives: direct sums over explicit pmfs and full integer grids.

Nothing here imports the package's option code; only scipy's distributions and numpy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

Pmf = tuple[np.ndarray, np.ndarray]  # (support, probabilities)


def poisson_pmf(mean: float) -> Pmf:
    if mean == 0:
        return np.zeros(1, dtype=int), np.ones(1)
    support = np.arange(0, int(mean + 40 * math.sqrt(mean) + 60))
    return support, stats.poisson.pmf(support, mean)


def negative_binomial_pmf(mean: float, variance: float) -> Pmf:
    p = mean / variance
    r = mean**2 / (variance - mean)
    support = np.arange(0, int(mean + 60 * math.sqrt(variance) + 100))
    return support, stats.nbinom.pmf(support, r, p)


def convolve_days(daily: np.ndarray, days: int) -> Pmf:
    """Sum of ``days`` iid days by plain repeated convolution."""
    pmf = np.ones(1)
    for _ in range(days):
        pmf = np.convolve(pmf, daily)
    return np.arange(len(pmf)), pmf


def expected_excess(pmf: Pmf, s: np.ndarray) -> np.ndarray:
    """E[(X − s)^+] for each s, as the explicit sum Σ_x (x − s)^+ P(X = x)."""
    support, probabilities = pmf
    return np.maximum(support[None, :] - np.asarray(s)[:, None], 0) @ probabilities


def expected_shortfall(pmf: Pmf, t: np.ndarray) -> np.ndarray:
    """E[(t − X)^+] for each t."""
    support, probabilities = pmf
    return np.maximum(np.asarray(t)[:, None] - support[None, :], 0) @ probabilities


def sq_grid(a: float, L: int, h: float, K: float, pi: float, lead: Pmf, s_max: int, q_max: int) -> np.ndarray:
    """C(s,Q) for s = 0..s_max (rows), Q = 1..q_max (columns)."""
    s = np.arange(s_max + 1)
    Q = np.arange(1, q_max + 1)
    backorders = expected_excess(lead, s)
    return h * (Q[None, :] / 2 + s[:, None] - a * L) + a * K / Q[None, :] + pi * a / Q[None, :] * backorders[:, None]


def perishable_grid(
    a: float, L: int, h: float, K: float, pi: float, W: float, lead: Pmf, life: Pmf, s_max: int, q_max: int
) -> np.ndarray:
    """Chiu's C(s,Q) with ER(s,Q) = E[(s+Q−Y)^+] − E[(s−Y)^+]; inf where Q − ER ≤ 0."""
    s = np.arange(s_max + 1)[:, None]
    Q = np.arange(1, q_max + 1)[None, :]
    short_after = expected_shortfall(life, (s + Q).ravel()).reshape(s.shape[0], Q.shape[1])
    outdated = short_after - expected_shortfall(life, s.ravel())[:, None]
    backorders = expected_excess(lead, s.ravel())[:, None]
    cycle = Q - outdated
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (K + pi * backorders + W * outdated) * a / cycle + h * (Q / 2 + s - a * L)
    return np.where(cycle > 1e-12, value, np.inf)


def rs_grid(a: float, L: int, h: float, K: float, pi: float, review_pmf: Callable[[int], Pmf], r_max: int, width: int):
    """List of (R, S, C(R,S)) over R = 1..r_max and S from ⌈a(L+R)⌉ (9-decimal rounding) for ``width`` values."""
    rows = []
    for R in range(1, r_max + 1):
        S = math.ceil(round(a * (L + R), 9)) + np.arange(width)
        cost = h * (a * R / 2 + S - a * (L + R)) + K / R + pi / R * expected_excess(review_pmf(L + R), S)
        rows += [(R, int(s), float(c)) for s, c in zip(S, cost, strict=True)]
    return rows


def pareto(cost: np.ndarray, usage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pareto frontier of (cost, usage) points, as arrays sorted by usage."""
    order = np.lexsort((cost, usage))
    kept_cost, kept_usage, best = [], [], math.inf
    for j in order:
        if cost[j] < best:
            best = cost[j]
            kept_cost.append(cost[j])
            kept_usage.append(usage[j])
    return np.array(kept_cost), np.array(kept_usage)


def min_cost_under_capacity(frontiers: Sequence[tuple[np.ndarray, np.ndarray]], capacity: float) -> float:
    """Exact min Σ cost subject to Σ usage ≤ capacity, merging frontiers pairwise and keeping Pareto points."""
    cost, usage = np.zeros(1), np.zeros(1)
    for item_cost, item_usage in frontiers:
        merged_cost = (cost[:, None] + item_cost[None, :]).ravel()
        merged_usage = (usage[:, None] + item_usage[None, :]).ravel()
        fits = merged_usage <= capacity + 1e-9
        cost, usage = pareto(merged_cost[fits], merged_usage[fits])
    return float(cost.min()) if len(cost) else math.inf


def wagner_whitin(demand: Sequence[float], K: float, h: float) -> float:
    """Classic O(T²) dynamic program: F(t) = min_j F(j) + K + h·Σ_{τ=j+1..t} (τ − j − 1)·d_τ (orders in j+1)."""
    T = len(demand)
    best = [0.0] + [math.inf] * T
    for t in range(1, T + 1):
        for j in range(t):
            covered = demand[j:t]
            if sum(covered) == 0:
                best[t] = min(best[t], best[j])
                continue
            holding = h * sum(k * d for k, d in enumerate(covered))
            best[t] = min(best[t], best[j] + K + holding)
    return best[T]


def clsp_by_enumeration(demand: np.ndarray, K: Sequence[float], h: Sequence[float], capacity: float) -> float:
    """Enumerate every setup pattern and solve the remaining LP (scipy.optimize.linprog)."""
    from scipy.optimize import linprog

    P, T = demand.shape
    n = P * T
    best = math.inf
    for pattern in itertools.product((0, 1), repeat=n):
        setups = np.array(pattern).reshape(P, T)
        # variables: x[i,t]; stock I[i,t] = Σ_{τ≤t} (x − d) ≥ 0 → −Σ_{τ≤t} x ≤ −Σ_{τ≤t} d
        rows, rhs = [], []
        for i in range(P):
            for t in range(T):
                row = np.zeros(n)
                row[i * T : i * T + t + 1] = -1
                rows.append(row)
                rhs.append(-demand[i, : t + 1].sum())
        for t in range(T):
            row = np.zeros(n)
            row[t::T] = 1
            rows.append(row)
            rhs.append(capacity)
        holding = np.concatenate([[h[i] * (T - t) for t in range(T)] for i in range(P)])
        bounds = [(0, None if setups[i, t] else 0) for i in range(P) for t in range(T)]
        result = linprog(holding, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
        if result.status == 0:
            constant = -sum(h[i] * sum(demand[i, : t + 1].sum() for t in range(T)) for i in range(P))
            best = min(best, result.fun + constant + float(np.dot(np.repeat(K, T), setups.ravel())))
    return best


# --- expected profit per day, written from the economics (margin on expected sales minus what is paid) -------------
# m = price − unit cost − freight (a sold unit), W = unit cost + freight + disposal (an expired unit), h per unit-day,
# K per order. A shortage is a lost sale: it earns nothing and costs nothing.


def sq_profit_grid(m: float, a: float, L: int, h: float, K: float, lead: Pmf, s_max: int, q_max: int) -> np.ndarray:
    """(s,Q) profit per day: m × (a − short a day) − holding − K × orders a day; short = a·E[(X − s)^+]/Q."""
    s = np.arange(s_max + 1)[:, None]
    Q = np.arange(1, q_max + 1)[None, :]
    short = a * expected_excess(lead, s.ravel())[:, None] / Q
    return m * (a - short) - h * (Q / 2 + s - a * L) - K * a / Q


def perishable_profit_grid(
    m: float, a: float, L: int, h: float, K: float, W: float, lead: Pmf, life: Pmf, s_max: int, q_max: int
) -> np.ndarray:
    """Chiu's cycle: D = Q − ER units used per cycle, a/D cycles a day; each sells D − E[(X − s)^+], expires ER,
    pays K once. −inf where D ≤ 0."""
    s = np.arange(s_max + 1)[:, None]
    Q = np.arange(1, q_max + 1)[None, :]
    outdated = (
        expected_shortfall(life, (s + Q).ravel()).reshape(s.shape[0], Q.shape[1])
        - expected_shortfall(life, s.ravel())[:, None]
    )
    used = Q - outdated
    short = expected_excess(lead, s.ravel())[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_cycle = m * (used - short) - W * outdated - K
        value = per_cycle * a / used - h * (Q / 2 + s - a * L)
    return np.where(used > 1e-12, value, -np.inf)


def rs_profit_rows(
    m: float, a: float, L: int, h: float, K: float, review_pmf: Callable[[int], Pmf], periods: Sequence[int], width: int
):
    """(R, S, profit per day) for R in ``periods``: m × (a − E[(X_{L+R} − S)^+]/R) − holding − K/R."""
    rows = []
    for R in periods:
        S = math.ceil(round(a * (L + R), 9)) + np.arange(width)
        short = expected_excess(review_pmf(L + R), S) / R
        profit = m * (a - short) - h * (a * R / 2 + S - a * (L + R)) - K / R
        rows += [(R, int(s), float(p)) for s, p in zip(S, profit, strict=True)]
    return rows


def newsvendor_profit(m: float, W: float, pmf: Pmf, s: np.ndarray) -> np.ndarray:
    """One period: m × E[min(s, X)] − W × E[(s − X)^+] (what is not sold expires)."""
    return m * (np.asarray(s) - expected_shortfall(pmf, s)) - W * expected_shortfall(pmf, s)


def jrp_by_enumeration(
    items: Sequence[dict[str, float | None]],
    K: float,
    every: int,
    R_max: int,
    s_max: int,
    *,
    min_volume: float | None = None,
    max_volume: float | None = None,
    max_value: float | None = None,
) -> tuple[float, int | None, tuple[int, ...] | None]:
    """``(cost, R, S)`` of the cheapest jrp decision over every R = m·every ≤ R_max and every level vector in
    0 … s_max (the full product), Poisson demand; ``(inf, None, None)`` when nothing is feasible. Items are dicts of
    a, L, h, pi and optional alpha, min_inventory, max_inventory, W, life (outdating E[(S − Y)^+] − E[(S − Z)^+],
    Y and Z the demand over L + life and L + life + R days), volume, unit_cost."""
    best: tuple[float, int | None, tuple[int, ...] | None] = (math.inf, None, None)
    S = np.arange(s_max + 1)
    for R in range(every, R_max + 1, every):
        volume = R * sum(i["a"] * (i.get("volume") or 0.0) for i in items)
        value = R * sum(i["a"] * (i.get("unit_cost") or 0.0) for i in items)
        if (min_volume is not None and volume < min_volume - 1e-9) or (
            max_volume is not None and volume > max_volume + 1e-9
        ):
            continue
        if max_value is not None and value > max_value + 1e-9:
            continue
        grid = np.full((), K / R)
        for item in items:
            a, L, h, pi = item["a"], int(item["L"]), item["h"], item["pi"]
            review, lead = poisson_pmf(a * (L + R)), poisson_pmf(a * L)
            short = expected_excess(review, S)
            cost = h * (a * R / 2 + S - a * (L + R)) + pi / R * short
            life, W = item.get("life"), item.get("W") or 0.0
            feasible = math.ceil(round(a * (L + R), 9)) <= S
            if life is not None:
                sellable, after = poisson_pmf(a * (L + life)), poisson_pmf(a * (L + life + R))
                cost = cost + W / R * (expected_shortfall(sellable, S) - expected_shortfall(after, S))
                feasible &= life >= R
            if item.get("alpha") is not None:
                fill = 1 - (short - expected_excess(lead, S)) / (a * R)
                feasible &= fill >= item["alpha"]
            feasible &= (item.get("min_inventory") or 0) <= S
            if item.get("max_inventory") is not None:
                feasible &= item["max_inventory"] >= S
            grid = np.add.outer(grid, np.where(feasible, cost, np.inf))
        if np.isfinite(grid).any():
            flat = int(np.argmin(grid))
            if grid.flat[flat] < best[0]:
                best = (float(grid.flat[flat]), R, tuple(int(x) for x in np.unravel_index(flat, grid.shape)))
    return best
