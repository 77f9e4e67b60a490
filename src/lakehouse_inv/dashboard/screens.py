"""The dashboard's pages. Each reads what it needs through :func:`table` (cached per Delta version, so a new write
shows at the next interaction) and says which command to run when a table does not exist yet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lakehouse_inv.config import ConfigError
from lakehouse_inv.dashboard.runs import RunInProgress, RunRequest, manager_for, progress_lines
from lakehouse_inv.dashboard.settings import Settings, save_policies, validate_policies
from lakehouse_inv.dashboard.views import (
    METRICS,
    PERIODS,
    card_values,
    filter_metrics,
    items_per_policy,
    items_to_review,
    latest_cards,
    planner_summary,
    policies_overview,
    policy_levels,
    store_kpis,
    store_overview,
)
from lakehouse_inv.dashboard.warehouse import MissingTable, Warehouse
from lakehouse_inv.generate_orders.selection import orders_csv, select_order_rows
from lakehouse_inv.ranges import SERVICE_LEVEL, SERVICE_LEVEL_DECIMALS

RUN_STATE_DIR = ".dashboard"
PLOT = {"displayModeBar": False}
KPI_FORMATS = {
    "revenue": "{:,.0f}",
    "units": "{:,.0f}",
    "stockout_rate": "{:.1%}",
    "avg_on_hand_value": "{:,.0f}",
    "stockout_days": "{:,.0f}",
}


# ---------------------------------------------------------------- plumbing


def _settings() -> Settings:
    return Settings.from_environment()


def _configs() -> dict | None:
    try:
        return _settings().load()
    except ConfigError as exc:
        st.error(f"The configuration is invalid, fix it (or upload a valid policies.yml):\n\n```\n{exc}\n```")
        return None


def _warehouse(configs: dict) -> Warehouse | None:
    warehouse = Warehouse.from_config(configs["pipeline"])
    if not warehouse.is_local:
        st.warning("pipeline.yml names a Unity Catalog: the dashboard reads a local warehouse only.")
        return None
    return warehouse


@st.cache_data(show_spinner=False, max_entries=64)
def _read_cached(
    root: str, layer: str, name: str, version: int, filters: tuple | None, _warehouse: Warehouse
) -> pd.DataFrame:
    return _warehouse.read(layer, name, filters=list(filters) if filters else None)


def table(
    warehouse: Warehouse, layer: str, name: str, *, quiet: bool = False, filters: tuple | None = None
) -> pd.DataFrame | None:
    """The table as pandas, or None after saying what to run (nothing when ``quiet``)."""
    try:
        version = warehouse.version(layer, name)
        return _read_cached(str(warehouse.root), layer, name, version, filters, warehouse)
    except MissingTable as exc:
        if not quiet:
            st.info(f"No data yet. {exc}.")
        return None


def _dates_as_days(frame: pd.DataFrame) -> pd.DataFrame:
    """DATE columns shown as 2025-12-31, not 2025-12-31 00:00:00."""
    out = frame.copy()
    for column in out.columns:
        values = out[column].dropna()
        naive = pd.api.types.is_datetime64_any_dtype(out[column]) and out[column].dt.tz is None
        if naive and (values == values.dt.normalize()).all():
            out[column] = out[column].dt.date
    return out


def _setup(title: str) -> tuple[dict, Warehouse] | None:
    st.title(title)
    configs = _configs()
    if configs is None:
        return None
    warehouse = _warehouse(configs)
    return (configs, warehouse) if warehouse is not None else None


def _line_chart(frame: pd.DataFrame, x: str, y: str, color: str, title: str, fmt: str | None = None) -> go.Figure:
    fig = go.Figure()
    for key, part in frame.groupby(color, sort=True):
        fig.add_trace(go.Scatter(x=part[x], y=part[y], mode="lines+markers", name=str(key)))
    fig.update_layout(title=title, height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    if fmt:
        fig.update_yaxes(tickformat=fmt)
    return fig


# ---------------------------------------------------------------- pages


PLANNER_FORMATS = {
    "items": "{:,.0f}",
    "profit": "{:,.0f}",
    "baseline profit": "{:,.0f}",
    "ceiling": "{:,.0f}",
    "gain captured": "{:.1%}",
    "fill rate": "{:.1%}",
    "baseline fill rate": "{:.1%}",
    "waste": "{:.1%}",
    "baseline waste": "{:.1%}",
    "vs baseline": "{:+,.0f}",
    "target": "{:.1%}",
}


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as text in PLANNER_FORMATS ("n/a" when missing), for st.table."""
    out = frame.copy()
    for column, fmt in PLANNER_FORMATS.items():
        if column in out.columns:
            out[column] = [fmt.format(v) if pd.notna(v) else "n/a" for v in out[column]]
    return out.fillna("")


