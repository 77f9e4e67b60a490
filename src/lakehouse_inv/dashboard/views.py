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
    "Profit": ("profit", "profit_gain", "{:,.0f}"),
}
WALK_FORWARD = "walk_forward"
EVALUATION_WINDOW = "horizon"
"""gold.policy_metrics period of the whole walk-forward evaluation window (the recommendation never saw it)."""
RECOMMENDED = "recommended"


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
            "replan": policy.replan,
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
    metrics: pd.DataFrame,
    store: str,
    period: str,
    policies: list[str] | None = None,
    evaluation: str | None = None,
    segment: str = "all",
) -> pd.DataFrame:
    chosen = metrics[(metrics["store_id"] == store) & (metrics["period"] == period)]
    if "segment" in chosen.columns:
        chosen = chosen[chosen["segment"] == segment]
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
    """(label, value, improvement over the baseline) for each card of one policy. Profit's improvement is money
    and % of the baseline's revenue: a percentage of a loss or of almost nothing would say nothing."""
    cards = []
    for label, (column, improvement, fmt) in METRICS.items():
        value = row.get(column)
        shown = fmt.format(value) if pd.notna(value) else "–"
        delta = row.get(improvement)
        if improvement == "profit_gain":
            cards.append((label, shown, profit_gain_text(delta, row.get("profit_gain_share"))))
        else:
            cards.append((label, shown, f"{delta:+.1%}" if pd.notna(delta) else None))
    return cards


def profit_gain_text(gain: object, share: object) -> str | None:
    """``+1,234 (+2.1 % of revenue)``; the share left out when unknown; None without a gain."""
    if gain is None or pd.isna(gain):
        return None
    return f"{gain:+,.0f}" + (f" ({share:+.1%} of revenue)" if share is not None and pd.notna(share) else "")


def _newest_walk_forward(metrics: pd.DataFrame) -> pd.DataFrame:
    if "evaluation" in metrics.columns:
        metrics = metrics[metrics["evaluation"] == WALK_FORWARD]
    chosen = metrics[(metrics["store_id"] == "ALL") & (metrics["period"] == EVALUATION_WINDOW)]
    return chosen[chosen["as_of"] == chosen["as_of"].max()] if not chosen.empty else chosen


def planner_summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """The recommended portfolio against the baseline and the perfect-foresight ceiling on the newest walk-forward
    evaluation window, chain-wide, per segment: profit, fill rate, waste, gain captured (empty without a
    ``recommended`` row)."""
    newest = _newest_walk_forward(metrics)
    mine = newest[newest["policy_id"] == RECOMMENDED]
    if mine.empty or "segment" not in mine.columns:
        return pd.DataFrame()
    baseline = newest.set_index(["policy_id", "segment"])
    order = {"all": 0, "perishable": 1, "non_perishable": 2}
    rows = []
    for row in sorted(mine.itertuples(), key=lambda r: order.get(r.segment, 9)):
        base_key = (row.baseline_id, row.segment)
        base_waste = baseline.loc[base_key, "waste_rate"] if base_key in baseline.index else None
        rows.append(
            {
                "segment": row.segment,
                "items": row.items,
                "profit": row.profit,
                "baseline profit": row.profit_baseline,
                "ceiling": row.profit_ceiling,
                "gain vs baseline": profit_gain_text(row.profit_gain, row.profit_gain_share),
                "gain captured": row.gain_captured,
                "fill rate": row.fill_rate,
                "baseline fill rate": row.fill_rate_baseline,
                "waste": row.waste_rate,
                "baseline waste": base_waste,
                "note": getattr(row, "ceiling_note", None),
            }
        )
    return pd.DataFrame(rows)


def items_per_policy(recommendation: pd.DataFrame) -> pd.DataFrame:
    """How many store-products each policy is recommended for (newest recommendation)."""
    newest = recommendation[recommendation["as_of"] == recommendation["as_of"].max()]
    counts = newest.groupby("policy_id").size().rename("items").reset_index()
    return counts.sort_values(["items", "policy_id"], ascending=[False, True]).reset_index(drop=True)


def items_to_review(recommendation: pd.DataFrame) -> pd.DataFrame:
    """The store-products whose recommendation, out of sample (evaluation window), earned less than the baseline or
    missed its service level, worst profit shortfall first."""
    newest = recommendation[recommendation["as_of"] == recommendation["as_of"].max()].copy()
    if "baseline_evaluation_profit" not in newest.columns:
        return pd.DataFrame()
    shortfall = newest["evaluation_profit"] - newest["baseline_evaluation_profit"]
    loses = (newest["policy_id"] != newest["baseline_id"]) & (shortfall < -1e-9)
    misses = newest["evaluation_fill_rate"] < newest["service_level"]
    newest["vs baseline"] = shortfall
    newest["why"] = [
        ", ".join(text for flag, text in ((lose, "loses to the baseline"), (miss, "misses its service level")) if flag)
        for lose, miss in zip(loses, misses, strict=True)
    ]
    flagged = newest[loses | misses].sort_values(["vs baseline", "store_id", "product_id"])
    columns = {
        "store_id": "store",
        "product_id": "product",
        "policy_id": "recommended",
        "why": "why",
        "evaluation_profit": "profit",
        "baseline_evaluation_profit": "baseline profit",
        "vs baseline": "vs baseline",
        "evaluation_fill_rate": "fill rate",
        "service_level": "target",
    }
    return flagged[list(columns)].rename(columns=columns).reset_index(drop=True)


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
