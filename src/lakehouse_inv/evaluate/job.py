"""``evaluate`` job: score every active policy and the baselines on the same true demand, and recommend one policy
per store-product.

Demand is the true demand (``silver.daily_demand.requests``: every request, sold or lost) where known, else the
observed sales. Each store's items under every policy are replayed together in one cogrouped pandas call
(:func:`~lakehouse_inv.replenishment.replay.replay`). Two modes (``conf/base/evaluate.yml`` ``modes``):

* ``walk_forward`` (:mod:`.walk_forward`): re-forecast and re-optimized on each policy's own schedule from the data
  up to each decision, from the stock on hand, with late and short deliveries; a selection window then an
  evaluation window ending on ``--as-of``. Writes ``gold.policy_recommendation`` (:mod:`.recommend`) and the
  recommended portfolio (``policy_id = 'recommended'``, evaluation-window periods only).
* ``replay``: the latest parameters replayed over the ``horizon_days`` ending on ``--as-of`` from empty stock with
  promised lead times: a quick hindsight score.

The daily levels go to ``gold.inventory_levels`` (each mode's rows replaced by its latest run), the metrics per
policy x store x period to ``gold.policy_metrics`` (rows for ``--as-of`` and the mode replaced).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import reduce
from typing import NamedTuple

import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.aggregate import ALL_SEGMENTS, ALL_STORES, period_metrics, with_improvement
from lakehouse_inv.evaluate.config import BaselineConfig, EvaluateConfig
from lakehouse_inv.evaluate.gain import ceiling_frame, with_ceiling, with_segment
from lakehouse_inv.evaluate.inputs import (
    REPLAY_KEYS,
    baseline_items,
    replay_frame,
    replay_terms,
    true_demand,
)
from lakehouse_inv.evaluate.metrics import NEAR_ZERO_PROFIT, PERIOD_DAYS, period_bounds
from lakehouse_inv.evaluate.recommend import RECOMMENDED, recommend, recommended_items
from lakehouse_inv.evaluate.walk_forward import (
    STATE,
    Windows,
    carried_stretch,
    fingerprint,
    plan_windows,
    save_state,
    walk_forward_items,
)
from lakehouse_inv.lakehouse.numeric import exact_sum
from lakehouse_inv.optimize.config import ITEM_KEYS
from lakehouse_inv.optimize.solver import SolverOptions
from lakehouse_inv.optimize.sources import current_items, latest_forecast, latest_parameters
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.schedule import due, note
from lakehouse_inv.pipeline.writes import publish_gold, rows_of_the_day
from lakehouse_inv.replenishment.baseline import service_levels

LEVELS, METRICS, RECOMMENDATION = "inventory_levels", "policy_metrics", "policy_recommendation"
REPLAY, WALK_FORWARD = "replay", "walk_forward"
SELECTION = "selection"
NOT_IN_LEVELS = ("purchase_cost",)
"""Replay columns summed into the metrics but not kept in gold.inventory_levels."""
Period = tuple[str, dt.date, dt.date]


def describe(baseline: BaselineConfig) -> str:
    if baseline.rule == "service_cover":
        return (
            "on its supplier's delivery days (at most every shelf life / 2 days; every "
            f"{baseline.review_days} days without a delivery rhythm) order up to lead time + review days of recent "
            "in-stock sales + safety stock for the item's service level, within what sells before expiry"
        )
    if baseline.rule == "days_of_cover":
        cover = f"lead time + {baseline.review_days} + {baseline.safety_days:g} days"
        return f"every {baseline.review_days} days order up to {cover} of recent sales"
    return f"every {baseline.review_days} days reorder what sold since the last order"


def _share(value: float, of: float) -> str:
    """``value`` as a % of ``of`` (a revenue), "n/a" when ``of`` is missing or not positive."""
    return f"{value / of:+.1%}" if pd.notna(value) and pd.notna(of) and of > 0 else "n/a"


def profit_change(row: object) -> str:
    """The profit change against the baseline: money, and % of the baseline's profit only when that profit is
    positive and not near zero (a percentage of a loss or of almost nothing says nothing); "n/a" otherwise."""
    base, revenue = row.profit_baseline, row.total_revenue_baseline
    money = row.profit - base
    meaningful = pd.notna(base) and pd.notna(revenue) and base > NEAR_ZERO_PROFIT * abs(revenue)
    percent = f"{money / base:+.1%}" if meaningful else "n/a"
    return f"{money:>+12,.0f}{percent:>9}"


def comparison_table(metrics: pd.DataFrame) -> str:
    """The chain-wide comparison printed at the end of a run: per policy items, TR, NR, NSE, TOR, fill rate, CSL,
    units disposed, cost, profit and the changes against the baseline (profit in money, as % of the baseline's
    revenue and, where meaningful, as % of its profit), the profit ceiling and the share of the gain captured."""
    header = (
        f"{'policy':<22}{'items':>6}{'TR':>13}{'NR':>8}{'NSE':>9}{'TOR':>8}{'fill':>7}{'CSL':>7}{'disposed':>10}"
        f"{'cost':>11}{'profit':>12}{'TR vs base':>12}{'fill vs base':>13}{'profit vs base':>21}{'% rev':>8}"
        f"{'ceiling':>12}{'gain captured':>15}"
    )
    lines = [header, "-" * len(header)]
    for row in metrics.itertuples():
        fill_change = row.fill_rate - row.fill_rate_baseline  # percentage points
        lines.append(
            f"{row.policy_id:<22}{row.items:>6}{row.total_revenue:>13,.0f}{row.normalized_revenue:>8.3f}"
            f"{row.stockout_events:>9,.0f}{row.turnover_ratio:>8.1f}{row.fill_rate:>7.1%}{row.cycle_service_level:>7.1%}"
            f"{row.disposed:>10,.0f}{row.total_cost:>11,.0f}{row.profit:>12,.0f}{row.total_revenue_improvement:>+12.1%}"
            f"{fill_change * 100:>+10.1f} pt{profit_change(row)}"
            f"{_share(row.profit - row.profit_baseline, row.total_revenue_baseline):>8}"
            f"{_money(getattr(row, 'profit_ceiling', None)):>12}{_ratio_cell(getattr(row, 'gain_captured', None)):>15}"
        )
    return "\n".join(lines)


def _money(value: object) -> str:
    return f"{value:,.0f}" if value is not None and pd.notna(value) else "n/a"


def _ratio_cell(value: object) -> str:
    return f"{value:.1%}" if value is not None and pd.notna(value) else "n/a"


def above_ceiling(metrics: pd.DataFrame) -> str:
    """The rows of a comparison whose ceiling note says they are above their ceiling (a defect: every row, the
    portfolio included, is a replay that sends its own trucks), one line; empty when none."""
    if "ceiling_note" not in metrics.columns:
        return ""
    above = metrics[metrics["ceiling_note"].fillna("").str.contains("above the ceiling")]
    return "; ".join(
        f"{r.policy_id}: {r.ceiling_note} ({r.profit:,.0f} > {r.profit_ceiling:,.0f})" for r in above.itertuples()
    )


SANITY_SUMS = ("revenue", "purchase_cost", "disposal_cost", "ordering_cost", "holding_cost")
SANITY_UNITS = ("received", "disposed", "sold", "demand")


def world_sanity(rows: DataFrame, products: DataFrame, policy_id: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per segment (perishable, non_perishable, all) the economics of ``policy_id``'s replay rows in [start, end]:
    revenue, gross margin (revenue − purchase cost of the units sold, over revenue), waste (units disposed / units
    received), ordering cost (shipments + freight) over revenue, fill rate and net margin (profit / revenue)."""
    segment = F.when(F.coalesce("is_perishable", F.lit(False)), F.lit("perishable")).otherwise(F.lit("non_perishable"))
    window = rows.where(
        (F.col("policy_id") == policy_id) & (F.col("status") == "ok") & F.col("date").between(F.lit(start), F.lit(end))
    ).join(products.select("product_id", segment.alias("segment")), "product_id")
    totals = (
        window.rollup("segment")
        .agg(*[exact_sum(c).alias(c) for c in (*SANITY_SUMS, *SANITY_UNITS)])
        .withColumn("segment", F.coalesce("segment", F.lit("all")))
        .toPandas()
        .set_index("segment")
    )
    revenue = totals["revenue"].where(totals["revenue"] != 0)
    profit = revenue - totals[["purchase_cost", "disposal_cost", "ordering_cost", "holding_cost"]].sum(axis=1)
    out = pd.DataFrame(
        {
            "revenue": totals["revenue"],
            "gross_margin": (revenue - totals["purchase_cost"]) / revenue,
            "waste_rate": totals["disposed"] / totals["received"].where(totals["received"] != 0),
            "ordering_cost_share": totals["ordering_cost"] / revenue,
            "fill_rate": totals["sold"] / totals["demand"].where(totals["demand"] != 0),
            "net_margin": profit / revenue,
        }
    )
    return out.reindex([s for s in ("perishable", "non_perishable", "all") if s in out.index])


