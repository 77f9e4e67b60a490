"""Today's orders of optimized policies and of the strong baseline: apply each item's rule to its inventory
position, then supplier terms.

A plain pandas function (one store per call in Spark). Per item: IP = on hand + on order − backorders (retail
loses unmet demand, so backorders are 0), the policy's rule (:mod:`lakehouse_inv.replenishment.rules`, the same one
the replay runs) states the need, and supplier terms (:mod:`lakehouse_inv.replenishment.terms`, room = max inventory −
IP) make it orderable. Rule days count from the optimization date (day 0 = ``parameters_as_of``), so an (R, S)
review or a lot-sizing plan keeps its rhythm between optimizations. Items that need nothing produce no row; a need
the supplier terms cannot meet produces a ``blocked`` row with the reason instead of a silently changed order.

The baseline (:func:`propose_baseline_orders`, for items whose recommended policy is the baseline) has no solved
parameters: its service_cover rule is built from the item's forecast rate, lead time, service level and shelf life,
sees the last SALES_HISTORY_DAYS days of observed sales and reviews on a fixed calendar
(:mod:`lakehouse_inv.replenishment.baseline`).

Shipments (:mod:`lakehouse_inv.replenishment.shipments`, the replay's model): an item orders only on its supplier's
delivery days (``delivery_every``; a review that falls between two delivery days waits for the next one), and the
lines of one store x supplier on a day form one shipment, fitted to the supplier's minimum and maximum shipping
volume (``product_volume`` per unit) and purchase budget (``max_shipment_value``): every changed line says so in its
reason. The lines to place (``recommended`` true, whatever policy they come from) share one truck, as the evaluation
replays the recommended portfolio; every other policy's lines, what that policy would order, fill trucks of their
own. Items without these columns order any day, without shipment limits. :func:`propose_store_orders` proposes a
store's orders of both kinds in one call, so its recommended lines can share a truck.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from lakehouse_inv.optimize.policy_types import DECISION_RULES
from lakehouse_inv.replenishment.baseline import history_start, needs_after_history, sales_history, store_manager_rules
from lakehouse_inv.replenishment.items import RULE_PARAMETER_COLUMNS
from lakehouse_inv.replenishment.rules import RULE_KINDS, RuleExecutor, attach_rules
from lakehouse_inv.replenishment.shipments import (
    DELIVERY_EPOCH,
    DROPPED_BY_CAP,
    FIT_REASONS,
    FITTED_NONE,
    delivery_day_mask,
    fit_shipments,
    group_codes,
    next_delivery_days,
)
from lakehouse_inv.replenishment.terms import OrderLine, apply_supplier_terms

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
    every = _column(rules, "delivery_every")
    for day in np.unique(days):
        rows = days == day
        first_day = as_of - dt.timedelta(days=int(day))
        executor = RuleExecutor(
            kinds[rows], {k: v[rows] for k, v in params.items()}, int(day) + 1, (first_day - DELIVERY_EPOCH).days
        )
        executor.review_due[:] = next_delivery_days(
            executor.review_due, delivery_day_mask(every[rows], first_day, int(day) + 1)
        )
        need[rows] = executor.needed(int(day), position[rows])
    return np.where(delivery_day_mask(every, as_of, 1)[0], need, 0.0)


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as floats, NaN when the frame has none."""
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)


