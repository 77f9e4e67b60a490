"""Walk-forward evaluation: decision days per schedule, no decision uses later data, the recommendation rule, and
the whole mode on a small simulated world (one recommendation per store-product, out-of-sample portfolio rows)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pyspark.sql import functions as F

from lakehouse_inv.evaluate.config import EvaluateConfig, WalkForwardConfig
from lakehouse_inv.evaluate.job import run_walk_forward
from lakehouse_inv.evaluate.recommend import recommend
from lakehouse_inv.evaluate.walk_forward import STATE, Windows, decision_days, plan_windows
from lakehouse_inv.forecast.step import forecasts_at_origins
from lakehouse_inv.optimize.config import PolicyConfig
from lakehouse_inv.pipeline.context import StepResult
from lakehouse_inv.pipeline.options import RunOptions
from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import resolve

AS_OF = dt.date(2025, 3, 31)


def test_windows_and_origins() -> None:
    config = EvaluateConfig(walk_forward=WalkForwardConfig(selection_days=14, evaluation_days=7, warmup_days=0))
    w = plan_windows(AS_OF, config, step_days=7)
    assert (w.start, w.selection_end, w.evaluation_start, w.end) == (
        dt.date(2025, 3, 11),
        dt.date(2025, 3, 24),
        dt.date(2025, 3, 25),
        AS_OF,
    )
    assert w.origins == (dt.date(2025, 3, 11), dt.date(2025, 3, 18), dt.date(2025, 3, 25))
    # an extended stretch: the same window, replayed (and forecast every 7 days) from an earlier first day
    extended = plan_windows(AS_OF, config, step_days=7, replay_start=dt.date(2025, 3, 4))
    assert (extended.start, extended.first_day, extended.days) == (w.start, dt.date(2025, 3, 4), 28)
    assert extended.origins == (dt.date(2025, 3, 4), dt.date(2025, 3, 11), dt.date(2025, 3, 18), dt.date(2025, 3, 25))
    with pytest.raises(ValueError, match="on or before the window's first day"):
        plan_windows(AS_OF, config, step_days=7, replay_start=dt.date(2025, 3, 12))
    # a warm-up: the same window, the stretch starting that many days before it (scored in no window), shortened
    # to the first day with enough history, never into the window
    warm = config.model_copy(update={"walk_forward": config.walk_forward.model_copy(update={"warmup_days": 10})})
    assert plan_windows(AS_OF, warm, step_days=7).first_day == dt.date(2025, 3, 1)
    assert plan_windows(AS_OF, warm, step_days=7, earliest=dt.date(2025, 3, 6)).first_day == dt.date(2025, 3, 6)
    assert plan_windows(AS_OF, warm, step_days=7, earliest=dt.date(2025, 3, 20)).first_day == w.start
    assert plan_windows(AS_OF, warm, step_days=7).start == w.start


def test_each_policy_re_optimizes_on_its_schedule_from_the_latest_origin() -> None:
    origins = (dt.date(2025, 3, 3), dt.date(2025, 3, 13))
    w = Windows(dt.date(2025, 3, 3), dt.date(2025, 3, 16), dt.date(2025, 3, 17), dt.date(2025, 3, 30), origins)
    weekly = PolicyConfig(
        id="w", type="RS", partition_fields=["store_id"], optimization_schedule="0 2 * * 1"
    )  # Mondays: Mar 3, 10, 17, 24
    daily = PolicyConfig(id="d", type="RS", partition_fields=["store_id"], optimization_schedule="0 2 * * *")
    monthly = PolicyConfig(id="m", type="RS", partition_fields=["store_id"], optimization_schedule="0 3 1 * *")
    # the weekly policy sees the Mar 13 forecast first on Monday Mar 17; the daily one on Mar 13 itself
    assert decision_days(weekly, w) == [
        (dt.date(2025, 3, 3), dt.date(2025, 3, 3)),
        (dt.date(2025, 3, 13), dt.date(2025, 3, 17)),
    ]
    assert decision_days(daily, w) == [
        (dt.date(2025, 3, 3), dt.date(2025, 3, 3)),
        (dt.date(2025, 3, 13), dt.date(2025, 3, 13)),
    ]
    # the monthly one fires on Apr 1 only, after the window: it keeps its first decision
    assert decision_days(monthly, w) == [(dt.date(2025, 3, 3), dt.date(2025, 3, 3))]


def _rows(spark, scores):
    """Replay-like rows: one day per (policy, product) with the given revenue, sold and demand."""
    day = dt.date(2025, 1, 1)
    data = [
        (p, "S1", product, day, "ok", revenue, 0.0, 0.0, 0.0, 0.0, float(sold), float(demand))
        for p, product, revenue, sold, demand in scores
    ]
    return spark.createDataFrame(
        data,
        "policy_id string, store_id string, product_id string, date date, status string, revenue double,"
        " purchase_cost double, holding_cost double, ordering_cost double, disposal_cost double, sold double,"
        " demand double",
    )


def test_recommendation_picks_the_best_profit_meeting_the_target_else_one_filling_as_the_baseline(spark) -> None:
    rows = _rows(
        spark,
        [
            # P1: A earns most but misses the 95% target; B meets it and beats the baseline
            ("A", "P1", 120.0, 90, 100),
            ("B", "P1", 110.0, 96, 100),
            ("baseline", "P1", 100.0, 97, 100),
            # P2: nobody meets 95% and A fills less than the baseline: the baseline stays, whatever the profits
            ("A", "P2", 150.0, 80, 100),
            ("baseline", "P2", 90.0, 85, 100),
            # P4: nobody meets 95%; A and B fill at least the baseline's 85%: the more profitable of them, B;
            # C earns most but fills less than the baseline
            ("A", "P4", 95.0, 90, 100),
            ("B", "P4", 105.0, 85, 100),
            ("C", "P4", 200.0, 84, 100),
            ("baseline", "P4", 100.0, 85, 100),
        ],
    )
    store_product = spark.createDataFrame(
        [("S1", "P1"), ("S1", "P2"), ("S1", "P3"), ("S1", "P4")], "store_id string, product_id string"
    )
    targets = spark.createDataFrame([("S1", "P1", 0.95)], "store_id string, product_id string, service_level double")
    day = dt.date(2025, 1, 1)
    out = {
        r.product_id: r
        for r in recommend(
            rows,
            store_product,
            targets,
            candidates=["A", "B", "C"],
            baseline_id="baseline",
            default_service_level=0.95,
            selection=(day, day),
            evaluation=(day + dt.timedelta(days=1), day + dt.timedelta(days=2)),
        ).collect()
    }
    assert out["P1"].policy_id == "B" and out["P1"].expected_profit == 110.0 and out["P1"].baseline_profit == 100.0
    assert out["P1"].candidates == 3 and out["P1"].candidates_meeting == 2
    assert out["P1"].reason.startswith("highest profit among the 2 of 3 candidates meeting the 95.0% fill-rate target")
    assert out["P2"].policy_id == "baseline" and out["P2"].fill_rate == pytest.approx(0.85)
    assert out["P2"].reason == "no candidate met the 95.0% fill-rate target (best 85.0%): kept on the baseline"
    assert out["P3"].policy_id == "baseline" and out["P3"].reason.startswith("not evaluated")
    assert (out["P4"].policy_id, out["P4"].expected_profit, out["P4"].fill_rate) == ("B", 105.0, 0.85)
    assert out["P4"].reason == (
        "no candidate met the 95.0% fill-rate target (best 90.0%): highest profit among the candidates filling at "
        "least the baseline's 85.0% (5.00 more than the baseline)"
    )
    assert len(out) == 4


@pytest.fixture(scope="module")
def walked(make_context):
    """The world's last day evaluated by extending the stretch of an evaluation a week earlier (incremental): the
    tests below check what the incremental evaluation wrote."""
    ctx = make_context(days=63)
    # three policies cover the cases: weekly (sQ), daily re-plan (ww) and perishable (nvbudget) decisions
    policies = ctx.configs["policies"]
    kept = [p for p in policies.policies if p.id in ("sQ", "ww", "nvbudget")]
    ctx.configs["policies"] = policies.model_copy(update={"policies": kept})
    ctx.configs["evaluate"] = ctx.configs["evaluate"].model_copy(
        update={
            "modes": ["walk_forward"],
            "walk_forward": WalkForwardConfig(
                selection_days=7, evaluation_days=14, forecast_step_days=7, warmup_days=7
            ),
        }
    )
    quiet = {"out": lambda *_: None}
    reports = run_steps(ctx, resolve(["simulate", "ingest", "refine"]), **quiet)
    end = ctx.as_of
    ctx.as_of = end - dt.timedelta(days=7)
    reports += run_steps(ctx, resolve(["evaluate"]), **quiet)  # never evaluated: due, a new stretch
    ctx.as_of, ctx.options = end, RunOptions(force=True)  # not evaluate's day: forced
    reports += run_steps(ctx, resolve(["evaluate"]), **quiet)
    assert all(r.ok for r in reports), [r.error for r in reports]
    ctx.first, ctx.extended = reports[-2].result, reports[-1].result
    ctx.report = ctx.extended.report
    return ctx


def test_one_recommendation_per_store_product_and_an_out_of_sample_portfolio(walked) -> None:
    ctx = walked
    recommendation = ctx.read("gold", "policy_recommendation").where(F.col("as_of") == F.lit(ctx.as_of)).toPandas()
    items = ctx.read("silver", "store_product").select("store_id", "product_id").distinct().count()
    assert len(recommendation) == items and not recommendation[["store_id", "product_id"]].duplicated().any()
    assert recommendation["reason"].str.len().gt(0).all()
    assert (recommendation["selection_end"] < ctx.as_of - dt.timedelta(days=13)).all()
    assert recommendation["candidates"].gt(1).all()
    metrics = (
        ctx.read("gold", "policy_metrics")
        .where((F.col("evaluation") == "walk_forward") & (F.col("as_of") == F.lit(ctx.as_of)))
        .toPandas()
    )
    recommended = metrics[metrics["policy_id"] == "recommended"]
    assert set(recommended["period"]) == {"last_week", "horizon"}  # evaluation-window periods only
    assert "selection" in set(metrics.loc[metrics["policy_id"] == "baseline", "period"])
    chain = recommended[(recommended["store_id"] == "ALL") & (recommended["period"] == "horizon")]
    whole = chain[chain["segment"] == "all"].iloc[0]
    assert whole["items"] == items and 0 < whole["fill_rate"] <= 1
    levels = ctx.read("gold", "inventory_levels").where("evaluation = 'walk_forward'")
    assert levels.where("status <> 'ok'").count() == 0
    assert "Recommended policy per store-product" in ctx.report
    # every store and the chain in all three segments, each with its profit ceiling; no policy above it
    chain = metrics[(metrics["store_id"] == "ALL") & (metrics["period"] == "horizon")]
    assert set(chain["segment"]) == {"all", "perishable", "non_perishable"}
    assert chain["profit_ceiling"].notna().all()
    # the selection window (where the recommendation was chosen) gets none, saying so
    selection = metrics[metrics["period"] == "selection"]
    assert selection["profit_ceiling"].isna().all()
    assert selection["ceiling_note"].str.contains("not computed for this period").all()
    replayed = metrics[metrics["period"] != "selection"]  # the portfolio too: it is replayed as one set
    assert replayed["profit_ceiling"].notna().all()
    slack = np.maximum(0.01, 1e-6 * replayed["total_revenue"].abs())
    assert (replayed["profit"] <= replayed["profit_ceiling"] + slack).all(), replayed[
        replayed["profit"] > replayed["profit_ceiling"] + slack
    ][["policy_id", "store_id", "segment", "period", "profit", "profit_ceiling"]]
    baseline = metrics[(metrics["policy_id"] == "baseline") & metrics["gain_captured"].notna()]
    assert (baseline["gain_captured"].abs() < 1e-9).all()
    assert "ceiling" in ctx.report and "gain captured" in ctx.report


def test_a_forecast_origin_never_sees_later_demand(walked) -> None:
    ctx = walked
    daily = ctx.read("silver", "daily_demand")
    origin = ctx.as_of - dt.timedelta(days=20)
    later = F.col("date") > F.lit(origin)
    changed = daily.withColumn("units_sold", F.when(later, F.col("units_sold") * 10 + 7).otherwise(F.col("units_sold")))
    config = ctx.configs["forecast"]
    before = forecasts_at_origins(daily, [origin], config).orderBy("store_id", "product_id", "horizon_day")
    after = forecasts_at_origins(changed, [origin], config).orderBy("store_id", "product_id", "horizon_day")
    assert before.collect() == after.collect()


def _walk_forward_tables(ctx) -> dict[str, list[str]]:
    """The walk-forward's gold rows for ``ctx.as_of`` (levels, metrics, recommendation), audit columns left out."""
    tables = {
        "levels": ctx.read("gold", "inventory_levels").where("evaluation = 'walk_forward'"),
        "metrics": ctx.read("gold", "policy_metrics").where(
            (F.col("evaluation") == "walk_forward") & (F.col("as_of") == F.lit(ctx.as_of))
        ),
        "recommendation": ctx.read("gold", "policy_recommendation").where(F.col("as_of") == F.lit(ctx.as_of)),
    }
    return {name: sorted(map(repr, t.drop("_run_id", "_updated_at").collect())) for name, t in tables.items()}


