"""``solve_problem``: one batch-interface problem (docs/policies.md types and names) in, one :class:`PolicyResult` out.

sQ, sQ_perishable, RS, ceoq and nvbudget go through the option lists + multiple-choice knapsack
(:mod:`~lakehouse_inv.optimize.mck`); ww and clsp through lot sizing
(:mod:`~lakehouse_inv.optimize.lotsizing`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lakehouse_inv.optimize.inputs import OptionProblem, Problem
from lakehouse_inv.optimize.jrp import JrpProblem, solve_jrp
from lakehouse_inv.optimize.lotsizing import solve_lot_sizing
from lakehouse_inv.optimize.mck import solve_option_partition
from lakehouse_inv.optimize.policy_types import parse_problem
from lakehouse_inv.optimize.solver import ERROR, SolveOutcome, SolverOptions


@dataclass(frozen=True)
class PolicyResult:
    """Outcome of one problem. ``decision`` uses docs/policies.md names (sQ: s, Q; RS: R, S; ceoq: Q list; ww: x list;
    clsp: x[i][t]; nvbudget: s list) and is None without a solution; ``cost`` is the objective value."""

    status: str
    decision: dict[str, Any] | None = None
    cost: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_ms: float = 0.0
    solver: str = ""
    message: str = ""
    item_costs: list[float] | None = field(default=None, repr=False)
    """Each item's (product's) share of ``cost``; internal to the partition API."""


def solve_problem(
    type_id: str,
    inputs: Mapping[str, Any],
    *,
    time_limit_s: float | None = None,
    solver_options: Mapping[str, Any] | None = None,
) -> PolicyResult:
    """Validate and solve one problem. Invalid input raises :class:`~lakehouse_inv.optimize.inputs.PolicyInputError`,
    a problem above the size limits :class:`~lakehouse_inv.optimize.limits.ProblemTooLarge`; infeasibility, time
    limits, solver failures and an optimum outside the cost model's validity (``SQItem.validity_error``) are reported
    in the result's status."""
    started = time.perf_counter()
    problem = parse_problem(type_id, inputs)
    return solve_parsed(problem, SolverOptions(time_limit_s, dict(solver_options or {})), started)


def solve_parsed(problem: Problem, options: SolverOptions, started: float) -> PolicyResult:
    """Solve an already validated problem; ``started`` is the perf_counter time that ``solve_ms`` counts from."""
    if isinstance(problem, OptionProblem):
        solution = solve_option_partition(problem.items, problem.couplings, options)
        decision = None
        if all(item.decision is not None for item in solution.items):
            decisions = [item.decision for item in solution.items]
            names = list(decisions[0])
            if problem.list_decisions:
                decision = {name: [d[name] for d in decisions] for name in names}
            else:
                decision = decisions[0]
        item_costs = [item.cost for item in solution.items] if decision is not None else None
        invalid = _validity_error(problem, [item.decision for item in solution.items], item_costs)
        if invalid is not None:
            outcome = replace(solution.outcome, status=ERROR, objective=None, bound=None, gap=None, message=invalid)
            return _result(outcome, None, None, started)
        return _result(solution.outcome, decision, item_costs, started)
    if isinstance(problem, JrpProblem):
        joint = solve_jrp(problem, options)
        return _result(joint.outcome, joint.decision, joint.item_costs, started)
    lot_sizing = solve_lot_sizing(problem.data, options)
    decision = None
    item_costs = None
    if lot_sizing.orders is not None:
        orders = [[_plain_number(x) for x in row] for row in lot_sizing.orders]
        decision = {"x": orders if problem.per_product_lists else orders[0]}
        item_costs = lot_sizing.product_costs.tolist()
    return _result(lot_sizing.outcome, decision, item_costs, started)


def _validity_error(
    problem: OptionProblem, decisions: list[dict[str, Any] | None], item_costs: list[float] | None
) -> str | None:
    """The first item whose cost model does not hold at its chosen decision (see ``SQItem.validity_error``)."""
    if item_costs is None:
        return None
    for item, decision, cost in zip(problem.items, decisions, item_costs, strict=True):
        check = getattr(item, "validity_error", None)
        message = check(decision, cost) if check is not None and decision is not None else None
        if message is not None:
            return message
    return None


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _result(
    outcome: SolveOutcome, decision: dict[str, Any] | None, item_costs: list[float] | None, started: float
) -> PolicyResult:
    return PolicyResult(
        status=outcome.status,
        decision=decision,
        cost=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        solve_ms=(time.perf_counter() - started) * 1e3,
        solver=outcome.solver,
        message=outcome.message,
        item_costs=item_costs,
    )