def propose_orders(items: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Order lines for ``as_of`` from items with: policy_id, policy_type, store_id, product_id, supplier_id,
    decision_json, parameters_as_of, period_days, a, L, on_hand, on_order, moq, max_qty, multiple,
    max_inventory, unit_cost (optional: ``recommended``, the shipment columns). Output columns:
    :data:`ORDER_COLUMNS`."""
    if items.empty:
        return _no_orders()
    return _order_lines(*_policy_needs(items, as_of), as_of)


def _policy_needs(items: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``(rules, need, position)`` of optimized policies' items."""
    rules = attach_rules(items.reset_index(drop=True), period_column="period_days", rules=DECISION_RULES)
    position = _position(rules)
    return rules, _needs(rules, position, as_of), position


def propose_store_orders(
    items: pd.DataFrame,
    history: pd.DataFrame,
    *,
    as_of: dt.date,
    baseline_id: str,
    review_days: int,
    default_service_level: float,
) -> pd.DataFrame:
    """One store's orders of the day: the rows of ``items`` whose ``policy_id`` is ``baseline_id`` as in
    :func:`propose_baseline_orders` (with ``history``), the others as in :func:`propose_orders`; then the lines are
    fitted to their shipments together, so the recommended lines of a supplier share one truck whichever policy
    each comes from. Output columns: :data:`ORDER_COLUMNS`."""
    on_baseline = (items["policy_id"] == baseline_id).to_numpy()
    parts = []
    if (~on_baseline).any():
        parts.append(_policy_needs(items[~on_baseline], as_of))
    if on_baseline.any():
        parts.append(
            _baseline_needs(
                items[on_baseline],
                history,
                as_of=as_of,
                policy_id=baseline_id,
                review_days=review_days,
                default_service_level=default_service_level,
            )
        )
    if not parts:
        return _no_orders()
    rules = pd.concat([rules for rules, _, _ in parts], ignore_index=True)
    need, position = (np.concatenate([part[k] for part in parts]) for k in (1, 2))
    return _order_lines(rules, need, position, as_of)


def propose_baseline_orders(
    items: pd.DataFrame,
    history: pd.DataFrame,
    *,
    as_of: dt.date,
    policy_id: str,
    review_days: int,
    default_service_level: float,
) -> pd.DataFrame:
    """The strong baseline's order lines for ``as_of`` (rule service_cover, :mod:`lakehouse_inv.replenishment.
    baseline`): ``items`` as for :func:`propose_orders` without the policy columns but with ``service_level``,
    ``shelf_life_days`` and ``demand_variance``; ``history`` the items' ``silver.daily_demand`` rows (store_id,
    product_id, date, units_sold, stockout) of the SALES_HISTORY_DAYS days ending on ``as_of``. Reviews fall on the
    dates whose day number since 1970-01-01 is a multiple of the item's review period; ``parameters_as_of`` is
    null (nothing is optimized). Output columns: :data:`ORDER_COLUMNS`."""
    if items.empty:
        return _no_orders()
    return propose_store_orders(
        items.assign(policy_id=policy_id),
        history,
        as_of=as_of,
        baseline_id=policy_id,
        review_days=review_days,
        default_service_level=default_service_level,
    )


def _baseline_needs(
    items: pd.DataFrame,
    history: pd.DataFrame,
    *,
    as_of: dt.date,
    policy_id: str,
    review_days: int,
    default_service_level: float,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``(rules, need, position)`` of the baseline's items (:func:`propose_baseline_orders`)."""
    first_day = history_start(as_of)
    rules = store_manager_rules(
        items.reset_index(drop=True),
        first_day=first_day,
        review_days=review_days,
        default_service_level=default_service_level,
    )
    rules["policy_id"] = policy_id
    rules["parameters_as_of"] = None
    n_days = (as_of - first_day).days + 1
    sold, in_stock = sales_history(rules, history, first_day, n_days)
    position = _position(rules)
    delivery_days = delivery_day_mask(_column(rules, "delivery_every"), first_day, n_days)
    return rules, needs_after_history(rules, sold, in_stock, position, delivery_days), position


def _no_orders() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name, _ in ORDER_COLUMNS})


def _position(rules: pd.DataFrame) -> np.ndarray:
    """IP = on hand + on order (no backorders in retail)."""
    return (rules["on_hand"].fillna(0) + rules["on_order"].fillna(0)).to_numpy(dtype=float)


def _order_lines(rules: pd.DataFrame, need: np.ndarray, position: np.ndarray, as_of: dt.date) -> pd.DataFrame:
    """One order line per item with a positive need, after supplier terms, fitted to its shipment's limits."""
    ordering = np.flatnonzero(need > 0)
    lines = []
    for i in ordering:
        item = rules.iloc[i]
        room = item["max_inventory"] - position[i] if pd.notna(item["max_inventory"]) else None
        lines.append(
            apply_supplier_terms(
                float(need[i]),
                moq=_limit(item["moq"]),
                max_qty=_limit(item["max_qty"]),
                multiple=_limit(item["multiple"]),
                room=room,
            )
        )
    lines = _fit_to_shipments(rules.iloc[ordering], lines, position[ordering])
    rows = []
    for i, line in zip(ordering, lines, strict=True):
        item = rules.iloc[i]
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


def _fit_to_shipments(items: pd.DataFrame, lines: list[OrderLine], position: np.ndarray) -> list[OrderLine]:
    """``lines`` (one per row of ``items``) with each shipment fitted to the supplier's volume and value limits
    (:func:`~lakehouse_inv.replenishment.shipments.fit_shipments`), the reason extended. A shipment is a store x
    supplier's lines of one policy, or its recommended lines (``items.recommended``), whatever their policy."""
    limit_columns = ("min_shipment_volume", "max_shipment_volume", "max_shipment_value")
    if not lines or not any(np.isfinite(_column(items, c)).any() for c in limit_columns):
        return lines
    fleet = items["policy_id"].astype(str)
    if "recommended" in items.columns:
        fleet = fleet.where(~items["recommended"].fillna(False).astype(bool), "\x00recommended")
    keys = fleet + "/" + items["store_id"].astype(str) + "/" + items["supplier_id"].astype(str)
    max_inventory = _column(items, "max_inventory")
    quantity, code = fit_shipments(
        np.array([line.quantity for line in lines]),
        group_codes(keys.to_numpy(object), len(items)),
        unit_volume=_column(items, "product_volume"),
        unit_cost=_column(items, "unit_cost"),
        multiple=_column(items, "multiple"),
        moq=_column(items, "moq"),
        max_qty=_column(items, "max_qty"),
        room=np.where(np.isfinite(max_inventory), max_inventory - position, np.inf),
        min_volume=_column(items, "min_shipment_volume"),
        max_volume=_column(items, "max_shipment_volume"),
        max_value=_column(items, "max_shipment_value"),
    )
    fitted = []
    for line, units, fit in zip(lines, quantity, code, strict=True):
        if fit == FITTED_NONE:
            fitted.append(line)
            continue
        status = "blocked" if fit == DROPPED_BY_CAP else "adjusted"
        reason = f"{line.reason}; {FIT_REASONS[fit]} ({line.quantity:g} -> {units:g} units)"
        fitted.append(OrderLine(float(units), status, reason))
    return fitted


def _limit(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
