"""``conf/base/policies.yml``: which inventory policies run, on what, how often and with which solver.

Seed 004's InventoryPolicyConfig (ActiveFlag, InventoryPolicyID, ScheduleID_Optimization,
ScheduleID_GenerateOrder, SolverName, PartitionFields, OptimizationTimeout) as one validated model.
Unknown policy types, bad cron expressions, unknown partition fields or capacity sources are rejected
with the field named, before any job starts.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from croniter import croniter
from pydantic import Field, field_validator, model_validator

from lakehouse_inv.config import StrictModel, duplicates
from lakehouse_inv.optimize.policy_types import POLICY_TYPES, REGISTRY, PolicyType

PARTITION_FIELDS = ("store_id", "product_id", "supplier_id", "storage_id", "department_id")
ITEM_KEYS = ("store_id", "product_id")
# partition-level capacities a coupling may use, and the table column they come from
CAPACITY_SOURCES = {"storage_volume": "storage_id", "storage_cost_budget": "storage_id", "max_inventory": "product_id"}


class SolverConfig(StrictModel):
    """HiGHS through Pyomo's persistent appsi interface; ``options`` are raw HiGHS options."""

    name: Literal["appsi_highs"] = "appsi_highs"
    options: dict[str, float | int | str | bool] = Field(default_factory=dict)
    time_limit_s: float = Field(30.0, gt=0, description="wall-clock limit per partition")


class CouplingConfig(StrictModel):
    """A store-level constraint Σ_i weight_i · usage_i ≤ capacity for sQ / sQ_perishable / RS partitions.

    ``usage``: ``peak`` (stock right after a delivery: s+Q or S) or ``average`` (expected average stock).
    ``capacity``: a column of ``silver.store_storage`` (needs ``storage_id`` in the partition), the item's
    ``max_inventory`` (needs ``product_id``: one item per partition, so peak stock stays within the shelf), or
    a number.
    ``weight``: per-item column (``product_volume``, ``unit_cost``, ``storage_cost``) or None for units.
    """

    usage: Literal["peak", "average"]
    capacity: float | Literal["storage_volume", "storage_cost_budget", "max_inventory"]
    weight: Literal["product_volume", "unit_cost", "storage_cost"] | None = None
    capacity_factor: float = Field(1.0, gt=0, description="scales a capacity read from a table")


