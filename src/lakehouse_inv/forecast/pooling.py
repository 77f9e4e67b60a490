"""Pooling for sparse series: a store x product series borrows its weekday shape from its group.

A group is the same product across stores, or a department (``group_col``): one pandas call per group, as
``groupBy(group_col).applyInPandas`` hands it over, then each series is forecast on its own by the usual
per-series path with the group's shape attached to its history. The ``pooled_profile`` candidate then competes
in the per-series backtest with the ARIMA and the others (and may be averaged with the best of them):

    shape = (own_units * own_shape + prior_units * group_shape) / (own_units + prior_units)

where ``own_units`` is the series' demand over the shape window, so the group's shape dominates a thin series
and the series' own data takes over as its volume grows. The group shape leaves the series itself out.

The group also pools the quantile evidence: every series of a segment publishes the quantile method that scored
best on the backtests of all the group's series of that segment (:mod:`.quantile_methods`).

Spark use::

    df.groupBy("product_id").applyInPandas(
        partial(forecast_group, config=config, key_cols=["store_id", "product_id"], group_col="product_id",
                as_of=as_of), schema)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.engine import with_quantiles
from lakehouse_inv.forecast.history import DATE_COLUMN, DEMAND_COLUMN, _day_numbers, as_date
from lakehouse_inv.forecast.quantile_methods import choose_per_segment
from lakehouse_inv.forecast.series import forecast_frame, forecast_series, key_columns, series_forecast

WEEK = 7


def weekday_sums(pdf: pd.DataFrame, key_cols: Sequence[str], as_of: dt.date, days: int) -> pd.DataFrame:
    """Demand per series and weekday (Monday=0 columns) over the ``days`` days up to ``as_of``."""
    day = _day_numbers(pdf[DATE_COLUMN])
    end = int(np.datetime64(as_of, "D").astype(np.int64))
    demand = pd.to_numeric(pdf[DEMAND_COLUMN], errors="coerce").to_numpy(dtype=float)
    usable = (day <= end) & (day > end - days) & np.isfinite(demand) & (demand >= 0)
    frame = pdf.loc[usable, list(key_cols)].assign(weekday=(day[usable] + 3) % WEEK, demand=demand[usable])
    sums = frame.groupby([*key_cols, "weekday"], sort=True)["demand"].sum().unstack("weekday", fill_value=0.0)
    return sums.reindex(columns=range(WEEK), fill_value=0.0)


def forecast_group(
    pdf: pd.DataFrame, *, config: ForecastConfig, key_cols: Sequence[str], group_col: str, as_of: dt.date
) -> pd.DataFrame:
    """Forecast every series of one group (rows of several series sharing ``group_col``), each with the
    leave-one-out weekday shape of the others attached for the ``pooled_profile`` candidate. Never raises."""
    as_of = as_date(as_of)
    keys = [c for c in key_cols if c in pdf.columns]
    try:
        sums = weekday_sums(pdf, keys, as_of, config.pooling.shape_days)
        total = sums.sum(axis=0).to_numpy()
    except Exception:  # a group whose rows cannot be read: the series fall back on their own
        sums, total = None, None
    results = []
    for key, rows in pdf.groupby(keys, sort=True, dropna=False):
        shape = None
        if sums is not None:
            label = key if len(keys) > 1 else key[0]
            own = sums.loc[label].to_numpy() if label in sums.index else np.zeros(WEEK)
            others = total - own
            if others.sum() > 0:
                shape = others / others.mean()
        forecast, n_obs = series_forecast(rows, config=config, as_of=as_of, group_shape=shape)
        results.append((rows, forecast, n_obs))
    if not results:
        return forecast_series(pdf, config=config, key_cols=key_cols, as_of=as_of)
    options = config.distribution
    choices = choose_per_segment(
        (forecast.evidence for _, forecast, _ in results),
        methods=options.quantile_methods,
        coverage_min=options.coverage_min,
        min_days=options.min_pooled_days,
    )
    frames = [
        forecast_frame(
            key_columns(rows, key_cols, config.horizon), as_of, with_quantiles(forecast, config, choices), config, n_obs
        )
        for rows, forecast, n_obs in results
    ]
    return pd.concat(frames, ignore_index=True)