def planner_page() -> None:
    """The first page: what the recommendation earns against the baseline and against perfect foresight, on the
    walk-forward evaluation window it never saw, and which items to look at."""
    setup = _setup("Planner")
    if setup is None:
        return
    _, warehouse = setup
    metrics = table(warehouse, "gold", "policy_metrics")
    if metrics is None or metrics.empty:
        return
    summary = planner_summary(metrics)
    if summary.empty:
        st.info("No walk-forward evaluation with a recommended portfolio yet: run `make demo` (its evaluate step).")
        return
    window = metrics[(metrics["policy_id"] == "recommended") & (metrics["period"] == "horizon")]
    newest = window[window["as_of"] == window["as_of"].max()].iloc[0]
    st.subheader(
        f"Recommended portfolio, all stores, {newest['period_start']:%Y-%m-%d} to {newest['period_end']:%Y-%m-%d}"
    )
    st.caption(
        "Walk-forward, out of sample: each item under the policy recommended on the window before. Ceiling = the "
        "best profit possible on the same items with the demand and deliveries known in advance; gain captured = "
        "(profit - baseline) / (ceiling - baseline)."
    )
    st.table(_formatted(summary).set_index("segment"))
    recommendation = table(warehouse, "gold", "policy_recommendation", quiet=True)
    if recommendation is None or recommendation.empty:
        return
    left, right = st.columns([1, 3])
    left.markdown("**Items per recommended policy**")
    left.table(items_per_policy(recommendation).set_index("policy_id"))
    review = items_to_review(recommendation)
    right.markdown(f"**Items to review** ({len(review)}): the recommendation lost to the baseline or missed its target")
    right.dataframe(review.style.format(PLANNER_FORMATS, na_rep="n/a"), hide_index=True, width="stretch")


def policies_page() -> None:
    setup = _setup("Policies")
    if setup is None:
        return
    configs, warehouse = setup
    st.caption(f"Every policy configured in `{_settings().policies_path}`, and its last optimization.")
    params = table(warehouse, "gold", "policy_parameters", quiet=True)
    runs = table(warehouse, "gold", "job_runs", quiet=True)
    if params is None:
        st.info("No policy has been optimized yet: run `make demo` (or `lakehouse-inv run --steps optimize`).")
    st.table(policies_overview(configs["policies"], params, runs).set_index("id"))


