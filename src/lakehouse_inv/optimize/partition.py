"""Partition API for the Spark job: ``optimize_partition(items, spec)``, a plain pandas function for applyInPandas.

Grain of the output: one row per item of the partition (the key columns passed through), with
``POLICY_RESULT_SCHEMA`` after the keys. Never raises: a failing, infeasible or timed-out partition returns rows
with that status and a message.

Input columns per policy type (docs/policies.md names; anything else is a key column unless ``spec.key_columns`` says;
each type's spec in :mod:`lakehouse_inv.optimize.policy_types` holds them and how its partitions are solved):

=================  ============================================================================================
``sQ``             ``a, L, h, K, pi`` (+ ``demand_variance`` per day: NB when > a, else Poisson; or ``demand_pmf``)
``sQ_perishable``  as sQ plus ``W, life``
``RS``             ``a, L, h, K, pi`` (+ ``R_max``, ``R_step``, ``demand_variance`` / ``demand_pmf``)
``ceoq``           ``lam, K, C``; the budget is ``spec.b``
``nvbudget``       ``d, h, b, c`` (+ ``demand_variance`` / ``demand_pmf``); the budget is ``spec.V``
``ww``             one row per item × period: ``t, d`` and item-level ``K, h``
``clsp``           one row per item × period: ``t, d`` and item-level ``K, h``; capacity per period ``spec.C``
=================  ============================================================================================

Optional per-item columns of ``sQ``, ``sQ_perishable``, ``RS`` and ``nvbudget`` (:mod:`lakehouse_inv.optimize.targets`):
``L_ci`` lead-time spread (+/- days; not nvbudget), ``alpha`` fill-rate target (not nvbudget: there it is already in
``b``), ``min_inventory`` floor on s / S, and ``max_inventory``, only checked: an item with ``min_inventory >
max_inventory`` gets an ``error`` row naming the item and both fields (and a coupled partition with such an item is
not solved). Nulls mean "none".

``spec.couplings`` adds store-level constraints ``Σ_i w_i · usage_i ≤ capacity`` to sQ, sQ_perishable and RS, the
weight read from ``weight_column`` (1 when None): e.g. shelf space (``peak``, volume) or inventory value
(``average``, unit cost).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import numpy as np
import pandas as pd

from lakehouse_inv.optimize.inputs import OptionProblem, PolicyInputError, parse_with
from lakehouse_inv.optimize.mck import ItemResult, solve_option_partition
from lakehouse_inv.optimize.options import USAGE_KINDS, Coupling, ItemOptions
from lakehouse_inv.optimize.partition_problems import demand_spec as _demand_spec
from lakehouse_inv.optimize.partition_problems import plain as _plain
from lakehouse_inv.optimize.partition_problems import present as _present
from lakehouse_inv.optimize.policy_types import REGISTRY, PolicyType, type_spec
from lakehouse_inv.optimize.problems import PolicyResult, solve_parsed
from lakehouse_inv.optimize.solver import ERROR, SolverOptions

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

_OPTIONAL_COLUMNS = (
    "demand_variance",
    "demand_pmf",
    "R_max",
    "R_step",
    "L_ci",
    "alpha",
    "min_inventory",
    "max_inventory",
)
_TARGET_COLUMNS = ("L_ci", "alpha", "min_inventory")
"""Optional inputs of the ``item`` solver path passed to the batch interface when present and not null."""


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
    """What to solve for one partition. ``b`` (ceoq), ``V`` (nvbudget) and ``C`` (clsp) are the native couplings.

    ``key_columns`` defaults to every column that is not an input of the policy type. For ww/clsp the keys must
    identify the item, not the period: pass them explicitly when the frame carries other per-period columns (a date).
    ``solver_options`` are raw HiGHS options (they override ``threads = 1``, ``mip_rel_gap = 0``).
    """

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
        known = REGISTRY.get(self.policy_type)
        inputs = set(known.columns + known.optional_inputs if known else ()) | set(_OPTIONAL_COLUMNS)
        inputs |= {c.weight_column for c in self.couplings if c.weight_column}
        return [column for column in items.columns if column not in inputs]


def optimize_partition(items: pd.DataFrame, spec: PartitionSpec) -> pd.DataFrame:
    """Solve one partition (e.g. all products of one store) and return one result row per item."""
    started = time.perf_counter()
    records = items.to_dict("records")
    try:
        keys = spec.resolved_key_columns(items)
        groups = _item_groups(records, keys, REGISTRY.get(spec.policy_type))
    except Exception as exc:  # a malformed frame still yields rows
        message = f"{type(exc).__name__}: {exc}"
        return _frame([_error_row(spec, {}, message) for _ in records], [], items)
    heads = [{key: records[group[0]][key] for key in keys} for group in groups]
    try:
        rows = _solve(records, groups, heads, spec, started)
    except Exception as exc:  # the Spark job must get rows back, not an exception
        rows = [_error_row(spec, head, f"{type(exc).__name__}: {exc}") for head in heads]
    return _frame(rows, keys, items)


def _item_groups(records: list[dict[str, Any]], keys: list[str], kind: PolicyType | None) -> list[list[int]]:
    """Row positions of each item: one row each, or on the ``periods`` path the rows of one item's periods (sorted
    by t), items in order of first appearance."""
    if kind is None or kind.path != "periods":
        return [[j] for j in range(len(records))]
    groups: dict[tuple[Any, ...], list[int]] = {}
    for j, record in enumerate(records):
        groups.setdefault(tuple(record[key] for key in keys), []).append(j)
    return [sorted(group, key=lambda j: records[j]["t"]) for group in groups.values()]


def _solve(
    records: list[dict[str, Any]],
    groups: list[list[int]],
    heads: list[dict[str, Any]],
    spec: PartitionSpec,
    started: float,
) -> list[dict[str, Any]]:
    if spec.policy_type not in REGISTRY:
        raise PolicyInputError(f"spec.policy_type: unknown policy type {spec.policy_type!r}")
    kind = type_spec(spec.policy_type)
    missing = [c for c in kind.columns if records and c not in records[0]]
    if missing:
        raise PolicyInputError(f"{spec.policy_type}: missing column {missing[0]!r}")
    options = SolverOptions(spec.time_limit_s, dict(spec.solver_options))
    if kind.path == "item":
        return _solve_single_sku_policy(records, heads, spec, kind, options, started)
    bounds = {i: e for i, head in enumerate(heads) if (e := _inventory_bounds_error(records[groups[i][0]], head))}
    if bounds:
        message = "partition not solved: " + "; ".join(bounds.values())
        return [_error_row(spec, head, bounds.get(i, message)) for i, head in enumerate(heads)]
    assert kind.partition_problem is not None, f"{kind.name}: the {kind.path} path needs a partition_problem"
    capacity = getattr(spec, kind.native_capacity) if kind.native_capacity else None
    try:
        problem = kind.partition_problem(records, groups, capacity, partial(parse_with, kind.name, kind.parse))
    except PolicyInputError as exc:
        return [_error_row(spec, head, str(exc)) for head in heads]
    result = solve_parsed(problem, options, started)
    return [_row(spec, head, result, _item_decision(result, i), i) for i, head in enumerate(heads)]


def _solve_single_sku_policy(
    records: list[dict[str, Any]],
    heads: list[dict[str, Any]],
    spec: PartitionSpec,
    kind: PolicyType,
    options: SolverOptions,
    started: float,
) -> list[dict[str, Any]]:
    """The ``item`` path: each row is a problem of its own; couplings (if any) join them in one MCK."""
    items: dict[int, ItemOptions] = {}
    errors: dict[int, str] = {}
    for i, record in enumerate(records):
        bounds = _inventory_bounds_error(record, heads[i])
        if bounds is not None:
            errors[i] = bounds
            continue
        try:
            problem = cast(OptionProblem, parse_with(kind.name, kind.parse, _row_inputs(record, kind)))
            items[i] = problem.items[0]
        except (PolicyInputError, ValueError) as exc:
            errors[i] = f"row {i}: {exc}"
    couplings = _couplings(records, spec)
    if errors and couplings:
        message = "coupled partition not solved: " + "; ".join(errors.values())
        return [_error_row(spec, head, message) for head in heads]
    solved = sorted(items)
    solution = solve_option_partition(
        [items[i] for i in solved], [Coupling(c.usage, c.capacity, c.weights[solved]) for c in couplings], options
    )
    outcome = solution.outcome
    results = dict(zip(solved, solution.items, strict=True))
    rows = []
    for i, head in enumerate(heads):
        if i in errors:
            rows.append(_error_row(spec, head, errors[i]))
            continue
        item = results[i]
        invalid = _validity_error(items[i], item)
        if invalid is not None:  # the formula's optimum is an artefact there, not a policy to publish
            rows.append(_error_row(spec, head, invalid))
            continue
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
        rows.append(_row(spec, head, result, item.decision, 0))
    return rows


def _validity_error(options: ItemOptions, result: ItemResult) -> str | None:
    """Why the item's cost model does not hold at its chosen decision (``SQItem.validity_error``), if it does not."""
    check = getattr(options, "validity_error", None)
    if check is None or result.decision is None or result.cost is None:
        return None
    return check(result.decision, result.cost)


