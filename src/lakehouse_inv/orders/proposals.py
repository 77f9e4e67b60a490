"""Today's orders of optimized policies: apply each item's rule to its inventory position, then supplier terms.

A plain pandas function (one store per call in Spark). Per item: IP = on hand + on order − backorders (retail
loses unmet demand, so backorders are 0), the policy's rule (:mod:`lakehouse_inv.replenishment.rules`, the same one
the replay runs) states the need, and supplier terms (:mod:`lakehouse_inv.replenishment.terms`, room = max inventory −
IP) make it orderable. Rule days count from the optimization date (day 0 = ``parameters_as_of``), so an (R, S)
review or a lot-sizing plan keeps its rhythm between optimizations. Items that need nothing produce no row; a need
the supplier terms cannot meet produces a ``blocked`` row with the reason instead of a silently changed order.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from lakehouse_inv.replenishment.items import RULE_PARAMETER_COLUMNS
from lakehouse_inv.replenishment.rules import RULE_KINDS, RuleExecutor, attach_rules
from lakehouse_inv.replenishment.terms import apply_supplier_terms

ORDER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("order_id", "string"),
    ("policy_id", "string"),
    ("store_id", "string"),
    ("product_id", "string"),
    ("supplier_id", "string"),
    ("order_date", "date"),
    ("need", "double"),
    ("quantity", "double"),
    ("unit_cost", "double"),
    ("order_value", "double"),
    ("lead_time_days", "int"),
    ("expected_arrival_date", "date"),
    ("status", "string"),
    ("reason", "string"),
    ("inventory_position", "double"),
    ("on_hand", "double"),
    ("on_order", "double"),
    ("parameters_as_of", "date"),
)
ORDER_SCHEMA = ", ".join(f"{name} {kind}" for name, kind in ORDER_COLUMNS)


def order_id(policy_id: str, store_id: str, product_id: str, day: dt.date) -> str:
    """Deterministic: re-running a day produces the same ids, so orders are never duplicated."""
    return f"{policy_id}-{store_id}-{product_id}-{day:%Y%m%d}"


def _needs(rules: pd.DataFrame, position: np.ndarray, as_of: dt.date) -> np.ndarray:
    need = np.zeros(len(rules))
    kinds = rules["rule_kind"].map({name: code for code, name in enumerate(RULE_KINDS)}).to_numpy()
    days = np.array([(as_of - d).days for d in rules["parameters_as_of"]])
    params = {c: rules[c].to_numpy(dtype=float) for c in RULE_PARAMETER_COLUMNS}
    for day in np.unique(days):
        rows = days == day
        executor = RuleExecutor(kinds[rows], {k: v[rows] for k, v in params.items()}, int(day) + 1)
        need[rows] = executor.needed(int(day), position[rows])
    return need


def propose_orders(items: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Order lines for ``as_of`` from items with: policy_id, policy_type, store_id, product_id, supplier_id,
    decision_json, parameters_as_of, period_days, a, L, on_hand, on_order, moq, max_qty, multiple,
    max_inventory, unit_cost. Output columns: :data:`ORDER_COLUMNS`."""
    if items.empty:
        return pd.DataFrame({name: pd.Series(dtype=object) for name, _ in ORDER_COLUMNS})
    rules = attach_rules(items.reset_index(drop=True), period_column="period_days")
    position = (rules["on_hand"].fillna(0) + rules["on_order"].fillna(0)).to_numpy(dtype=float)
    need = _needs(rules, position, as_of)
    rows = []
    for i in np.flatnonzero(need > 0):
        item = rules.iloc[i]
        room = item["max_inventory"] - position[i] if pd.notna(item["max_inventory"]) else None
        line = apply_supplier_terms(
            float(need[i]),
            moq=_limit(item["moq"]),
            max_qty=_limit(item["max_qty"]),
            multiple=_limit(item["multiple"]),
            room=room,
        )
        lead = int(item["L"])
        rows.append(
            {
                "order_id": order_id(item["policy_id"], item["store_id"], item["product_id"], as_of),
                "policy_id": item["policy_id"],
                "store_id": item["store_id"],
                "product_id": item["product_id"],
                "supplier_id": item["supplier_id"],
                "order_date": as_of,
                "need": float(need[i]),
                "quantity": line.quantity,
                "unit_cost": float(item["unit_cost"]),
                "order_value": round(line.quantity * float(item["unit_cost"]), 2),
                "lead_time_days": lead,
                "expected_arrival_date": as_of + dt.timedelta(days=lead),
                "status": line.status,
                "reason": line.reason or None,
                "inventory_position": float(position[i]),
                "on_hand": float(item["on_hand"] or 0),
                "on_order": float(item["on_order"] or 0),
                "parameters_as_of": item["parameters_as_of"],
            }
        )
    return pd.DataFrame(rows, columns=[name for name, _ in ORDER_COLUMNS])


def _limit(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
