"""Exact solvers for the seven inventory policies of docs/policies.md (sQ, sQ_perishable, RS, ceoq, ww, clsp, nvbudget).

Two mechanisms, both Pyomo models solved by HiGHS: option lists + a multiple-choice knapsack (``mck``) for sQ,
sQ_perishable, RS, ceoq and nvbudget, and lot sizing (``lotsizing``: a shortest path for ww, a MILP for clsp).

Entry points: :func:`solve_problem` (one batch-interface problem), :func:`optimize_partition` (the Spark job's
per-partition pandas function, output schema :data:`POLICY_RESULT_SCHEMA`) and the batch CLI
``python -m lakehouse_inv.optimize`` (:func:`lakehouse_inv.optimize.batch.main`).
"""

from __future__ import annotations

from lakehouse_inv.optimize.inputs import PolicyInputError
from lakehouse_inv.optimize.partition import (
    POLICY_RESULT_SCHEMA,
    CouplingSpec,
    PartitionSpec,
    optimize_partition,
    policy_result_schema,
)
from lakehouse_inv.optimize.policy_types import POLICY_TYPES, REGISTRY, PolicyType
from lakehouse_inv.optimize.problems import PolicyResult, solve_problem

__all__ = [
    "POLICY_RESULT_SCHEMA",
    "POLICY_TYPES",
    "REGISTRY",
    "CouplingSpec",
    "PartitionSpec",
    "PolicyInputError",
    "PolicyResult",
    "PolicyType",
    "optimize_partition",
    "policy_result_schema",
    "solve_problem",
]