def performance_page() -> None:
    setup = _setup("Performance")
    if setup is None:
        return
    _, warehouse = setup
    metrics = table(warehouse, "gold", "policy_metrics")
    if metrics is None or metrics.empty:
        return
    stores = sorted(metrics["store_id"].unique(), key=lambda s: (s != "ALL", s))
    policy_ids = sorted(metrics["policy_id"].unique())
    left, middle, right = st.columns([1, 1, 2])
    store = left.selectbox("Store", stores, key="perf_store")
    period = middle.radio("Period", list(PERIODS), format_func=PERIODS.get, horizontal=True, key="perf_period")
    chosen = right.multiselect("Policies", policy_ids, key="perf_policies", placeholder="all policies")
    evaluation = None
    if "evaluation" in metrics.columns:  # how policies were scored, when gold.policy_metrics records it
        kinds = sorted(metrics["evaluation"].dropna().unique(), key=lambda k: (k != "walk_forward", k))
        evaluation = st.selectbox("Evaluation", kinds, key="perf_evaluation") if len(kinds) > 1 else None
    segment = "all"
    if "segment" in metrics.columns:
        segments = sorted(metrics["segment"].dropna().unique(), key=lambda s: (s != "all", s))
        segment = st.radio("Segment", segments, horizontal=True, key="perf_segment") if len(segments) > 1 else "all"
    rows = filter_metrics(metrics, store, period, chosen, evaluation, segment)
    if rows.empty:
        st.info(f"No metrics for store {store} over {PERIODS[period].lower()}.")
        return
    cards = latest_cards(rows)
    st.subheader(f"{PERIODS[period]} to {cards['as_of'].max():%Y-%m-%d}, store {store}")
    st.caption(
        "Under each value: the improvement over the baseline on the same items (positive = better); for profit, "
        "in money and as % of the baseline's revenue."
    )
    for _, row in cards.iterrows():
        baseline = f" (baseline: {row['baseline_id']})" if pd.notna(row.get("baseline_id")) else ""
        st.markdown(f"**{row['policy_id']}**{baseline}")
        for column, (label, value, delta) in zip(st.columns(len(METRICS)), card_values(row), strict=True):
            column.metric(label, value, delta, help="improvement over the baseline" if delta else None)
    st.subheader("Over evaluation dates")
    chart_columns = st.columns(2)
    for index, (label, (column, _, fmt)) in enumerate(METRICS.items()):
        axis = ".1%" if "%" in fmt else None
        figure = _line_chart(rows, "as_of", column, "policy_id", f"{label} ({column})", axis)
        chart_columns[index % 2].plotly_chart(figure, width="stretch", key=f"perf_chart_{column}", config=PLOT)


def inventory_page() -> None:
    setup = _setup("Inventory")
    if setup is None:
        return
    _, warehouse = setup
    status = table(warehouse, "gold", "inventory_status")
    if status is not None and not status.empty:
        stores = sorted(status["store_id"].unique())
        chosen = st.multiselect("Stores", stores, key="inv_stores", placeholder="all stores") or stores
        measure = st.radio("Measure", ["on_hand_value", "on_hand_units"], horizontal=True, key="inv_measure")
        shown = status[status["store_id"].isin(chosen)].sort_values(["store_id", "date"])
        fig = _line_chart(shown, "date", measure, "store_id", f"End-of-day {measure.replace('_', ' ')} per store")
        out = shown[shown["items_out_of_stock"].fillna(0) > 0]
        fig.add_trace(
            go.Scatter(
                x=out["date"],
                y=out[measure],
                mode="markers",
                name="stock-out day",
                marker={"symbol": "x", "color": "red", "size": 8},
                text=out["store_id"] + ": " + out["items_out_of_stock"].astype("Int64").astype(str) + " items out",
            )
        )
        st.plotly_chart(fig, width="stretch", key="inv_store_chart", config=PLOT)
    st.subheader("Store x product")
    sales = table(warehouse, "gold", "daily_sales")
    if sales is None or sales.empty:
        return
    left, middle, right = st.columns(3)
    store = left.selectbox("Store", sorted(sales["store_id"].unique()), key="inv_item_store")
    products = sorted(sales.loc[sales["store_id"] == store, "product_id"].unique())
    product = middle.selectbox("Product", products, key="inv_item_product")
    params = table(warehouse, "gold", "policy_parameters", quiet=True)
    item_policies = []
    if params is not None:
        mine = params[(params["store_id"] == store) & (params["product_id"] == product)]
        item_policies = sorted(mine["policy_id"].unique())
    policy = right.selectbox("Policy", item_policies or ["(none optimized)"], key="inv_item_policy")
    history = sales[(sales["store_id"] == store) & (sales["product_id"] == product)].sort_values("date")
    fig = go.Figure()
    fig.add_trace(go.Bar(x=history["date"], y=history["units"], name="units sold", marker_color="#8fb3d9"))
    fig.add_trace(go.Scatter(x=history["date"], y=history["on_hand_end"], name="stock at close", mode="lines"))
    item_filter = (("store_id", "=", store), ("product_id", "=", product))
    forecast = table(warehouse, "gold", "demand_forecast", quiet=True, filters=item_filter)
    if forecast is not None and not forecast.empty:
        item = forecast[(forecast["store_id"] == store) & (forecast["product_id"] == product)]
        if not item.empty:
            item = item[item["as_of"] == item["as_of"].max()].sort_values("target_date")
            band_x = pd.concat([item["target_date"], item["target_date"][::-1]])
            band_y = pd.concat([item["p90"], item["p10"][::-1]])
            fig.add_trace(
                go.Scatter(x=band_x, y=band_y, fill="toself", name="80% band (p10-p90)", line={"width": 0}, opacity=0.3)
            )
            fig.add_trace(go.Scatter(x=item["target_date"], y=item["mean"], name="forecast mean", mode="lines"))
    else:
        st.info("No forecast yet (the `forecast` step writes gold.demand_forecast).")
    for label, level in policy_levels(params, policy, store, product).items():
        fig.add_hline(y=level, line_dash="dash", annotation_text=f"{policy} {label} = {level:,.1f}")
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title=f"{store} x {product}")
    st.plotly_chart(fig, width="stretch", key="inv_item_chart", config=PLOT)


