"""The pages' tables, computed from gold/silver frames with plain pandas (tested without a browser)."""

from __future__ import annotations

import json

import pandas as pd

from lakehouse_inv.optimize.config import PoliciesConfig

PERIODS = {"last_week": "Last week", "last_month": "Last month", "last_quarter": "Last quarter"}
# card label -> (gold.policy_metrics column, improvement column, format)
METRICS: dict[str, tuple[str, str, str]] = {
    "TR": ("total_revenue", "total_revenue_improvement", "{:,.0f}"),
    "NR": ("normalized_revenue", "normalized_revenue_improvement", "{:,.3f}"),
    "NSE": ("stockout_events", "stockout_events_improvement", "{:,.0f}"),
    "TOR": ("turnover_ratio", "turnover_ratio_improvement", "{:,.2f}"),
    "Fill rate": ("fill_rate", "fill_rate_improvement", "{:.1%}"),
    "Cost": ("total_cost", "total_cost_improvement", "{:,.0f}"),
}


def policies_overview(config: PoliciesConfig, params: pd.DataFrame | None, runs: pd.DataFrame | None) -> pd.DataFrame:
    """One row per configured policy: its settings and its last optimization (from gold.policy_parameters;
    the optimize step's run from gold.job_runs)."""
    rows = []
    last_run = None
    if runs is not None and not runs.empty:
        optimize = runs[runs["job"] == "optimize"].sort_values(["started_at", "run_id"])
        if not optimize.empty:
            last_run = optimize.iloc[-1]
    for policy in config.policies:
        row: dict[str, object] = {
            "id": policy.id,
            "type": policy.type,
            "active": policy.active,
            "items": policy.items,
            "partition fields": ", ".join(policy.partition_fields),
            "optimization schedule": policy.optimization_schedule,
            "order schedule": policy.order_schedule,
            "last optimized (as of)": None,
            "written at (UTC)": "",
            "statuses": "",
            "solve time (s)": None,
            "optimize run": "",
        }
        mine = params[params["policy_id"] == policy.id] if params is not None else pd.DataFrame()
        if not mine.empty:
            latest = mine[mine["as_of"] == mine["as_of"].max()]
            counts = latest["status"].value_counts().sort_index()
            row["last optimized (as of)"] = latest["as_of"].iloc[0]
            if "_updated_at" in latest.columns and latest["_updated_at"].notna().any():
                row["written at (UTC)"] = f"{latest['_updated_at'].max():%Y-%m-%d %H:%M}"
            row["statuses"] = ", ".join(f"{status}: {n}" for status, n in counts.items())
            # solve_ms is per partition, repeated on each item of the partition
            per_partition = latest.drop_duplicates("partition_key")["solve_ms"].fillna(0)
            row["solve time (s)"] = round(float(per_partition.sum()) / 1000, 2)
        if last_run is not None:
            row["optimize run"] = f"{last_run['started_at']:%Y-%m-%d %H:%M} UTC, {last_run['status']}"
        rows.append(row)
    return pd.DataFrame(rows)


def filter_metrics(
    metrics: pd.DataFrame, store: str, period: str, policies: list[str] | None = None, evaluation: str | None = None
) -> pd.DataFrame:
    chosen = metrics[(metrics["store_id"] == store) & (metrics["period"] == period)]
    if evaluation is not None and "evaluation" in chosen.columns:
        chosen = chosen[chosen["evaluation"] == evaluation]
    if policies:
        chosen = chosen[chosen["policy_id"].isin(policies)]
    return chosen.sort_values(["as_of", "policy_id"])


def latest_cards(metrics: pd.DataFrame) -> pd.DataFrame:
    """The newest evaluation per policy (rows of an already filtered gold.policy_metrics)."""
    if metrics.empty:
        return metrics
    newest = metrics.groupby("policy_id")["as_of"].transform("max")
    return metrics[metrics["as_of"] == newest].sort_values("policy_id").reset_index(drop=True)