def _row_inputs(record: dict[str, Any], kind: PolicyType) -> dict[str, Any]:
    inputs = {name: _plain(record[name]) for name in kind.columns}
    for name in (*kind.optional_inputs, *_TARGET_COLUMNS):
        if _present(record.get(name)):
            inputs[name] = _plain(record[name])
    demand = _demand_spec(record, inputs["a"])
    if demand is not None:
        inputs["demand"] = demand
    return inputs


def _inventory_bounds_error(record: dict[str, Any], head: dict[str, Any]) -> str | None:
    """Why no stock level fits the item's ``min_inventory`` and ``max_inventory``, or None."""
    low, high = record.get("min_inventory"), record.get("max_inventory")
    if not (_present(low) and _present(high)) or float(low) <= float(high):
        return None
    item = ", ".join(f"{key}={value}" for key, value in head.items())
    return (
        f"item {item}: min_inventory {_plain(low):g} > max_inventory {_plain(high):g}: no stock level keeps at least "
        "min_inventory units within max_inventory"
    )


def _couplings(records: list[dict[str, Any]], spec: PartitionSpec) -> list[Coupling]:
    couplings = []
    for k, coupling in enumerate(spec.couplings):
        if coupling.usage not in USAGE_KINDS or not coupling.capacity >= 0:
            raise PolicyInputError(f"spec.couplings[{k}]: usage must be peak/average and capacity >= 0")
        column = coupling.weight_column
        weights = np.array([1.0 if column is None else float(r[column]) for r in records])
        if not np.all(np.isfinite(weights) & (weights >= 0)):
            raise PolicyInputError(f"spec.couplings[{k}]: column {column!r} must be finite and >= 0")
        couplings.append(Coupling(coupling.usage, float(coupling.capacity), weights))
    return couplings