def stores_page() -> None:
    setup = _setup("Stores")
    if setup is None:
        return
    _, warehouse = setup
    stores = table(warehouse, "silver", "stores")
    if stores is None:
        return
    overview = store_overview(
        stores,
        table(warehouse, "silver", "store_storage", quiet=True),
        table(warehouse, "silver", "departments", quiet=True),
        table(warehouse, "silver", "store_product", quiet=True),
        table(warehouse, "silver", "store_product_supplier", quiet=True),
    )
    st.table(overview.set_index("store_id"))
    st.subheader("KPIs, last 28 days")
    kpis = store_kpis(
        table(warehouse, "gold", "inventory_status", quiet=True), table(warehouse, "gold", "daily_sales", quiet=True)
    )
    if kpis.empty:
        st.info("No gold.daily_sales / gold.inventory_status yet: run `make demo` first.")
        return
    st.table(kpis.set_index("store_id").style.format(KPI_FORMATS, na_rep="–"))


def orders_page() -> None:
    setup = _setup("Orders")
    if setup is None:
        return
    _, warehouse = setup
    orders = table(warehouse, "gold", "orders")
    if orders is None:
        return
    if orders.empty:
        st.info("gold.orders is empty: the policies have not proposed any order yet.")
        return
    all_stores = sorted(orders["store_id"].unique())
    first, last = orders["order_date"].min().date(), orders["order_date"].max().date()
    left, middle, right = st.columns([2, 2, 2])
    stores = left.multiselect("Stores", all_stores, key="orders_stores", placeholder="all stores") or all_stores
    picked = middle.date_input("Order dates", (first, last), key="orders_dates")
    policies = right.multiselect("Policies", sorted(orders["policy_id"].unique()), key="orders_policies")
    if not isinstance(picked, tuple | list) or len(picked) != 2:
        st.info("Choose the last date of the range too.")
        return
    start, end = picked
    # as export-orders: the recommended orders unless policies are picked
    recommended_only = not policies and "recommended" in orders.columns
    rows = select_order_rows(orders, stores, start, end, policies or None, recommended_only=recommended_only)
    counts = rows["status"].value_counts().sort_index()
    summary = ", ".join(f"{n:,} {status}" for status, n in counts.items()) or "none"
    which = " (the recommended order per item; pick policies to see theirs)" if recommended_only else ""
    st.markdown(f"**{len(rows):,} orders** of {', '.join(stores)} from {start} to {end}: {summary}{which}")
    st.download_button(
        "Download CSV",
        orders_csv(rows),
        file_name=f"orders_{start:%Y%m%d}_{end:%Y%m%d}.csv",
        mime="text/csv",
        key="orders_download",
    )
    st.dataframe(_dates_as_days(rows), hide_index=True, width="stretch")