REAL_RETAIL = {
    "gross_margin": "25-40 % fresh, 25-35 % ambient",
    "waste_rate": "2-5 % fresh, <1 % ambient",
    "ordering_cost_share": "2-5 % (store delivery)",
    "fill_rate": "92-98 % (on-shelf availability)",
    "net_margin": "1-3 % (after store costs)",
}
"""General grocery-industry ranges the world sanity table is read against (README, "The simulated retailer")."""


def sanity_table(sanity: pd.DataFrame) -> str:
    """The world sanity table: one row per measure, one column per segment, and the real-retail range."""
    names = {
        "gross_margin": "gross margin % of revenue",
        "waste_rate": "waste % of units received",
        "ordering_cost_share": "ordering cost % of revenue",
        "fill_rate": "fill rate",
        "net_margin": "profit % of revenue",
    }
    header = f"{'':<28}" + "".join(f"{s:>16}" for s in sanity.index) + f"   {'real retail'}"
    lines = [header, "-" * (len(header) + 32)]
    lines.append(f"{'revenue':<28}" + "".join(f"{v:>16,.0f}" for v in sanity["revenue"]))
    for measure, label in names.items():
        cells = "".join(f"{v:>16.1%}" if pd.notna(v) else f"{'n/a':>16}" for v in sanity[measure])
        lines.append(f"{label:<28}{cells}   {REAL_RETAIL[measure]}")
    return "\n".join(lines)


