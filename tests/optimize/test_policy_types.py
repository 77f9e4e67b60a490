"""The registry of policy types is the one place a type is named; everything else reads its spec."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from lakehouse_inv.optimize import optimize_partition
from lakehouse_inv.optimize.config import PolicyConfig
from lakehouse_inv.optimize.partition import PartitionSpec
from lakehouse_inv.optimize.policy_types import DECISION_RULES, POLICY_TYPES, REGISTRY, parse_problem
from lakehouse_inv.replenishment.rules import BASELINE_RULES

SOURCE = Path(__file__).resolve().parents[2] / "src" / "lakehouse_inv"


def test_no_module_but_the_registry_names_a_policy_type() -> None:
    named = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "policy_types.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in REGISTRY:
                named.append(f"{path.relative_to(SOURCE)}:{node.lineno} {node.value!r}")
    assert named == []


def test_every_type_has_a_rule_and_the_baselines_keep_theirs() -> None:
    assert set(DECISION_RULES) == set(POLICY_TYPES) | set(BASELINE_RULES)
    assert all(DECISION_RULES[name].optimized for name in POLICY_TYPES)
    assert not any(rule.optimized for rule in BASELINE_RULES.values())


def test_config_validation_reads_the_registry() -> None:
    with pytest.raises(ValidationError, match=r"unknown policy type 'EOQ'; choose from \['sQ'"):
        PolicyConfig(id="p", type="EOQ", partition_fields=["store_id"])
    coupling = {"usage": "peak", "capacity": 10.0}
    with pytest.raises(ValidationError, match=r"couplings apply to \['sQ', 'sQ_perishable', 'RS'\]; ceoq"):
        PolicyConfig(id="p", type="ceoq", partition_fields=["store_id", "storage_id"], couplings=[coupling])
    with pytest.raises(ValidationError, match=r"period_days applies to lot sizing \(\['ww', 'clsp'\]\), not sQ"):
        PolicyConfig(id="p", type="sQ", partition_fields=["store_id"], period_days=7)
    with pytest.raises(ValidationError, match="ceoq shares a constraint per storage_id"):
        PolicyConfig(id="p", type="ceoq", partition_fields=["store_id"])


def test_a_new_type_is_one_spec(monkeypatch) -> None:
    """A spec added to the registry is accepted by the config, the batch interface and the partition API."""
    monkeypatch.setitem(REGISTRY, "RS_copy", dataclasses.replace(REGISTRY["RS"], name="RS_copy"))
    PolicyConfig(id="p", type="RS_copy", partition_fields=["store_id"])
    inputs = {"a": 2.0, "L": 1, "h": 0.1, "K": 5.0, "pi": 2.0}
    assert vars(parse_problem("RS_copy", inputs).items[0]) == vars(parse_problem("RS", inputs).items[0])
    items = pd.DataFrame([{"store_id": "S1", "product_id": "P1", **inputs}])
    copy = optimize_partition(items, PartitionSpec("RS_copy"))
    original = optimize_partition(items, PartitionSpec("RS"))
    columns = ["status", "decision_json", "review_period", "order_up_to", "objective"]
    assert copy[columns].equals(original[columns]) and copy.loc[0, "policy_type"] == "RS_copy"
