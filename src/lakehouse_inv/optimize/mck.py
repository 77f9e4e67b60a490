"""Multiple-choice knapsack (MCK): one Pyomo model per partition picks one option per item.

Model (``build_mck_model``)::

    min  Σ_o cost_o · y_o
    s.t. Σ_{o ∈ item i} y_o = 1                  for every item i
         Σ_o w_{i(o),k} · usage_{k,o} · y_o ≤ cap_k   for every coupling k
         y_o ∈ {0, 1}

``solve_option_partition`` builds the option lists so that the model's optimum is the optimum over *all* integer
decisions:

* no coupling: each item's cheapest option is the whole list (the model is trivial but still solved);
* couplings not binding at the items' unconstrained optima: the same;
* binding: Lagrangian reduced-cost generation. For multipliers θ ≥ 0 on the couplings, item i's priced cost is
  ``cost + Σ_k θ_k·w_ik·usage_k`` with exact minimum m_i(θ) over all its options, and
  ``LB(θ) = Σ_i m_i(θ) − θ·cap`` bounds the optimum from below. If UB is the cost of a feasible combination, every
  combination costing ≤ UB uses, for each item, an option whose priced cost is ≤ m_i(θ) + UB − LB(θ) (the reduced
  costs of a combination add up to at most UB − LB). θ and UB come from a Lagrangian search on short lists around
  each item's optimum (widened until a feasible combination appears) and a local search of single and paired
  switches; the generators then enumerate exactly the options within that reduced cost. Those lists are complete
  for every combination costing ≤ UB, so a second Lagrangian pass on them sharpens θ, LB and UB and drops more.
  The Pareto-efficient survivors go to HiGHS with the incumbent as MIP start.

Proven infeasibility (the smallest possible usages already exceed a capacity) is reported without a solver call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression

from lakehouse_inv.optimize.options import Coupling, ItemOptions, OptionSet, pareto_filter, slack
from lakehouse_inv.optimize.solver import (
    ERROR,
    INFEASIBLE,
    SolveOutcome,
    SolverOptions,
    solve,
)

_INITIAL_SLACK_SHARE = 0.1
_SLACK_GROWTH = 8.0
_MAX_DEEPENING = 12
_BISECTION_STEPS = 30
_MAX_PAIR_CANDIDATES = 4_000_000


@dataclass(frozen=True)
class MckData:
    """Flat option arrays of one partition; options of an item are contiguous, items numbered 0 … n−1."""

    item_of_option: np.ndarray
    cost: np.ndarray
    usage: np.ndarray
    """``usage[k, o]``: option o's weighted usage ``w_{i(o),k}·usage_k(o)`` of coupling k."""
    capacity: np.ndarray
    start: np.ndarray | None = None
    """Optional feasible choice (flat option index per item), passed to HiGHS as a MIP start."""

    @property
    def n_items(self) -> int:
        return int(self.item_of_option[-1]) + 1 if len(self.item_of_option) else 0


def build_mck_model(data: MckData) -> pyo.ConcreteModel:
    """The MCK model above; ``model.pick[o]`` is option o's binary."""
    model = pyo.ConcreteModel(name="multiple_choice_knapsack")
    n_options = len(data.cost)
    model.pick = pyo.Var(range(n_options), domain=pyo.Binary, initialize=0)
    picks = list(model.pick.values())
    bounds = np.searchsorted(data.item_of_option, np.arange(data.n_items + 1))
    model.one_option_per_item = pyo.Constraint(
        range(data.n_items),
        rule=lambda m, i: (
            LinearExpression(
                constant=0.0,
                linear_coefs=[1.0] * int(bounds[i + 1] - bounds[i]),
                linear_vars=picks[bounds[i] : bounds[i + 1]],
            )
            == 1
        ),
    )
    model.capacity = pyo.Constraint(
        range(len(data.capacity)),
        rule=lambda m, k: (
            LinearExpression(constant=0.0, linear_coefs=data.usage[k].tolist(), linear_vars=picks)
            <= float(data.capacity[k])
        ),
    )
    model.total_cost = pyo.Objective(
        expr=LinearExpression(constant=0.0, linear_coefs=data.cost.tolist(), linear_vars=picks), sense=pyo.minimize
    )
    if data.start is not None:
        for o in data.start:
            picks[int(o)].set_value(1)
    return model


@dataclass(frozen=True)
class ItemResult:
    """One item's share of a partition solve."""

    status: str
    decision: dict[str, int] | None = None
    cost: float | None = None
    message: str = ""


@dataclass(frozen=True)
class PartitionSolution:
    outcome: SolveOutcome
    items: list[ItemResult]


