"""Partition API for the Spark job: ``optimize_partition(items, spec)``, a plain pandas function for applyInPandas.

Grain of the output: one row per item of the partition (the key columns passed through), with
``POLICY_RESULT_SCHEMA`` after the keys. Never raises: a failing, infeasible or timed-out partition returns rows
with that status and a message.

Input columns per policy type (policies.md names; anything else is a key column unless ``spec.key_columns`` says):

=================  ============================================================================================
``sQ``             ``a, L, h, K, pi`` (+ ``demand_variance`` per day: NB when > a, else Poisson; or ``demand_pmf``)
``sQ_perishable``  as sQ plus ``W, life``
``RS``             ``a, L, h, K, pi`` (+ ``R_max``, ``demand_variance`` / ``demand_pmf``)
``ceoq``           ``lam, K, C``; the budget is ``spec.b``
``nvbudget``       ``d, h, b, c`` (+ ``demand_variance`` / ``demand_pmf``); the budget is ``spec.V``
``ww``             one row per item × period: ``t, d`` and item-level ``K, h``
``clsp``           one row per item × period: ``t, d`` and item-level ``K, h``; capacity per period ``spec.C``
=================  ============================================================================================

``spec.couplings`` adds store-level constraints ``Σ_i w_i · usage_i ≤ capacity`` to sQ, sQ_perishable and RS, the
weight read from ``weight_column`` (1 when None): e.g. shelf space (``peak``, volume) or inventory value
(``average``, unit cost).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lakehouse_inv.policies.inputs import LotSizingProblem, OptionProblem, PolicyInputError, parse_problem
from lakehouse_inv.policies.lotsizing import LotSizingData
from lakehouse_inv.policies.mck import ItemResult, solve_option_partition
from lakehouse_inv.policies.options import USAGE_KINDS, Coupling
from lakehouse_inv.policies.problems import PolicyResult, solve_parsed
from lakehouse_inv.policies.solver import ERROR, SolverOptions

POLICY_RESULT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("policy_type", "string"),
    ("status", "string"),
    ("decision_json", "string"),
    ("reorder_point", "double"),
    ("order_quantity", "double"),
    ("review_period", "double"),
    ("order_up_to", "double"),
    ("item_cost", "double"),
    ("objective", "double"),
    ("bound", "double"),
    ("gap", "double"),
    ("solve_ms", "double"),
    ("solver", "string"),
    ("message", "string"),
)
POLICY_RESULT_SCHEMA = ", ".join(f"{name} {kind}" for name, kind in POLICY_RESULT_COLUMNS)
"""Spark DDL of the result columns after the key columns. The convenience columns are named, not lettered, because
Spark and Delta resolve names case-insensitively (``s`` and ``S`` would collide): reorder_point = s (sQ),
order_quantity = Q (sQ, ceoq), review_period = R (RS), order_up_to = S (RS) or s (nvbudget)."""

_CONVENIENCE_COLUMNS = {"s": "reorder_point", "Q": "order_quantity", "R": "review_period", "S": "order_up_to"}
_NEWSVENDOR_CONVENIENCE = {"s": "order_up_to"}

_ITEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "sQ": ("a", "L", "h", "K", "pi"),
    "sQ_perishable": ("a", "L", "h", "K", "pi", "W", "life"),
    "RS": ("a", "L", "h", "K", "pi"),
    "ceoq": ("lam", "K", "C"),
    "nvbudget": ("d", "h", "b", "c"),
    "ww": ("t", "d", "K", "h"),
    "clsp": ("t", "d", "K", "h"),
}
_OPTIONAL_COLUMNS = ("demand_variance", "demand_pmf", "R_max")
_PERIOD_TYPES = ("ww", "clsp")


def policy_result_schema(key_columns: Sequence[tuple[str, str]]) -> str:
    """``POLICY_RESULT_SCHEMA`` preceded by the key columns, e.g. ``[("store_id", "string"), ("sku", "int")]``."""
    return ", ".join([f"{name} {kind}" for name, kind in key_columns] + [POLICY_RESULT_SCHEMA])


@dataclass(frozen=True)
class CouplingSpec:
    """``Σ_i weight_i · usage_i ≤ capacity``; ``usage`` is ``peak`` or ``average``; weights from ``weight_column``."""

    usage: str
    capacity: float
    weight_column: str | None = None


@dataclass(frozen=True)
class PartitionSpec:
    """What to solve for one partition. ``b`` (ceoq), ``V`` (nvbudget) and ``C`` (clsp) are the native couplings."""

    policy_type: str
    couplings: tuple[CouplingSpec, ...] = ()
    b: float | None = None
    V: float | None = None
    C: float | None = None
    key_columns: tuple[str, ...] | None = None
    time_limit_s: float | None = None
    solver_options: Mapping[str, Any] = field(default_factory=dict)

    def resolved_key_columns(self, items: pd.DataFrame) -> list[str]:
        if self.key_columns is not None:
            return list(self.key_columns)
        inputs = set(_ITEM_COLUMNS.get(self.policy_type, ())) | set(_OPTIONAL_COLUMNS)
        inputs |= {c.weight_column for c in self.couplings if c.weight_column}
        return [column for column in items.columns if column not in inputs]


def optimize_partition(items: pd.DataFrame, spec: PartitionSpec) -> pd.DataFrame:
    """Solve one partition (e.g. all products of one store) and return one result row per item."""
    started = time.perf_counter()
    try:
        keys = spec.resolved_key_columns(items)
        groups = _item_groups(items, keys, spec.policy_type)
    except Exception as exc:  # a malformed frame still yields rows
        return _frame(
            [_error_row(spec, items.iloc[[j]], [], f"{type(exc).__name__}: {exc}") for j in range(len(items))]
        )
    try:
        rows = _solve(items, groups, keys, spec, started)
    except Exception as exc:  # the Spark job must get rows back, not an exception
        message = f"{type(exc).__name__}: {exc}"
        rows = [_error_row(spec, items.loc[index[:1]], keys, message) for index in groups]
    return _frame(rows, keys, items)


def _item_groups(items: pd.DataFrame, keys: list[str], policy_type: str) -> list[pd.Index]:
    """Row labels of each item: one row each, or for ww/clsp the rows of one item's periods (sorted by t)."""
    if policy_type not in _PERIOD_TYPES:
        return [items.index[[j]] for j in range(len(items))]
    if not keys:
        return [items.sort_values("t").index]
    grouped = items.groupby(keys, sort=False, dropna=False)
    return [items.loc[index].sort_values("t").index for index in grouped.groups.values()]