def configuration_page() -> None:
    st.title("Configuration")
    settings = _settings()
    path = settings.policies_path
    if not path.exists():
        st.error(f"{path} does not exist.")
        return
    st.markdown(f"Policies file: `{path}`" + (f" (environment overlay `{settings.env}`)" if settings.env else ""))
    st.download_button(
        "Download policies.yml", path.read_bytes(), file_name="policies.yml", mime="text/yaml", key="conf_download"
    )
    upload = st.file_uploader("Upload an edited policies.yml", type=["yml", "yaml"], key="conf_upload")
    if upload is None:
        return
    content = upload.getvalue()
    try:
        policies = validate_policies(content, settings)
    except ConfigError as exc:
        st.error(f"Rejected, nothing was changed:\n\n```\n{exc}\n```")
        return
    st.success(f"Valid: {len(policies.policies)} policies ({len(policies.active)} active).")
    saved_key = f"saved:{upload.file_id}"
    if st.session_state.get(saved_key):
        st.success(st.session_state[saved_key])
        return
    if st.button("Save as the new policies.yml", key="conf_save"):
        try:
            _, backup = save_policies(content, settings)
        except ConfigError as exc:
            st.error(f"Rejected, nothing was changed:\n\n```\n{exc}\n```")
            return
        st.session_state[saved_key] = f"Saved {path}; the previous version is kept as {backup.name}. Next run uses it."
        st.rerun()


def run_page() -> None:
    setup = _setup("Run")
    if setup is None:
        return
    _, warehouse = setup
    settings = _settings()
    manager = manager_for(Path(RUN_STATE_DIR))
    st.caption(
        "Optimize the policies and generate orders (optionally evaluate) as a background "
        "`lakehouse-inv run`; one run at a time. Chosen stores / products are re-optimized and re-ordered whatever "
        "the schedules say; none chosen = every item whose schedule is due. Evaluate replays all items. "
        "A service level α replaces the optimized items' missed-sale cost by h·α/(1−α) (the critical ratio "
        "α = π/(π+h)); empty = each item's configured costs."
    )
    items = table(warehouse, "silver", "store_product", quiet=True)
    stores = sorted(items["store_id"].unique()) if items is not None else []
    products = sorted(items["product_id"].unique()) if items is not None else []
    if items is None:
        st.info("No silver.store_product yet: run `make demo` first; a run needs the master data and a forecast.")
    with st.form("run_form"):
        chosen_stores = st.multiselect("Stores", stores, placeholder="all stores", key="run_stores")
        chosen_products = st.multiselect("Products", products, placeholder="all products", key="run_products")
        service_level = st.number_input(
            "Service level override (empty = configured costs)",
            min_value=SERVICE_LEVEL.inner(SERVICE_LEVEL_DECIMALS)[0],
            max_value=SERVICE_LEVEL.inner(SERVICE_LEVEL_DECIMALS)[1],
            value=None,
            step=0.01,
            format=f"%.{SERVICE_LEVEL_DECIMALS}f",
            placeholder="configured costs",
            key="run_service_level",
        )
        evaluate = st.checkbox("Evaluate afterwards (replays all policies: slower)", key="run_evaluate")
        launched = st.form_submit_button("Launch run")
    if launched:
        try:
            request = RunRequest(chosen_stores, chosen_products, evaluate, service_level)
            state = manager.launch(request, settings.conf_dir, settings.env)
            st.success(f"Started run {state.run_id}.")
        except RunInProgress as exc:
            st.warning(f"Refused: {exc}")
        except ValueError as exc:
            st.error(f"Rejected, nothing was launched: {exc}")
    _run_progress(manager, warehouse)


@st.fragment(run_every=1.0)
def _run_progress(manager, warehouse: Warehouse) -> None:
    state = manager.current()
    if state is None:
        st.info("No run launched from this dashboard yet.")
        return
    st.markdown(f"**Run {state.run_id}**: {state.status} (started {state.started_at})")
    st.code(" ".join(state.command), language="bash")
    if state.running:
        st.code("\n".join(progress_lines(manager.log())) or "(starting ...)", language="text")
        return
    st.code(manager.log() or "(no output)", language="text")  # step lines, summary, policy comparison
    if state.returncode != 0:
        st.error("The run failed; the end of its error output:")
        st.code("\n".join(manager.errors().splitlines()[-40:]), language="text")
        return
    orders = table(warehouse, "gold", "orders", quiet=True)
    new = orders[orders["_run_id"] == state.run_id] if orders is not None else pd.DataFrame()
    st.markdown(f"**{len(new):,} new or changed orders** in gold.orders from this run")
    if not new.empty:
        st.dataframe(
            _dates_as_days(select_order_rows(new, sorted(new["store_id"].unique()), dt.date.min, dt.date.max)),
            hide_index=True,
            width="stretch",
        )