def test_an_extended_stretch_equals_a_from_scratch_evaluation_of_the_same_stretch(walked) -> None:
    """The incremental evaluation (the fixture's second one) solved only the decisions from the first one's as-of
    on, and wrote exactly what a from-scratch evaluation of the same stretch writes. Runs last in this module: the
    from-scratch run rewrites the walk-forward tables (with the same rows, when the test passes)."""
    ctx = walked
    earlier = ctx.as_of - dt.timedelta(days=7)
    stretch_start = earlier - dt.timedelta(days=27)  # the first evaluation's window (7 + 14 days) and its warm-up
    assert ctx.first.due == [
        "evaluate: never run on or before 2025-02-25",
        f"walk_forward: a new stretch from {stretch_start} (7 days' warm-up)",
    ]
    assert ctx.extended.due[0] == "evaluate: forced (--force)"
    assert ctx.extended.due[1].startswith(
        f"walk_forward: extends the stretch from {stretch_start}, evaluated through {earlier}"
    )
    state = ctx.read("gold", STATE)
    assert state.select("stretch_start").distinct().collect()[0][0] == stretch_start
    # the extension solved the new decisions only: fewer than the stretch holds
    new_rows = ctx.extended.tables[f"gold.{STATE}"]
    assert 0 < new_rows < state.where(F.col("rule_from") < F.lit(earlier)).count()
    incremental = _walk_forward_tables(ctx)
    first_day = ctx.read("silver", "daily_demand").agg(F.min("date")).first()[0]
    scratch = StepResult()
    run_walk_forward(ctx, ctx.configs["evaluate"], scratch, first_day, replay_start=stretch_start)
    # the same stretch a week later: a week more before the window
    assert scratch.due == [f"walk_forward: a new stretch from {stretch_start} (14 days' warm-up)"]
    assert _walk_forward_tables(ctx) == incremental