def _solve(
    items: pd.DataFrame, groups: list[pd.Index], keys: list[str], spec: PartitionSpec, started: float
) -> list[dict[str, Any]]:
    if spec.policy_type not in _ITEM_COLUMNS:
        raise PolicyInputError(f"spec.policy_type: unknown policy type {spec.policy_type!r}")
    missing = [c for c in _ITEM_COLUMNS[spec.policy_type] if c not in items.columns]
    if missing:
        raise PolicyInputError(f"{spec.policy_type}: missing column {missing[0]!r}")
    options = SolverOptions(spec.time_limit_s, dict(spec.solver_options))
    if spec.policy_type in ("sQ", "sQ_perishable", "RS"):
        return _solve_single_item_policy(items, groups, keys, spec, options, started)
    inputs = _partition_inputs(items, groups, spec)
    try:
        problem = _independent_ww(inputs) if spec.policy_type == "ww" else parse_problem(spec.policy_type, inputs)
    except PolicyInputError as exc:
        return [_error_row(spec, items.loc[index[:1]], keys, str(exc)) for index in groups]
    result = solve_parsed(problem, options, started)
    return [
        _row(spec, items.loc[index[:1]], keys, result, _item_decision(result, i), i) for i, index in enumerate(groups)
    ]


def _solve_single_item_policy(
    items: pd.DataFrame,
    groups: list[pd.Index],
    keys: list[str],
    spec: PartitionSpec,
    options: SolverOptions,
    started: float,
) -> list[dict[str, Any]]:
    """sQ / sQ_perishable / RS: each row is a problem of its own; couplings (if any) join them in one MCK."""
    parsed: dict[int, OptionProblem] = {}
    errors: dict[int, str] = {}
    for i, index in enumerate(groups):
        row = items.loc[index[0]]
        try:
            problem = parse_problem(spec.policy_type, _row_inputs(row, spec.policy_type))
            assert isinstance(problem, OptionProblem)
            parsed[i] = problem
        except (PolicyInputError, ValueError) as exc:
            errors[i] = f"row {i}: {exc}"
    couplings = _couplings(items, spec)
    if errors and couplings:
        message = "coupled partition not solved: " + "; ".join(errors.values())
        return [_error_row(spec, items.loc[index[:1]], keys, message) for index in groups]
    solved = sorted(parsed)
    solution = solve_option_partition(
        [parsed[i].items[0] for i in solved],
        [Coupling(c.usage, c.capacity, c.weights[solved]) for c in couplings],
        options,
    )
    outcome = solution.outcome
    rows = []
    for i, index in enumerate(groups):
        head = items.loc[index[:1]]
        if i in errors:
            rows.append(_error_row(spec, head, keys, errors[i]))
            continue
        item: ItemResult = solution.items[solved.index(i)]
        result = PolicyResult(
            item.status,
            item.decision,
            outcome.objective,
            outcome.bound,
            outcome.gap,
            (time.perf_counter() - started) * 1e3,
            outcome.solver,
            item.message,
            [item.cost] if item.cost is not None else None,
        )
        rows.append(_row(spec, head, keys, result, item.decision, 0))
    return rows