class PolicyConfig(StrictModel):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    type: str = Field(description=f"one of {', '.join(POLICY_TYPES)}")
    active: bool = True
    description: str = ""
    items: Literal["all", "perishable", "non_perishable"] = "all"
    partition_fields: list[str] = Field(min_length=1)
    optimization_schedule: str = "0 2 * * *"
    replan: Literal["all", "order_days"] = Field(
        "all",
        description=(
            "which partitions a firing optimization_schedule solves: all, or (order_days) those with an item that "
            "can order that day (its supplier's delivery calendar) or has no solved decision yet"
        ),
    )
    order_schedule: str = "0 6 * * *"
    solver: SolverConfig = SolverConfig()
    couplings: list[CouplingConfig] = Field(default_factory=list)
    budget_factor: float = Field(1.0, gt=0, description="nvbudget: V = factor x expected daily purchase cost")
    capacity_factor: float = Field(1.5, gt=0, description="clsp: C = factor x mean demand per period of the partition")
    period_days: int = Field(1, ge=1, le=28, description="ww/clsp: days per planning period (7 = weekly buckets)")
    objective: Literal["profit", "cost"] = Field(
        "profit",
        description="profit: a lost sale costs its margin (maximise expected profit); cost: the missed-sale cost",
    )
    service_level: Literal["floor", "penalty"] = Field(
        "floor",
        description="the item's fill-rate target as a constraint (floor) or priced by the missed-sale cost (penalty)",
    )

    @field_validator("partition_fields")
    @classmethod
    def _known_fields(cls, fields: list[str]) -> list[str]:
        unknown = [f for f in fields if f not in PARTITION_FIELDS]
        if unknown:
            raise ValueError(f"unknown partition field(s) {unknown}; choose from {list(PARTITION_FIELDS)}")
        if "store_id" not in fields:
            raise ValueError("partition_fields must include store_id (stores never share a model)")
        if len(set(fields)) != len(fields):
            raise ValueError(f"duplicate partition fields {fields}")
        return fields

    @field_validator("type")
    @classmethod
    def _known_type(cls, name: str) -> str:
        if name not in REGISTRY:
            raise ValueError(f"unknown policy type {name!r}; choose from {list(POLICY_TYPES)}")
        return name

    @property
    def spec(self) -> PolicyType:
        """The type's registry entry."""
        return REGISTRY[self.type]

    @field_validator("optimization_schedule", "order_schedule")
    @classmethod
    def _cron(cls, expression: str) -> str:
        if not croniter.is_valid(expression):
            raise ValueError(f"not a valid cron expression: {expression!r} (e.g. '0 2 * * 1' = Mondays 02:00)")
        return expression

    @model_validator(mode="after")
    def _consistent(self) -> PolicyConfig:
        spec = self.spec
        if self.couplings and not spec.takes_couplings:
            coupled = [name for name, other in REGISTRY.items() if other.takes_couplings]
            raise ValueError(f"couplings apply to {coupled}; {self.type} has its own budget/capacity")
        for coupling in self.couplings:
            if isinstance(coupling.capacity, str) and CAPACITY_SOURCES[coupling.capacity] not in self.partition_fields:
                raise ValueError(
                    f"coupling capacity {coupling.capacity!r} is per {CAPACITY_SOURCES[coupling.capacity]}: "
                    f"add it to partition_fields {self.partition_fields}"
                )
        needed = spec.required_partition_field
        if needed is not None and needed not in self.partition_fields:
            raise ValueError(f"{self.type} shares a constraint per {needed}: partition_fields must include {needed}")
        if self.service_level == "penalty" and spec.service_level_holding is None:
            targeted = [name for name, other in REGISTRY.items() if other.service_level_holding is not None]
            raise ValueError(f"service_level applies to {targeted}; {self.type} has no service level")
        if self.replan == "order_days" and self.optimization_schedule.split()[2:] != ["*", "*", "*"]:
            raise ValueError(
                f"replan: order_days needs an optimization_schedule that fires every day, got "
                f"'{self.optimization_schedule}' (a partition would keep a stale decision past its delivery days)"
            )
        if self.period_days != 1 and not spec.uses_period_days:
            periodic = [name for name, other in REGISTRY.items() if other.uses_period_days]
            raise ValueError(f"period_days applies to lot sizing ({periodic}), not {self.type}")
        return self

    @property
    def objective_label(self) -> str:
        """What ``gold.policy_parameters.objective_kind`` records: ``profit`` or ``cost``, with ``/floor`` or
        ``/penalty`` for types with a service level."""
        if self.spec.service_level_holding is None:
            return self.objective
        return f"{self.objective}/{self.service_level}"

    def fires_on(self, day: dt.date, schedule: str) -> bool:
        """True when the cron ``schedule`` has a firing time on ``day``."""
        start = dt.datetime.combine(day, dt.time.min) - dt.timedelta(seconds=1)
        return croniter(schedule, start).get_next(dt.datetime).date() == day


class PoliciesConfig(StrictModel):
    planning_horizon_days: int = Field(28, ge=1, description="days of forecast the policies plan over")
    policies: list[PolicyConfig]

    @field_validator("policies")
    @classmethod
    def _unique(cls, policies: list[PolicyConfig]) -> list[PolicyConfig]:
        duplicated = duplicates(p.id for p in policies)
        if duplicated:
            raise ValueError(f"duplicate policy id(s) {duplicated}")
        return policies

    @property
    def active(self) -> list[PolicyConfig]:
        return [p for p in self.policies if p.active]
