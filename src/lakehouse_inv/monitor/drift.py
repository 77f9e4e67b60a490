"""``gold.forecast_drift``: recent accuracy of the published forecasts vs what the backtest led us to expect.

For every series the forecast *in force at the start of the window* (the latest origin on or before
``as_of - window_days``) is scored on the window's actual sales, horizons 1..window like the backtest's
windows; the expectation is the backtest MAE of the published method (``model = 'auto'``) at the latest
backtest on or before that origin. ``mae_ratio`` = recent MAE / max(expected MAE, ``mae_floor``); outside the
configured band the series has drifted. Departments and stores roll up the judged series (status ok),
day-weighted; ``drifted_series`` counts the drifted ones among them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.monitor.config import DriftConfig

SERIES, DEPARTMENT, STORE = "series", "department", "store"
ALL = "ALL"
COLUMNS = [
    "as_of", "level", "store_id", "subject_id", "department_id", "forecast_as_of", "n_series", "drifted_series",
    "n_days", "actual_units", "mae_recent", "bias_recent", "coverage_80_recent", "mae_expected", "mae_ratio",
    "band_low", "band_high", "drifted", "status",
]  # fmt: skip
SERIES_STATS = ["store_id", "product_id", "forecast_as_of", "n_days", "abs_error", "error", "actual", "inside_80"]


def series_errors(forecasts: DataFrame, actuals: DataFrame, *, as_of: dt.date, window_days: int) -> DataFrame:
    """Per series: the forecast origin used and the window's error sums (:data:`SERIES_STATS`).

    ``forecasts``: gold.demand_forecast; ``actuals``: silver.daily_demand.
    """
    start = as_of - dt.timedelta(days=window_days)
    keys = ["store_id", "product_id"]
    origins = forecasts.where(F.col("as_of") <= F.lit(start)).groupBy(*keys).agg(F.max("as_of").alias("forecast_as_of"))
    window = forecasts.where((F.col("target_date") > F.lit(start)) & (F.col("target_date") <= F.lit(as_of)))
    scored = (
        window.join(origins, keys)
        .where(F.col("as_of") == F.col("forecast_as_of"))
        .join(actuals.select(*keys, F.col("date").alias("target_date"), "units_sold"), [*keys, "target_date"])
    )
    diff = F.col("mean") - F.col("units_sold")
    inside = (F.col("units_sold") >= F.col("p10")) & (F.col("units_sold") <= F.col("p90"))
    return scored.groupBy(*keys, "forecast_as_of").agg(
        F.count("*").alias("n_days"),
        F.sum(F.abs(diff)).alias("abs_error"),
        F.sum(diff).alias("error"),
        F.sum("units_sold").cast("double").alias("actual"),
        F.sum(inside.cast("int")).alias("inside_80"),
    )


def expected_mae(accuracy: DataFrame, origins: DataFrame) -> DataFrame:
    """Backtest MAE of the published method at the latest backtest on or before each series' forecast origin."""
    keys = ["store_id", "product_id"]
    auto = accuracy.where((F.col("model") == "auto") & F.col("mae").isNotNull()).select(
        *keys, F.col("as_of").alias("backtest_as_of"), "mae"
    )
    joined = origins.select(*keys, "forecast_as_of").join(auto, keys).where("backtest_as_of <= forecast_as_of")
    latest = joined.groupBy(*keys).agg(F.max("backtest_as_of").alias("backtest_as_of"))
    return joined.join(latest, [*keys, "backtest_as_of"]).select(*keys, F.col("mae").alias("mae_expected"))


def forecast_drift(
    stats: pd.DataFrame,
    expected: pd.DataFrame,
    departments: pd.DataFrame,
    config: DriftConfig,
    *,
    as_of: dt.date,
) -> pd.DataFrame:
    """Series rows from :data:`SERIES_STATS` + ``expected`` (store_id, product_id, mae_expected) and the
    department of each store x product, then day-weighted department and store roll-ups."""
    keys = ["store_id", "product_id"]
    df = stats.merge(expected, on=keys, how="left").merge(departments, on=keys, how="left")
    df["department_id"] = df["department_id"].fillna("unknown")
    df["exp_weighted"] = df["mae_expected"] * df["n_days"]
    series = _judge(df.assign(level=SERIES, subject_id=df["product_id"], n_series=1), config)
    series["drifted_series"] = series["drifted"].astype(int)
    frames = [series]
    judged = df[series["status"] == "ok"].assign(drifted=series["drifted"])  # roll-ups over the judged series
    for level, by, subject in (
        (DEPARTMENT, ["store_id", "department_id"], "department_id"),
        (STORE, ["store_id"], None),
    ):
        if judged.empty:
            break
        sums = judged.groupby(by, sort=True).agg(
            n_series=("product_id", "size"),
            n_days=("n_days", "sum"),
            abs_error=("abs_error", "sum"),
            error=("error", "sum"),
            actual=("actual", "sum"),
            inside_80=("inside_80", "sum"),
            exp_weighted=("exp_weighted", "sum"),
            forecast_as_of=("forecast_as_of", "min"),
            drifted_series=("drifted", "sum"),
        )
        sums["mae_expected"] = sums["exp_weighted"] / sums["n_days"]
        sums = sums.reset_index()
        sums["level"] = level
        sums["subject_id"] = sums[subject] if subject else ALL
        if subject is None:
            sums["department_id"] = None
        frames.append(_judge(sums, config))
    out = pd.concat(frames, ignore_index=True)
    out["as_of"] = as_of
    out["band_low"], out["band_high"] = config.band.low, config.band.high
    out["drifted_series"] = out["drifted_series"].astype(int)
    for col in ("mae_recent", "bias_recent", "coverage_80_recent", "mae_expected", "mae_ratio", "actual_units"):
        out[col] = out[col].astype(float).round(6)
    order = {SERIES: 0, DEPARTMENT: 1, STORE: 2}
    out = out.sort_values(["level", "store_id", "subject_id"], key=lambda s: s.map(order) if s.name == "level" else s)
    return out[COLUMNS].reset_index(drop=True)


def _judge(df: pd.DataFrame, config: DriftConfig) -> pd.DataFrame:
    days = df["n_days"].where(df["n_days"] > 0)
    df = df.assign(
        actual_units=df["actual"],
        mae_recent=df["abs_error"] / days,
        bias_recent=df["error"] / days,
        coverage_80_recent=df["inside_80"] / days,
    )
    df["mae_ratio"] = df["mae_recent"] / np.maximum(df["mae_expected"], config.mae_floor)
    df["status"] = np.where(
        df["n_days"] < config.min_days, "too_few_days", np.where(df["mae_expected"].isna(), "no_expectation", "ok")
    )
    outside = (df["mae_ratio"] < config.band.low) | (df["mae_ratio"] > config.band.high)
    df["drifted"] = (df["status"] == "ok") & outside
    return df