def _row_inputs(row: pd.Series, policy_type: str) -> dict[str, Any]:
    inputs = {name: _plain(row[name]) for name in _ITEM_COLUMNS[policy_type]}
    if policy_type == "RS" and "R_max" in row.index and _present(row["R_max"]):
        inputs["R_max"] = _plain(row["R_max"])
    demand = _demand_spec(row, inputs["a"])
    if demand is not None:
        inputs["demand"] = demand
    return inputs


def _demand_spec(row: pd.Series, mean: Any) -> dict[str, Any] | None:
    if "demand_pmf" in row.index and _present(row["demand_pmf"]):
        pmf = row["demand_pmf"]
        return {"family": "empirical", "pmf": json.loads(pmf) if isinstance(pmf, str) else [float(p) for p in pmf]}
    if "demand_variance" in row.index and _present(row["demand_variance"]):
        variance = float(row["demand_variance"])
        if isinstance(mean, int | float) and variance > mean > 0:
            return {"family": "negative_binomial", "variance": variance}
    return None


def _partition_inputs(items: pd.DataFrame, groups: list[pd.Index], spec: PartitionSpec) -> dict[str, Any]:
    """Batch-interface inputs of the whole partition (ceoq, nvbudget, clsp; ww as a clsp without capacity)."""
    heads = items.loc[[index[0] for index in groups]]
    column = {name: [_plain(v) for v in heads[name]] for name in _ITEM_COLUMNS[spec.policy_type] if name != "t"}
    if spec.policy_type == "ceoq":
        return {"n": len(groups), "lam": column["lam"], "K": column["K"], "C": column["C"], "b": spec.b}
    if spec.policy_type == "nvbudget":
        inputs = {"n": len(groups), **{name: column[name] for name in ("d", "h", "b", "c")}, "V": spec.V}
        demands = [_demand_spec(heads.iloc[i], column["d"][i]) for i in range(len(groups))]
        if any(demands):
            inputs["demand"] = demands
        return inputs
    periods = sorted({_plain(t) for t in items["t"]})
    position = {t: j for j, t in enumerate(periods)}
    demand = np.zeros((len(groups), len(periods)))
    for i, index in enumerate(groups):
        for t, d in zip(items.loc[index, "t"], items.loc[index, "d"], strict=True):
            demand[i, position[_plain(t)]] += d
    inputs = {"P": len(groups), "T": len(periods), "d": demand.tolist(), "K": column["K"], "h": column["h"]}
    return inputs | {"C": spec.C} if spec.policy_type == "clsp" else inputs