def score(
    rows: DataFrame, periods: Sequence[Period], baseline_id: str, products: DataFrame, ceilings: DataFrame | None
) -> DataFrame:
    """Metrics per policy x store (and ALL) x segment (and all) x period, each policy compared with the baseline on
    its own items and with the profit ceiling of those items (:mod:`.gain`)."""
    rows = with_segment(rows, products)
    managed = rows.select(*REPLAY_KEYS).distinct()
    baseline_rows = rows.where(F.col("policy_id") == baseline_id).drop("policy_id")
    same_items = baseline_rows.join(managed, list(ITEM_KEYS))
    compared = with_improvement(period_metrics(rows, periods), period_metrics(same_items, periods), baseline_id)
    return with_ceiling(compared, ceilings)


def ceilings_of(
    mode: str,
    config: EvaluateConfig,
    items: DataFrame,
    members: DataFrame,
    ctx: JobContext,
    demand: DataFrame,
    periods,
    start,
    end,
) -> DataFrame | None:
    """The profit ceiling of every policy's items (``members``) per store x segment x period over the replay
    [start, end], from the baseline's items rows (every store-product's terms, opening stock, delivery history);
    None when ``mode`` is not one of ``ceiling.modes``."""
    if mode not in config.ceiling.modes:
        return None
    terms = items.where(F.col("policy_id") == config.baseline.id)
    ceiling = config.ceiling
    return ceiling_frame(
        terms,
        members,
        ctx.read("silver", "products"),
        demand,
        start=start,
        end=end,
        periods=periods,
        options=SolverOptions(ceiling.time_limit_s, {"mip_rel_gap": ceiling.mip_gap}),
        relax=ceiling.method == "lp",
    ).localCheckpoint()


