"""One Pyomo model per partition on the executors, inside a grouped pandas UDF.

Partitions reach Python a hash bucket at a time (:func:`lakehouse_inv.grouped.apply_per_group`), and each
partition is still built and solved as its own model; this keeps thousands of one-SKU partitions from paying
one Arrow round trip each.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
from pyspark.sql import DataFrame

from lakehouse_inv.grouped import apply_per_group
from lakehouse_inv.optimize.config import ITEM_KEYS, PolicyConfig
from lakehouse_inv.optimize.partition import CouplingSpec, PartitionSpec, optimize_partition, policy_result_schema

PARTITION_CONSTANTS = ("_b", "_V", "_C")


def partition_spec(policy: PolicyConfig, group: pd.DataFrame, keys: list[str]) -> PartitionSpec:
    """The spec of one group: the policy's settings plus the group's capacities (constant columns)."""
    first = group.iloc[0] if len(group) else {}
    couplings = tuple(CouplingSpec(c.usage, float(first[f"_cap{i}"]), c.weight) for i, c in enumerate(policy.couplings))
    constants = {name[1:]: float(first[name]) for name in PARTITION_CONSTANTS if name in group.columns}
    return PartitionSpec(
        policy.type,
        couplings=couplings,
        key_columns=tuple(keys),
        time_limit_s=policy.solver.time_limit_s,
        solver_options=dict(policy.solver.options),
        **constants,
    )


def _solve_group(group: pd.DataFrame, *, policy: PolicyConfig, keys: list[str]) -> pd.DataFrame:
    # a shuffle delivers rows in any order; solving them in key order makes ties break the same way every run
    order = [*keys, "t"] if "t" in group.columns else keys
    group = group.sort_values(order, kind="mergesort", ignore_index=True)
    spec = partition_spec(policy, group, keys)
    items = group.drop(columns=[c for c in group.columns if c.startswith("_")])
    return optimize_partition(items, spec)


def optimize_frame(inputs: DataFrame, policy: PolicyConfig) -> DataFrame:
    """Solve every partition of ``inputs`` (from :func:`policy_inputs`); one result row per item."""
    keys = list(dict.fromkeys([*ITEM_KEYS, *policy.partition_fields]))
    schema = policy_result_schema([(k, inputs.schema[k].dataType.simpleString()) for k in keys])
    fn = partial(_solve_group, policy=policy, keys=keys)
    return apply_per_group(inputs, policy.partition_fields, fn, schema)