def _independent_ww(inputs: dict[str, Any]) -> LotSizingProblem:
    """Each item validated as its own ww problem, then solved together in one uncapacitated lot-sizing model."""
    parts = []
    for i in range(inputs["P"]):
        try:
            parts.append(
                parse_problem("ww", {"T": inputs["T"], "d": inputs["d"][i], "K": inputs["K"][i], "h": inputs["h"][i]})
            )
        except PolicyInputError as exc:
            raise PolicyInputError(f"item {i}: {exc}") from None
    data = LotSizingData(
        np.vstack([p.data.demand for p in parts]),
        np.concatenate([p.data.K for p in parts]),
        np.concatenate([p.data.h for p in parts]),
    )
    return LotSizingProblem(data, per_product_lists=True)


def _couplings(items: pd.DataFrame, spec: PartitionSpec) -> list[Coupling]:
    couplings = []
    for k, coupling in enumerate(spec.couplings):
        if coupling.usage not in USAGE_KINDS or not (coupling.capacity >= 0):
            raise PolicyInputError(f"spec.couplings[{k}]: usage must be peak/average and capacity >= 0")
        weights = (
            np.ones(len(items)) if coupling.weight_column is None else items[coupling.weight_column].to_numpy(float)
        )
        if not np.all(np.isfinite(weights) & (weights >= 0)):
            raise PolicyInputError(f"spec.couplings[{k}]: column {coupling.weight_column!r} must be finite and >= 0")
        couplings.append(Coupling(coupling.usage, float(coupling.capacity), weights))
    return couplings


def _item_decision(result: PolicyResult, i: int) -> dict[str, Any] | None:
    """Item i's slice of a list decision (ceoq Q, nvbudget s, ww/clsp x over the partition's sorted periods)."""
    if result.decision is None:
        return None
    return {name: values[i] for name, values in result.decision.items()}


def _row(
    spec: PartitionSpec,
    head: pd.DataFrame,
    keys: list[str],
    result: PolicyResult,
    decision: dict[str, Any] | None,
    i: int,
) -> dict[str, Any]:
    row = {key: head[key].iloc[0] for key in keys}
    convenience = _NEWSVENDOR_CONVENIENCE if spec.policy_type == "nvbudget" else _CONVENIENCE_COLUMNS
    row.update(
        policy_type=spec.policy_type,
        status=result.status,
        decision_json=json.dumps(decision) if decision is not None else None,
        item_cost=result.item_costs[i] if result.item_costs is not None else None,
        objective=result.cost,
        bound=result.bound,
        gap=result.gap,
        solve_ms=result.solve_ms,
        solver=result.solver,
        message=result.message,
    )
    for name, value in (decision or {}).items():
        if name in convenience and not isinstance(value, list):
            row[convenience[name]] = float(value)
    return row


def _error_row(spec: PartitionSpec, head: pd.DataFrame, keys: list[str], message: str) -> dict[str, Any]:
    return _row(spec, head, keys, PolicyResult(ERROR, message=message), None, 0)


def _frame(rows: list[dict[str, Any]], keys: Sequence[str] = (), items: pd.DataFrame | None = None) -> pd.DataFrame:
    columns = list(keys) + [name for name, _ in POLICY_RESULT_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    for name, kind in POLICY_RESULT_COLUMNS:
        frame[name] = frame[name].astype("float64" if kind == "double" else "object")
    if items is not None:
        for key in keys:
            frame[key] = frame[key].astype(items[key].dtype, copy=False) if len(frame) else frame[key]
    return frame


def _plain(value: Any) -> Any:
    """numpy scalars → Python numbers so validation messages and JSON look like the batch interface."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _present(value: Any) -> bool:
    if isinstance(value, list | tuple | np.ndarray):
        return len(value) > 0
    return value is not None and not (isinstance(value, float) and math.isnan(value))