def card_values(row: pd.Series) -> list[tuple[str, str, str | None]]:
    """(label, value, improvement over the baseline) for each card of one policy."""
    cards = []
    for label, (column, improvement, fmt) in METRICS.items():
        value = row.get(column)
        shown = fmt.format(value) if pd.notna(value) else "–"
        delta = row.get(improvement)
        cards.append((label, shown, f"{delta:+.1%}" if pd.notna(delta) else None))
    return cards


def store_overview(
    stores: pd.DataFrame,
    storage: pd.DataFrame | None,
    departments: pd.DataFrame | None,
    assortment: pd.DataFrame | None,
    sourcing: pd.DataFrame | None,
) -> pd.DataFrame:
    """Store information: traffic, income, hours, assortment size, storage spaces, departments, suppliers."""
    out = stores[["store_id", "store_name", "avg_traffic", "avg_household_income", "open_hour", "close_hour"]].copy()
    if assortment is not None:
        out = out.merge(assortment.groupby("store_id").size().rename("products").reset_index(), "left", "store_id")
    if storage is not None:
        spaces = storage.groupby("store_id").agg(
            storage_spaces=("storage_id", "nunique"), storage_volume=("storage_volume", "sum")
        )
        out = out.merge(spaces.reset_index(), "left", "store_id")
    if departments is not None:
        names = departments.sort_values("department_id").groupby("store_id")["department_name"].agg(", ".join)
        out = out.merge(names.rename("departments").reset_index(), "left", "store_id")
    if sourcing is not None:
        suppliers = (
            sourcing.sort_values("supplier_id").groupby("store_id")["supplier_id"].agg(lambda s: ", ".join(s.unique()))
        )
        out = out.merge(suppliers.rename("suppliers").reset_index(), "left", "store_id")
    return out.sort_values("store_id").reset_index(drop=True)


def store_kpis(status: pd.DataFrame | None, sales: pd.DataFrame | None, days: int = 28) -> pd.DataFrame:
    """Per store over its last ``days`` days: revenue, units, stock-out rate, average on-hand value, stock-out days."""
    parts = []
    if sales is not None and not sales.empty:
        end = sales["date"].max()
        recent = sales[sales["date"] > end - pd.Timedelta(days=days)]
        parts.append(
            recent.groupby("store_id").agg(
                revenue=("revenue", "sum"), units=("units", "sum"), stockout_rate=("stockout_flag", "mean")
            )
        )
    if status is not None and not status.empty:
        end = status["date"].max()
        recent = status[status["date"] > end - pd.Timedelta(days=days)]
        parts.append(
            recent.groupby("store_id").agg(
                avg_on_hand_value=("on_hand_value", "mean"),
                stockout_days=("items_out_of_stock", lambda s: int((s > 0).sum())),
            )
        )
    if not parts:
        return pd.DataFrame()
    kpis = parts[0]
    for part in parts[1:]:
        kpis = kpis.join(part, how="outer")
    return kpis.reset_index().sort_values("store_id").reset_index(drop=True)


def policy_levels(params: pd.DataFrame | None, policy_id: str, store: str, product: str) -> dict[str, float]:
    """The newest decision of ``policy_id`` for one item as chart lines: s, s+Q (or S, or the newsvendor level)."""
    if params is None or params.empty:
        return {}
    mine = params[
        (params["policy_id"] == policy_id) & (params["store_id"] == store) & (params["product_id"] == product)
    ]
    if mine.empty:
        return {}
    row = mine.sort_values("as_of").iloc[-1]
    levels: dict[str, float] = {}
    if pd.notna(row.get("reorder_point")):
        levels["s (reorder point)"] = float(row["reorder_point"])
        if pd.notna(row.get("order_quantity")):
            levels["s + Q"] = float(row["reorder_point"]) + float(row["order_quantity"])
    if pd.notna(row.get("order_up_to")):
        levels["S (order-up-to)"] = float(row["order_up_to"])
    if not levels and pd.notna(row.get("decision_json")):
        decision = json.loads(row["decision_json"])
        for key in ("s", "S", "Q"):
            if isinstance(decision.get(key), int | float):
                levels[key] = float(decision[key])
    return levels
