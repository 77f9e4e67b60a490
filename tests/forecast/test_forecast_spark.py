"""The Spark wrappers and jobs around the pandas forecasting core."""

from __future__ import annotations

import datetime as dt

import mlflow
import numpy as np
import pandas as pd
import pytest
from chispa import assert_approx_df_equality

from lakehouse_inv.backtest import job as backtest_job
from lakehouse_inv.forecast import job as forecast_job
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.distributed import forecast_frame
from lakehouse_inv.forecast.file_tool import main as forecast_file_main
from lakehouse_inv.forecast.series import forecast_series

AS_OF = dt.date(2025, 6, 30)


def _history(n_series: int = 3, days: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    dates = pd.date_range(end=pd.Timestamp(AS_OF), periods=days)
    frames = []
    for i in range(n_series):
        rate = [0.3, 4.0, 12.0][i % 3] * (1 + 0.3 * (dates.dayofweek >= 5))
        frames.append(
            pd.DataFrame(
                {"store_id": "S1", "product_id": f"P{i}", "date": dates.date, "demand": rng.poisson(rate).astype(float)}
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_spark_path_returns_exactly_the_pandas_function_rows(spark):
    config = ForecastConfig(horizon=7)
    history = _history()
    expected = pd.concat(
        [
            forecast_series(g, config=config, key_cols=["store_id", "product_id"], as_of=AS_OF)
            for _, g in history.groupby("product_id")
        ],
        ignore_index=True,
    )
    actual = forecast_frame(
        spark.createDataFrame(history), key_cols=["store_id", "product_id"], config=config, as_of=AS_OF
    )
    columns = ["store_id", "product_id", "target_date", "mean", "p10", "p50", "p90", "model", "status"]
    assert_approx_df_equality(
        actual.select(columns).orderBy("product_id", "target_date"),
        spark.createDataFrame(expected).select(columns).orderBy("product_id", "target_date"),
        precision=1e-9,
        ignore_nullable=True,
    )


@pytest.fixture
def demand_context(make_context, tmp_path):
    ctx = make_context(as_of=AS_OF)
    ctx.configs["pipeline"] = ctx.pipeline.model_copy(update={"mlflow_tracking_uri": f"sqlite:///{tmp_path}/mlflow.db"})
    ctx.configs["forecast"] = ForecastConfig(horizon=7, backtest={"origins": 2, "step_days": 14})
    spark = ctx.spark
    ctx.catalog.ensure_tables(spark, "silver", ["daily_demand", "store_product"])
    history = _history().rename(columns={"demand": "units_sold"})
    rows = history.assign(
        units_sold=history["units_sold"].astype("int32"),
        revenue=0.0,
        transactions=0,
        avg_price=1.0,
        on_hand_end=None,
        requests=None,
        lost_requests=None,
        stockout=False,
    )
    spark.createDataFrame(
        rows, spark.table(ctx.table("silver", "daily_demand")).drop("_run_id", "_updated_at").schema
    ).write.format("delta").mode("append").saveAsTable(ctx.table("silver", "daily_demand"))
    spark.sql(
        f"INSERT INTO {ctx.table('silver', 'store_product')} (store_id, product_id, price) "
        "VALUES ('S1','P0',1.0), ('S1','P1',1.0), ('S1','P2',1.0)"
    )
    return ctx


def test_forecast_and_backtest_jobs_write_gold_and_track_mlflow(demand_context):
    ctx = demand_context
    forecast_job.run(ctx)
    forecasts = ctx.read("gold", "demand_forecast").toPandas()
    assert len(forecasts) == 3 * 7 and (forecasts["mean"] >= 0).all()
    assert set(forecasts["as_of"]) == {AS_OF}

    again = forecast_job.run(ctx)  # same origin again: nothing changes
    assert again.tables == {"gold.demand_forecast": 0}

    backtest_job.run(ctx)
    accuracy = ctx.read("gold", "forecast_accuracy").toPandas()
    assert {"auto", "seasonal_naive", "dow_mean"} <= set(accuracy["model"])
    assert accuracy.loc[accuracy["model"] == "auto", "quantile_method"].notna().all()
    auto = accuracy[accuracy["model"] == "auto"]
    assert auto["pit_coverage_80"].between(0, 1).all() and (auto["pit_coverage_80"] <= auto["coverage_80"] + 1e-9).all()
    assert accuracy.groupby("model")["product_id"].nunique().min() == 3

    mlflow.set_tracking_uri(ctx.pipeline.mlflow_tracking_uri)
    runs = mlflow.search_runs(experiment_names=[ctx.pipeline.mlflow_experiment])
    assert set(runs["tags.job"]) == {"forecast", "backtest"}
    backtest = runs[runs["tags.job"] == "backtest"].iloc[0]
    assert backtest["metrics.auto_mae_vs_seasonal_naive"] > 0
    assert backtest["metrics.auto_rmsse_vs_seasonal_naive"] > 0 and backtest["metrics.auto_spl_all"] > 0
    assert 0 <= backtest["metrics.auto_coverage_80_all"] <= 1
    assert 0 <= backtest["metrics.auto_pit_coverage_80_all"] <= 1
    assert backtest["metrics.dow_mean_spl_all"] > 0 and backtest["metrics.seasonal_naive_rmsse_all"] > 0
    assert accuracy["rate_bucket"].notna().all() and accuracy.loc[accuracy["model"] == "auto", "spl"].notna().all()
    artifacts = mlflow.artifacts.list_artifacts(run_id=backtest["run_id"])
    assert [a.path for a in artifacts] == ["accuracy_by_segment.csv", "accuracy_summary.csv"]


def test_forecast_file_reports_bad_lines_and_forecasts_the_good_series(tmp_path, spark, capsys):
    history = _history(n_series=2, days=60)
    source = tmp_path / "demand.csv"
    pd.DataFrame(
        {"series_id": history["product_id"], "date": history["date"].astype(str), "demand": history["demand"]}
    ).to_csv(source, index=False)
    with source.open("a") as f:
        f.write("P0,2025-02-30,1\nP1,2025-06-01,-2\n")
    out = tmp_path / "forecasts.csv"
    assert forecast_file_main(["--input", str(source), "--output", str(out), "--horizon", "5"]) == 0
    err = capsys.readouterr().err
    assert "demand.csv:122: skipped: date is not YYYY-MM-DD" in err
    assert "demand.csv:123: skipped: demand is negative" in err
    result = pd.read_csv(out)
    assert list(result.columns) == ["series_id", "date", "mean", "p10", "p50", "p90", "model", "status"]
    assert len(result) == 10 and result["date"].min() == "2025-07-01"


def test_forecast_file_rejects_a_file_without_required_columns(tmp_path, capsys):
    source = tmp_path / "bad.csv"
    source.write_text("id,day,qty\n1,2025-01-01,3\n")
    assert forecast_file_main(["--input", str(source), "--output", str(tmp_path / "o.csv")]) == 2
    assert "missing required column(s) series_id, date, demand" in capsys.readouterr().err


def test_a_forecast_accuracy_table_from_before_the_added_columns_gets_them(spark, tmp_path):
    """Older warehouses keep their rows: the backtest adds each later column (NULL on old rows) before writing."""
    from types import SimpleNamespace

    path = tmp_path / "old_accuracy"
    spark.createDataFrame([("S1", 0.8)], "store_id string, coverage_80 double").write.format("delta").save(str(path))
    table = f"delta.`{path}`"
    backtest_job._add_new_columns(SimpleNamespace(spark=spark, table=lambda layer, name: table))
    columns = spark.table(table).columns
    assert columns == ["store_id", "coverage_80", *(name for name, _ in backtest_job.ADDED_COLUMNS)]
    assert spark.table(table).first()["pit_coverage_80"] is None
