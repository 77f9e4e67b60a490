"""The registry of policy types: one :class:`PolicyType` spec per type, and nothing else lists them.

A spec says everything the rest of the system needs to know about a type: the per-row inputs
:func:`~lakehouse_inv.optimize.partition.optimize_partition` reads (``columns``), the batch-interface parser
(``parse``), the solver path (``path``), how the lakehouse rows are built (``rows``), how a decision becomes an
executable rule (``rule``), whether it has a missed-sale cost a service level sets (``service_level_holding``) and the
config it accepts. Adding a type is one spec here plus its solver (an option generator or a model) and its rule
reader (:mod:`lakehouse_inv.replenishment.rules`).

Solver paths:

* ``item``: every row is a problem of its own (option lists); the policy's couplings, if any, join them in one
  multiple-choice knapsack. Couplings are accepted only here.
* ``partition``: one problem over the partition (``partition_problem``), its native capacity ``native_capacity``
  (a :class:`~lakehouse_inv.optimize.partition.PartitionSpec` field) read from the group.
* ``periods``: as ``partition``, with one row per item x planning period (``t``); ``period_days`` applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from pyspark.sql import DataFrame

from lakehouse_inv.optimize.frames import (
    InputsRequest,
    ceoq_rows,
    item_rows,
    jrp_rows,
    newsvendor_rows,
    period_rows,
)
from lakehouse_inv.optimize.inputs import (
    Parser,
    PolicyInputError,
    Problem,
    parse_ceoq,
    parse_clsp,
    parse_jrp,
    parse_nvbudget,
    parse_rs,
    parse_sq,
    parse_sq_perishable,
    parse_with,
    parse_ww,
)
from lakehouse_inv.optimize.partition_problems import (
    JRP_ITEM_COLUMNS,
    JRP_SHIPMENT_COLUMNS,
    PartitionProblem,
    ceoq_problem,
    clsp_problem,
    independent_ww_problem,
    jrp_problem,
    nvbudget_problem,
)
from lakehouse_inv.replenishment.rules import (
    BASELINE_RULES,
    DecisionRule,
    Rule,
    calendar_order_up_to_reader,
    lead_time_reorder_point_reader,
    newsvendor_reader,
    order_up_to_reader,
    plan_reader,
    reorder_point_reader,
)
from lakehouse_inv.replenishment.rules import (
    rule_from_decision as _rule_from_decision,
)

SolverPath = Literal["item", "partition", "periods"]
_CONVENIENCE = {"s": "reorder_point", "Q": "order_quantity", "R": "review_period", "S": "order_up_to"}


@dataclass(frozen=True)
class PolicyType:
    """One policy type (module docstring)."""

    name: str
    columns: tuple[str, ...]
    """Required per-row inputs of optimize_partition (docs/policies.md names)."""
    parse: Parser
    path: SolverPath
    rows: Callable[[InputsRequest], DataFrame]
    """Builds the rows its partitions are solved from (:mod:`lakehouse_inv.optimize.frames`)."""
    rule: DecisionRule
    partition_problem: PartitionProblem | None = None
    native_capacity: Literal["b", "V", "C"] | None = None
    service_level_holding: str | None = None
    """Item column a service level α turns into the missed-sale cost ``pi = holding · α / (1 − α)``; None: the type
    has no missed-sale cost (:mod:`lakehouse_inv.optimize.service_level`)."""
    convenience: Mapping[str, str] = field(default_factory=lambda: dict(_CONVENIENCE))
    """Decision names -> the named result columns (reorder_point, order_quantity, review_period, order_up_to)."""
    required_partition_field: str | None = None
    """A partition field the type's shared constraint needs (ceoq: the storage budget; clsp: the supplier)."""
    optional_inputs: tuple[str, ...] = ()
    """Per-row inputs beyond the required ones: on the ``item`` path passed to the parser when present (RS:
    ``R_max``); on the ``partition`` path the columns the type's problem builder reads (jrp), so neither is taken
    for a key column."""
    decision_period: bool = False
    """The decision gets its order period ``R`` (the newsvendor period) appended when it is published."""

    @property
    def takes_couplings(self) -> bool:
        return self.path == "item"

    @property
    def uses_period_days(self) -> bool:
        return self.path == "periods"


def _rule(reader: Callable[..., Rule], name: str) -> DecisionRule:
    return DecisionRule(partial(reader, kind=name))