class _NoFeasibleCombination(Exception):
    """Raised when couplings provably (or, after the slack search, practically) exclude every combination."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _LagrangianBounds:
    upper: float | None
    choice: np.ndarray | None
    lower: float
    theta: np.ndarray


def solve_option_partition(
    items: Sequence[ItemOptions], couplings: Sequence[Coupling], options: SolverOptions | None = None
) -> PartitionSolution:
    """Optimal option per item subject to ``couplings`` (see module docstring); never raises for bad instances.

    Without couplings an item with no feasible option is reported ``infeasible`` on its own and the others are
    solved; with couplings it makes the whole partition infeasible.
    """
    started = time.perf_counter()
    try:
        if couplings:
            option_sets, start = _coupled_option_sets(items, couplings)
            item_errors: dict[int, str] = {}
        else:
            option_sets = [item.best({}) for item in items]
            item_errors = {i: "no feasible option" for i, s in enumerate(option_sets) if len(s) == 0}
            start = None
    except _NoFeasibleCombination as exc:
        outcome = SolveOutcome(exc.status, None, None, None, _ms_since(started), solver="bounds", message=str(exc))
        return PartitionSolution(outcome, [ItemResult(exc.status, message=str(exc)) for _ in items])
    solved = [i for i in range(len(items)) if i not in item_errors]
    if not solved:
        outcome = SolveOutcome(
            INFEASIBLE, None, None, None, _ms_since(started), solver="bounds", message="no item has a feasible option"
        )
        return PartitionSolution(outcome, [ItemResult(INFEASIBLE, message=item_errors[i]) for i in range(len(items))])
    data = _flatten([option_sets[i] for i in solved], couplings, start)
    model = build_mck_model(data)
    outcome = replace(solve(model, options), wall_ms=_ms_since(started))
    results = {i: ItemResult(INFEASIBLE, message=message) for i, message in item_errors.items()}
    picked = np.array([v.value or 0.0 for v in model.pick.values()]) > 0.5
    for position, i in enumerate(solved):
        if not outcome.has_solution:
            results[i] = ItemResult(outcome.status, message=outcome.message)
            continue
        first, last = np.searchsorted(data.item_of_option, [position, position + 1])
        offset = int(np.argmax(picked[first:last]))
        results[i] = ItemResult(
            outcome.status, option_sets[i].decision(offset), float(data.cost[first + offset]), outcome.message
        )
    return PartitionSolution(outcome, [results[i] for i in range(len(items))])


def _flatten(option_sets: Sequence[OptionSet], couplings: Sequence[Coupling], start: np.ndarray | None) -> MckData:
    counts = np.array([len(s) for s in option_sets], dtype=np.int64)
    item_of_option = np.repeat(np.arange(len(option_sets)), counts)
    cost = np.concatenate([s.cost for s in option_sets]) if option_sets else np.zeros(0)
    usage = np.zeros((len(couplings), len(cost)))
    for k, coupling in enumerate(couplings):
        usage[k] = np.concatenate([coupling.weights[i] * s.usage[coupling.usage] for i, s in enumerate(option_sets)])
    capacity = np.array([c.capacity for c in couplings], dtype=float)
    flat_start = None if start is None else np.cumsum(counts) - counts + start
    return MckData(item_of_option, cost, usage, capacity, flat_start)


def _coupled_option_sets(
    items: Sequence[ItemOptions], couplings: Sequence[Coupling]
) -> tuple[list[OptionSet], np.ndarray | None]:
    """Option lists that provably contain an optimal combination, plus a feasible combination (MIP start).

    Phase A searches restricted lists (options within a growing share of each item's optimum cost) for multipliers
    θ and a feasible combination (cost UB). Phase B regenerates every item's list exactly: all options whose priced
    cost ``cost + θ·w·usage`` is within ``UB − LB(θ)`` of the item's exact priced minimum m_i(θ), where
    ``LB(θ) = Σ_i m_i(θ) − θ·cap``. Any combination costing ≤ UB satisfies that for each of its items.
    """
    weights = np.array([c.weights for c in couplings], dtype=float)
    capacity = np.array([c.capacity for c in couplings], dtype=float)
    kinds = tuple(dict.fromkeys(c.usage for c in couplings))
    lows = np.array([[item.usage_lower_bounds()[c.usage] for item in items] for c in couplings]) * weights
    for k, coupling in enumerate(couplings):
        if lows[k].sum() > capacity[k] + slack(capacity[k]):
            raise _NoFeasibleCombination(
                INFEASIBLE,
                f"coupling {k} ({coupling.usage}): the smallest possible usage {lows[k].sum():.6g} (every item at "
                f"the least its min_inventory and fill-rate target allow) exceeds the capacity {capacity[k]:.6g}",
            )
    max_usage = [_item_usage_caps(i, couplings, weights, capacity, lows) for i in range(len(items))]
    best = [item.best(caps) for item, caps in zip(items, max_usage, strict=True)]
    missing = [i for i, option in enumerate(best) if len(option) == 0]
    if missing:
        raise _NoFeasibleCombination(INFEASIBLE, f"items {missing} have no feasible option")
    if _is_feasible(best, couplings, weights, capacity):  # couplings not binding: the unconstrained optimum
        return best, np.zeros(len(items), dtype=np.int64)
    floor = np.array([float(option.cost[0]) for option in best])
    scale = np.maximum(np.abs(floor), float(np.mean(np.abs(floor)))) + 1e-9
    share = _INITIAL_SLACK_SHARE
    for _ in range(_MAX_DEEPENING):
        restricted = [
            pareto_filter(item.options(float(limit), caps), kinds)
            for item, limit, caps in zip(items, floor + share * scale, max_usage, strict=True)
        ]
        bounds = _lagrangian_bounds(restricted, couplings, weights, capacity)
        if bounds.choice is not None:
            break
        share *= _SLACK_GROWTH
    else:
        raise _NoFeasibleCombination(
            ERROR, "no feasible combination found near the items' optima; the couplings may be infeasible"
        )
    upper, choice = _improve(restricted, couplings, weights, capacity, bounds.choice)
    prices = [
        {
            kind: float(sum(bounds.theta[k] * weights[k, i] for k, c in enumerate(couplings) if c.usage == kind))
            for kind in kinds
        }
        for i in range(len(items))
    ]
    minima = np.array(
        [float(item.best(caps, p).priced_cost(p)[0]) for item, caps, p in zip(items, max_usage, prices, strict=True)]
    )
    gap = upper - (float(minima.sum()) - float(bounds.theta @ capacity))
    sets = [
        pareto_filter(item.options(float(m + gap), caps, p), kinds)
        for item, m, caps, p in zip(items, minima, max_usage, prices, strict=True)
    ]
    start = [s.index_of(r.decision(int(o))) for s, r, o in zip(sets, restricted, choice, strict=True)]
    if None in start:  # the incumbent was dominated by a generated option; any feasible start will do
        start = list(_lagrangian_bounds(sets, couplings, weights, capacity).choice)
    return _tighten(sets, couplings, weights, capacity, upper, np.array(start, dtype=np.int64))


def _tighten(
    sets: list[OptionSet],
    couplings: Sequence[Coupling],
    weights: np.ndarray,
    capacity: np.ndarray,
    upper: float,
    start: np.ndarray,
) -> tuple[list[OptionSet], np.ndarray]:
    """Reduced-cost fixing on lists that already hold every option of every combination costing ≤ ``upper``:
    the Lagrangian of this (equivalent) restricted problem gives a sharper θ and LB, the greedy descent a better UB,
    and options whose reduced cost exceeds UB − LB go."""
    bounds = _lagrangian_bounds(sets, couplings, weights, capacity)
    if bounds.choice is not None and bounds.upper < upper:
        upper, start = bounds.upper, bounds.choice
    upper, start = _improve(sets, couplings, weights, capacity, start)
    cost, usage = _padded(sets, couplings, weights)
    value = cost + np.tensordot(bounds.theta, usage, axes=1)
    reduced = value - value.min(axis=1, keepdims=True)
    gap = upper - bounds.lower + slack(upper)
    pruned, kept_start = [], np.zeros(len(sets), dtype=np.int64)
    for i, options in enumerate(sets):
        keep = reduced[i, : len(options)] <= gap
        keep[start[i]] = True
        pruned.append(options.take(np.flatnonzero(keep)))
        kept_start[i] = int(np.count_nonzero(keep[: start[i]]))
    return pruned, kept_start


def _item_usage_caps(
    i: int, couplings: Sequence[Coupling], weights: np.ndarray, capacity: np.ndarray, lows: np.ndarray
) -> dict[str, float]:
    """Largest usage item i can take per kind when every other item sits at its usage lower bound."""
    caps: dict[str, float] = {}
    for k, coupling in enumerate(couplings):
        if weights[k, i] > 0:
            room = (capacity[k] - (lows[k].sum() - lows[k, i])) / weights[k, i]
            caps[coupling.usage] = min(caps.get(coupling.usage, math.inf), room)
    return caps


def _is_feasible(
    chosen: Sequence[OptionSet], couplings: Sequence[Coupling], weights: np.ndarray, capacity: np.ndarray
) -> bool:
    for k, coupling in enumerate(couplings):
        used = sum(weights[k, i] * float(option.usage[coupling.usage][0]) for i, option in enumerate(chosen))
        if used > capacity[k] + slack(capacity[k]):
            return False
    return True


def _padded(sets: Sequence[OptionSet], couplings: Sequence[Coupling], weights: np.ndarray) -> tuple[np.ndarray, ...]:
    width = max(len(s) for s in sets)
    cost = np.full((len(sets), width), np.inf)
    usage = np.zeros((len(couplings), len(sets), width))
    for i, s in enumerate(sets):
        cost[i, : len(s)] = s.cost
        for k, coupling in enumerate(couplings):
            usage[k, i, : len(s)] = weights[k, i] * s.usage[coupling.usage]
    return cost, usage


def _lagrangian_bounds(
    sets: Sequence[OptionSet], couplings: Sequence[Coupling], weights: np.ndarray, capacity: np.ndarray
) -> _LagrangianBounds:
    """Relax the couplings with θ = t·d, d_k = 1/cap_k: per item pick argmin cost + θ·usage.

    ``LB(θ) = Σ_i min_o (cost + θ·usage) − θ·cap`` is a lower bound for every θ ≥ 0; every feasible Lagrangian
    choice met while searching t (doubling, then bisection on feasibility) gives an upper bound.
    """
    best = _LagrangianBounds(None, None, -math.inf, np.zeros(len(capacity)))
    if any(len(s) == 0 for s in sets):
        return best
    cost, usage = _padded(sets, couplings, weights)
    rows = np.arange(len(sets))
    direction = 1.0 / np.maximum(capacity, 1e-12)
    tolerance = capacity + np.array([slack(c) for c in capacity])

    def evaluate(t: float) -> bool:
        nonlocal best
        theta = t * direction
        value = cost + (theta[0] * usage[0] if len(theta) == 1 else np.tensordot(theta, usage, axes=1))
        choice = np.argmin(value, axis=1)
        lower = float(value[rows, choice].sum() - theta @ capacity)
        used = usage[:, rows, choice].sum(axis=1)
        feasible = bool(np.all(used <= tolerance))
        total = float(cost[rows, choice].sum())
        upper, kept_choice = best.upper, best.choice
        if feasible and (upper is None or total < upper):
            upper, kept_choice = total, choice
        if lower > best.lower:
            best = _LagrangianBounds(upper, kept_choice, lower, theta)
        else:
            best = replace(best, upper=upper, choice=kept_choice)
        return feasible

    scale = float(np.sum(np.abs(cost[rows, np.argmin(cost, axis=1)]))) + 1.0
    low, high = 0.0, scale * 1e-6
    evaluate(0.0)
    while not evaluate(high):
        low, high = high, high * 8.0
        if high > scale * 1e15:
            return best
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        if evaluate(middle):
            high = middle
        else:
            low = middle
    return best


def _improve(
    sets: Sequence[OptionSet],
    couplings: Sequence[Coupling],
    weights: np.ndarray,
    capacity: np.ndarray,
    choice: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Local search from a feasible choice: apply the best single-item switch, or failing that the best switch of
    two items at once, that saves cost and still fits; stop when none does. Returns (UB, choice)."""
    cost, usage = _padded(sets, couplings, weights)
    n_items, width = cost.shape
    rows = np.arange(n_items)
    item_of = np.repeat(rows, width)
    choice = choice.copy()
    tolerance = capacity + np.array([slack(c) for c in capacity])
    pairs_affordable = (n_items * width) ** 2 <= _MAX_PAIR_CANDIDATES
    while True:
        room = tolerance - usage[:, rows, choice].sum(axis=1)
        extra_use = (usage - usage[:, rows, choice][:, :, None]).reshape(len(capacity), -1)
        saving = (cost - cost[rows, choice][:, None]).reshape(-1)
        saving = np.where(np.isfinite(saving), saving, np.inf)
        threshold = -slack(float(cost[rows, choice].sum()))
        single = np.where(np.all(extra_use <= room[:, None], axis=0), saving, np.inf)
        best = int(np.argmin(single))
        if single[best] < threshold:
            choice[item_of[best]] = best % width
            continue
        if not pairs_affordable:
            break
        pair = saving[:, None] + saving[None, :]
        fits = np.all(extra_use[:, :, None] + extra_use[:, None, :] <= room[:, None, None], axis=0)
        pair = np.where(fits & (item_of[:, None] != item_of[None, :]), pair, np.inf)
        first, second = np.unravel_index(int(np.argmin(pair)), pair.shape)
        if not pair[first, second] < threshold:
            break
        choice[item_of[first]], choice[item_of[second]] = first % width, second % width
    return float(cost[rows, choice].sum()), choice


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1e3