def _item_decision(result: PolicyResult, i: int) -> dict[str, Any] | None:
    """Item i's slice of a list decision (ceoq Q, nvbudget s, ww/clsp x over the partition's sorted periods, jrp S);
    a scalar is shared by every item (jrp's review period R)."""
    if result.decision is None:
        return None
    return {name: values[i] if isinstance(values, list) else values for name, values in result.decision.items()}


def _row(
    spec: PartitionSpec, head: dict[str, Any], result: PolicyResult, decision: dict[str, Any] | None, i: int
) -> dict[str, Any]:
    """One output row: the item's keys (``head``), then POLICY_RESULT_COLUMNS."""
    known = REGISTRY.get(spec.policy_type)
    convenience = known.convenience if known else {}
    row = dict(head)
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


def _error_row(spec: PartitionSpec, head: dict[str, Any], message: str) -> dict[str, Any]:
    return _row(spec, head, PolicyResult(ERROR, message=message), None, 0)


def _frame(rows: list[dict[str, Any]], keys: Sequence[str], items: pd.DataFrame) -> pd.DataFrame:
    """Rows → frame with the key columns (their input dtypes kept) and POLICY_RESULT_COLUMNS."""
    frame = pd.DataFrame(rows, columns=[*keys, *(name for name, _ in POLICY_RESULT_COLUMNS)])
    for key in keys:
        frame[key] = frame[key].astype(items[key].dtype)
    for name, kind in POLICY_RESULT_COLUMNS:
        frame[name] = frame[name].astype("float64" if kind == "double" else "object")
    return frame