_SINGLE = ("a", "L", "h", "K", "pi")
_PERISHABLE = (*_SINGLE, "W", "life")
_PERIODS = ("t", "d", "K", "h")
_TYPES = (
    PolicyType(
        name="sQ",
        columns=_SINGLE,
        parse=parse_sq,
        path="item",
        rows=item_rows(_SINGLE, rhythm="lead_time"),
        rule=_rule(reorder_point_reader, "sQ"),
        service_level_holding="h",
    ),
    PolicyType(
        name="sQ_perishable",
        columns=_PERISHABLE,
        parse=parse_sq_perishable,
        path="item",
        rows=item_rows(_PERISHABLE, rhythm="lead_time"),
        rule=_rule(reorder_point_reader, "sQ_perishable"),
        service_level_holding="h",
    ),
    PolicyType(
        name="RS",
        columns=_SINGLE,
        parse=parse_rs,
        path="item",
        rows=item_rows(_SINGLE, rhythm="review_period"),
        rule=_rule(order_up_to_reader, "RS"),
        service_level_holding="h",
        optional_inputs=("R_max", "R_step"),
    ),
    PolicyType(
        name="ceoq",
        columns=("lam", "K", "C"),
        parse=parse_ceoq,
        path="partition",
        rows=ceoq_rows,
        rule=DecisionRule(partial(lead_time_reorder_point_reader, kind="ceoq"), protection_interval=True),
        partition_problem=ceoq_problem,
        native_capacity="b",
        required_partition_field="storage_id",
    ),
    PolicyType(
        name="ww",
        columns=_PERIODS,
        parse=parse_ww,
        path="periods",
        rows=period_rows(capacity=False),
        rule=_rule(plan_reader, "ww"),
        partition_problem=independent_ww_problem,
    ),
    PolicyType(
        name="clsp",
        columns=_PERIODS,
        parse=parse_clsp,
        path="periods",
        rows=period_rows(capacity=True),
        rule=_rule(plan_reader, "clsp"),
        partition_problem=clsp_problem,
        native_capacity="C",
        required_partition_field="supplier_id",
    ),
    PolicyType(
        name="nvbudget",
        columns=("d", "h", "b", "c"),
        parse=parse_nvbudget,
        path="partition",
        rows=newsvendor_rows,
        rule=_rule(newsvendor_reader, "nvbudget"),
        partition_problem=nvbudget_problem,
        native_capacity="V",
        service_level_holding="W",
        convenience={"s": "order_up_to"},
        decision_period=True,
    ),
    PolicyType(
        name="jrp",
        columns=("a", "L", "h", "pi"),
        parse=parse_jrp,
        path="partition",
        rows=jrp_rows,
        rule=_rule(calendar_order_up_to_reader, "jrp"),
        partition_problem=jrp_problem,
        service_level_holding="h",
        required_partition_field="supplier_id",
        optional_inputs=(*JRP_ITEM_COLUMNS, *JRP_SHIPMENT_COLUMNS),
    ),
)
REGISTRY: dict[str, PolicyType] = {spec.name: spec for spec in _TYPES}
POLICY_TYPES = tuple(REGISTRY)
DECISION_RULES: dict[str, DecisionRule] = BASELINE_RULES | {name: spec.rule for name, spec in REGISTRY.items()}
"""Every policy type :func:`rule_from_decision` and :func:`~lakehouse_inv.replenishment.rules.attach_rules` know:
the optimized types and the baselines."""


def type_spec(name: Any) -> PolicyType:
    """The spec of ``name``; raises :class:`PolicyInputError` naming the known types."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise PolicyInputError(f"type: unknown policy type {name!r}; expected one of {', '.join(POLICY_TYPES)}")
    return REGISTRY[name]


def parse_problem(type_id: Any, inputs: Any) -> Problem:
    """Validate ``inputs`` of policy ``type_id`` and build the problem; raises :class:`PolicyInputError`."""
    return parse_with(type_id, type_spec(type_id).parse, inputs)


def rule_from_decision(
    policy_type: str,
    decision: Mapping[str, Any] | None,
    *,
    a: float,
    L: int,
    period_days: int = 1,
    min_inventory: float = 0.0,
    delivery_every: int = 1,
) -> Rule:
    """:func:`lakehouse_inv.replenishment.rules.rule_from_decision` over every known type (:data:`DECISION_RULES`)."""
    return _rule_from_decision(
        policy_type,
        decision,
        a=a,
        L=L,
        period_days=period_days,
        min_inventory=min_inventory,
        delivery_every=delivery_every,
        rules=DECISION_RULES,
    )