def publish_evaluation(
    ctx: JobContext, result: StepResult, rows: DataFrame, metrics: DataFrame, evaluation: str
) -> None:
    """The mode's levels (replacing its previous run) and metrics (replacing its rows for ``--as-of``)."""
    labels = {"as_of": F.lit(ctx.as_of), "evaluation": F.lit(evaluation)}
    levels = rows.drop(*NOT_IN_LEVELS).withColumns(labels)
    today, mode = rows_of_the_day(ctx), f"t.evaluation = '{evaluation}'"
    # the latest evaluation replaces the previous one (in one overwrite when it is for another as-of: every row
    # changes); its rows are the step's input count
    outcome = publish_gold(ctx, LEVELS, levels, scope=mode, source=evaluation, renewal=today)
    result.record(f"gold.{LEVELS}", outcome)
    scored = metrics.withColumns(labels)
    scope = f"{today} AND {mode}"
    outcome = publish_gold(ctx, METRICS, scored, scope=scope, source=evaluation)
    result.record(f"gold.{METRICS}", outcome, counts_input=False)


def chain_table(ctx: JobContext, evaluation: str, period: str) -> pd.DataFrame:
    return (
        ctx.read("gold", METRICS)
        .where(
            (F.col("as_of") == F.lit(ctx.as_of))
            & (F.col("evaluation") == evaluation)
            & (F.col("store_id") == ALL_STORES)
            & (F.col("segment") == ALL_SEGMENTS)
            & (F.col("period") == period)
        )
        .orderBy(F.col("profit").desc_nulls_last(), "policy_id")
        .toPandas()
    )


class ModeReport(NamedTuple):
    """What one evaluation mode prints, and whether it ran (a mode can be skipped, e.g. too little history)."""

    text: str
    ran: bool = True


def run_replay(ctx: JobContext, config: EvaluateConfig, result: StepResult, first_day: dt.date) -> ModeReport:
    start = max(first_day, ctx.as_of - dt.timedelta(days=config.horizon_days - 1))
    horizon = (ctx.as_of - start).days + 1
    terms = replay_terms(
        current_items(ctx, latest_forecast(ctx)[1]), service_levels(ctx.read("silver", "store_product_supplier"))
    )
    solved = latest_parameters(ctx, ctx.configs["policies"].active).select(
        "policy_id", "policy_type", *ITEM_KEYS, "decision_json", "period_days"
    )
    items = reduce(
        DataFrame.unionByName,
        [solved.join(terms, list(ITEM_KEYS)), *(baseline_items(terms, b, start) for b in config.baselines)],
    ).persist(StorageLevel.MEMORY_AND_DISK)
    demand = true_demand(ctx, start, ctx.as_of)
    rows = replay_frame(items, demand, start, ctx.as_of).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        periods = [(p, *period_bounds(p, ctx.as_of, horizon_days=horizon)) for p in config.periods]
        members = rows.select(*REPLAY_KEYS).distinct()
        ceilings = ceilings_of(REPLAY, config, items, members, ctx, demand, periods, start, ctx.as_of)
        products = ctx.read("silver", "products")
        publish_evaluation(ctx, result, rows, score(rows, periods, config.baseline.id, products, ceilings), REPLAY)
    finally:
        rows.unpersist()
        items.unpersist()
    report = chain_table(ctx, REPLAY, config.report_period)
    above = above_ceiling(report)
    return ModeReport(
        f"Replay (hindsight), all stores, {config.report_period} ({start} .. {ctx.as_of}): the latest parameters "
        f"replayed from empty stock on true demand\n"
        + comparison_table(report)
        + (f"\nAbove the ceiling: {above}" if above else "")
    )


