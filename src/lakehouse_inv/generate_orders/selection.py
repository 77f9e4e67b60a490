"""The rows and CSV layout of an orders export, in plain pandas: shared by ``export-orders`` (after Spark has read
``gold.orders``) and the dashboard's Orders page (which reads it with ``deltalake``), so both give the same file."""

from __future__ import annotations

import datetime as dt

import pandas as pd

EXPORT_COLUMNS = [
    "order_id",
    "policy_id",
    "store_id",
    "product_id",
    "supplier_id",
    "order_date",
    "quantity",
    "unit_cost",
    "order_value",
    "expected_arrival_date",
    "status",
    "reason",
]
EXPORT_ORDER = ["store_id", "order_date", "policy_id", "product_id"]
RECOMMENDED = "recommended"
"""gold.orders column: the order of the item's recommended policy (what ``export-orders`` exports by default)."""


def select_order_rows(
    orders: pd.DataFrame,
    stores: list[str],
    start: dt.date,
    end: dt.date,
    policies: list[str] | None = None,
    *,
    recommended_only: bool = False,
) -> pd.DataFrame:
    """Orders of ``stores`` dated ``start``..``end`` (inclusive), optionally only some policies, in a stable order
    (``order_id`` breaks no tie: the four sort keys are the order's grain). ``recommended_only``: only the rows whose
    ``recommended`` column is true (``export-orders`` without ``--policy``)."""
    dates = pd.to_datetime(orders["order_date"]).dt.date
    chosen = orders[orders["store_id"].isin(stores) & (dates >= start) & (dates <= end)]
    if policies:
        chosen = chosen[chosen["policy_id"].isin(policies)]
    if recommended_only:
        chosen = chosen[chosen[RECOMMENDED].fillna(False).astype(bool)]
    return chosen[EXPORT_COLUMNS].sort_values(EXPORT_ORDER, kind="stable").reset_index(drop=True)


def orders_csv(rows: pd.DataFrame) -> str:
    """The export's CSV text: header + one line per order, dates as YYYY-MM-DD."""
    out = rows.copy()
    for column in ("order_date", "expected_arrival_date"):
        out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False)
