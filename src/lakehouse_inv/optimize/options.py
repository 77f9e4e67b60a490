"""Option lists: the candidate decisions of one item with their exact cost and resource usage.

An option is one integer decision of an item (e.g. ``(s, Q)``). Each option carries its cost per day (the policy's
objective term) and its usage of each kind:

* ``peak``    — maximum on hand right after a receipt (sQ: s+Q, RS: S, ceoq: Q, nvbudget: s),
* ``average`` — expected average on hand (sQ: max(0, Q/2 + s − μ), RS: aR/2 + S − a(L+R), ceoq: Q/2, nvbudget: s).

A coupling ``Σ_i w_i · usage_i ≤ capacity`` ties the items of a partition together (shelf space, inventory value,
ceoq's storage budget, nvbudget's purchase budget). Every usage above is non-decreasing in the decision that
"holds more stock", which is what makes the dominance pruning in the generators valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

USAGE_KINDS = ("peak", "average")

Prices = Mapping[str, float]
"""Cost per unit of usage, per kind (a Lagrange multiplier times the item's coupling weight)."""

COST_TOLERANCE = 1e-9
"""Relative slack on every cost comparison used for pruning (keeps ties, never drops an optimum)."""


def slack(value: float) -> float:
    """Absolute slack for comparisons against ``value`` (relative ``COST_TOLERANCE``, at least absolute)."""
    return COST_TOLERANCE * max(1.0, abs(value))


@dataclass(frozen=True)
class Coupling:
    """``Σ_i weights[i] · usage_i(option_i) ≤ capacity`` with ``usage`` one of ``peak`` / ``average``."""

    usage: str
    capacity: float
    weights: np.ndarray


@dataclass(frozen=True)
class OptionSet:
    """Options of one item, aligned arrays: ``decisions[name][o]``, ``cost[o]``, ``usage[kind][o]``."""

    decisions: Mapping[str, np.ndarray]
    cost: np.ndarray
    usage: Mapping[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cost)

    def take(self, index: np.ndarray | slice) -> OptionSet:
        return OptionSet(
            {name: values[index] for name, values in self.decisions.items()},
            self.cost[index],
            {kind: values[index] for kind, values in self.usage.items()},
        )

    def decision(self, o: int) -> dict[str, int]:
        return {name: int(values[o]) for name, values in self.decisions.items()}

    def priced_cost(self, prices: Prices) -> np.ndarray:
        """``cost + Σ_k prices[k]·usage[k]``."""
        value = self.cost
        for kind, price in prices.items():
            if price:
                value = value + price * self.usage[kind]
        return value

    def cheapest(self, prices: Prices | None = None) -> OptionSet:
        """The single option of least (priced) cost (ties: the smallest usages), or an empty set."""
        if len(self) == 0:
            return self
        keys = [self.usage[kind] for kind in reversed(USAGE_KINDS)] + [self.priced_cost(prices or {})]
        return self.take(np.lexsort(keys)[:1])

    def index_of(self, decision: Mapping[str, int]) -> int | None:
        """Position of the option with this decision, if present."""
        match = np.ones(len(self), dtype=bool)
        for name, value in decision.items():
            match &= self.decisions[name] == value
        found = np.flatnonzero(match)
        return int(found[0]) if len(found) else None


class ItemOptions(Protocol):
    """What the multiple-choice-knapsack mechanism needs from one item of a policy."""

    def usage_lower_bounds(self) -> dict[str, float]:
        """Per usage kind, a value no option of this item goes below."""

    def best(self, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """An option minimising the priced cost ``cost + Σ prices·usage`` (one element; empty if the item has no
        feasible option).

        Options whose usage exceeds ``max_usage`` may be ignored; a generator whose unconstrained minimum exists may
        also return it regardless of ``max_usage``: its value is then still a lower bound for the capped item.
        """

    def options(self, limit: float, max_usage: Mapping[str, float], prices: Prices | None = None) -> OptionSet:
        """Every option with priced cost ≤ ``limit`` and usages ≤ ``max_usage``, except options dominated by another
        returned option (no cheaper and no larger in any usage kind). A superset is allowed."""


def pareto_filter(options: OptionSet, kinds: tuple[str, ...]) -> OptionSet:
    """Keep options not dominated in (cost, usage[k] for k in kinds); among equal ones keep one.

    No kind: the cheapest option. One kind: sort by (usage, cost) and keep strict improvements of the running
    minimum cost. Several kinds: pairwise check in cost order.
    """
    if len(options) <= 1:
        return options
    if not kinds:
        return options.cheapest()
    if len(kinds) == 1:
        usage = options.usage[kinds[0]]
        order = np.lexsort((options.cost, usage))
        cost = options.cost[order]
        running = np.minimum.accumulate(cost)
        keep = np.ones(len(cost), dtype=bool)
        keep[1:] = cost[1:] < running[:-1]
        return options.take(order[keep])
    order = np.lexsort([options.usage[k] for k in reversed(kinds)] + [options.cost])
    usage = np.stack([options.usage[k][order] for k in kinds])
    kept: list[int] = []
    for position in range(len(order)):
        if kept and np.any(np.all(usage[:, kept] <= usage[:, position : position + 1], axis=0)):
            continue
        kept.append(position)
    return options.take(order[np.asarray(kept)])