def walk_forward_periods(config: EvaluateConfig, windows: Windows) -> list[Period]:
    """The selection window, then the configured periods that fit in the evaluation window (``horizon`` = all of it)."""
    periods: list[Period] = [(SELECTION, windows.start, windows.selection_end)]
    for name in config.periods:
        if name == "horizon":
            periods.append((name, windows.evaluation_start, windows.end))
        elif PERIOD_DAYS[name] <= config.walk_forward.evaluation_days:
            periods.append((name, *period_bounds(name, windows.end)))
    return periods


def run_walk_forward(
    ctx: JobContext,
    config: EvaluateConfig,
    result: StepResult,
    first_day: dt.date,
    *,
    replay_start: dt.date | None = None,
) -> ModeReport:
    """The walk-forward mode; it extends the stored stretch when it can (:mod:`.walk_forward`, "Incremental").
    ``replay_start``: start a new stretch on that day (on or before the window's first day) instead."""
    forecast = ctx.configs["forecast"]
    step_days = config.walk_forward.forecast_step_days or forecast.backtest.step_days
    # the warm-up is shortened to the history the first forecast needs; the window itself is not
    earliest = first_day + dt.timedelta(days=forecast.min_history_days)
    windows = plan_windows(ctx.as_of, config, step_days, replay_start, earliest=earliest)
    stamp = fingerprint(ctx, config)
    carried = carried_stretch(ctx, config, windows, stamp) if replay_start is None else None
    if carried is not None:
        windows = plan_windows(ctx.as_of, config, step_days, carried.start)
    if windows.first_day < earliest:
        result.skipped.append(f"walk_forward: too little history before {windows.first_day} (data from {first_day})")
        return ModeReport(
            f"Walk-forward skipped: its replay starts on {windows.first_day} and its first forecast needs "
            f"{forecast.min_history_days} days of history before that (data starts on {first_day}); shorten "
            "walk_forward.selection_days / evaluation_days in evaluate.yml or load more history",
            ran=False,
        )
    items, new_rows, cached = walk_forward_items(ctx, config, windows, carried)
    # checkpointed, not only cached: the forecasts, solves and joins behind them make a plan too large to analyse
    # again for every write (and to print, on a small driver)
    new_rows = new_rows.localCheckpoint()
    items = items.localCheckpoint()
    if carried is None:
        warmup = (windows.start - windows.first_day).days
        result.due.append(f"walk_forward: a new stretch from {windows.first_day} ({warmup} days' warm-up)")
    else:
        result.due.append(
            f"walk_forward: extends the stretch from {carried.start}, evaluated through {carried.through}: only "
            f"the decisions from {carried.through} on are forecast and solved"
        )
    demand = true_demand(ctx, windows.first_day, windows.end)
    rows = replay_frame(items, demand, windows.first_day, windows.end).localCheckpoint()
    try:
        targets = service_levels(ctx.read("silver", "store_product_supplier"))
        recommendation = recommend(
            rows,
            ctx.read("silver", "store_product"),
            targets,
            candidates=[p.id for p in ctx.configs["policies"].active],
            baseline_id=config.baseline.id,
            default_service_level=config.baseline.default_service_level,
            selection=(windows.start, windows.selection_end),
            evaluation=(windows.evaluation_start, windows.end),
        ).withColumn("as_of", F.lit(ctx.as_of))
        outcome = publish_gold(ctx, RECOMMENDATION, recommendation, scope=rows_of_the_day(ctx), source=WALK_FORWARD)
        result.record(f"gold.{RECOMMENDATION}", outcome, counts_input=False)
        chosen = ctx.read("gold", RECOMMENDATION).where(F.col("as_of") == F.lit(ctx.as_of))
        # the portfolio replayed as one set (one truck per store x supplier), scored on the evaluation window only
        portfolio = (
            replay_frame(recommended_items(items, chosen), demand, windows.first_day, windows.end)
            .where(F.col("date") >= F.lit(windows.evaluation_start))
            .localCheckpoint()
        )
        periods = walk_forward_periods(config, windows)
        members = rows.select(*REPLAY_KEYS).unionByName(portfolio.select(*REPLAY_KEYS)).distinct()
        # the evaluation window's periods (the selection window is where the recommendation was chosen, and its
        # ceiling, a model from the stretch's first day, the costliest to bound), from the replay's first day,
        # where its opening stock is: an extended stretch starts before the window
        scored = [p for p in periods if p[0] != SELECTION]
        start = windows.first_day
        ceilings = ceilings_of(WALK_FORWARD, config, items, members, ctx, demand, scored, start, windows.end)
        products = ctx.read("silver", "products")
        metrics = score(rows.unionByName(portfolio), periods, config.baseline.id, products, ceilings)
        publish_evaluation(ctx, result, rows, metrics, WALK_FORWARD)
        result.record(f"gold.{STATE}", save_state(ctx, new_rows, windows, carried, stamp), counts_input=False)
        period = "last_quarter" if config.walk_forward.evaluation_days >= PERIOD_DAYS["last_quarter"] else "horizon"
        sanity_start = period_bounds(period, windows.end)[0] if period in PERIOD_DAYS else windows.evaluation_start
        sanity = world_sanity(rows, ctx.read("silver", "products"), config.baseline.id, sanity_start, windows.end)
    finally:
        for frame in (rows, items, new_rows, *cached):
            frame.unpersist()
    report = chain_table(ctx, WALK_FORWARD, period)
    counts = (
        ctx.read("gold", RECOMMENDATION)
        .where(F.col("as_of") == F.lit(ctx.as_of))
        .groupBy("policy_id")
        .count()
        .orderBy(F.col("count").desc(), "policy_id")
        .collect()
    )
    mix = ", ".join(f"{r.policy_id} {r['count']}" for r in counts)
    above = above_ceiling(report)
    return ModeReport(
        f"Walk-forward, all stores, {period} ({windows.evaluation_start} .. {windows.end}; chosen on "
        f"{windows.start} .. {windows.selection_end}; replayed from {windows.first_day}; "
        f"{len(windows.origins)} forecast origins, each policy "
        f"re-optimized on its schedule; '{RECOMMENDED}' = each item under its recommended policy, out of sample, one "
        "truck per store x supplier; "
        f"baseline '{config.baseline.id}' = {describe(config.baseline)})\n"
        + comparison_table(report)
        + (f"\nAbove the ceiling: {above}" if above else "")
        + f"\nRecommended policy per store-product: {mix}"
        + f"\n\nWorld sanity: the baseline '{config.baseline.id}', all stores, {period} ({sanity_start} .. "
        f"{windows.end}), per segment\n" + sanity_table(sanity)
    )


def last_evaluated(ctx: JobContext) -> dt.date | None:
    """The as-of date of the latest evaluation on or before the run's (its metrics' ``as_of``)."""
    return ctx.read("gold", METRICS).where(F.col("as_of") <= F.lit(ctx.as_of)).agg(F.max("as_of")).first()[0]


def run(ctx: JobContext) -> StepResult:
    config: EvaluateConfig = ctx.configs["evaluate"]
    ctx.catalog.ensure_tables(ctx.spark, "gold", [LEVELS, METRICS, RECOMMENDATION, STATE])
    result = StepResult()
    decision = due(ctx, "evaluate", config.schedule, last_evaluated(ctx), by_scope=True)
    note(result, "evaluate", decision)
    if not decision.due:
        return result
    first_day = ctx.read("silver", "daily_demand").agg(F.min("date")).first()[0]
    if first_day is None:
        result.message = "no demand to replay"
        return result
    modes = {WALK_FORWARD: run_walk_forward, REPLAY: run_replay}
    reports = {m: modes[m](ctx, config, result, first_day) for m in config.modes}
    result.report = "\n\n".join(r.text for r in reports.values())
    result.message = f"evaluated: {', '.join(m for m, r in reports.items() if r.ran) or 'nothing'}"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["evaluate"], argv, prog="lakehouse-inv-evaluate")
