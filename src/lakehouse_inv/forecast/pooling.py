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
from dataclasses import replace

import numpy as np
import pandas as pd

from lakehouse_inv.forecast import metrics
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.distribution import cdf_around
from lakehouse_inv.forecast.engine import SeriesForecast, with_quantiles
from lakehouse_inv.forecast.history import DATE_COLUMN, DEMAND_COLUMN, _day_numbers, as_date, prepare_history
from lakehouse_inv.forecast.quantile_methods import (
    SCORED_LEVELS,
    Score,
    choose,
    choose_per_segment,
    paired_noise,
    score_quantiles,
)
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
        switch_z=options.switch_z,
    )
    results = [(rows, with_quantiles(forecast, config, choices), n_obs) for rows, forecast, n_obs in results]
    if config.global_model.enabled:
        results = with_global_model(results, config, as_of)
    frames = [
        forecast_frame(key_columns(rows, key_cols, config.horizon), as_of, forecast, config, n_obs)
        for rows, forecast, n_obs in results
    ]
    return pd.concat(frames, ignore_index=True)


def with_global_model(
    results: list[tuple[pd.DataFrame, SeriesForecast, int]], config: ForecastConfig, as_of: dt.date
) -> list[tuple[pd.DataFrame, SeriesForecast, int]]:
    """Where the group's global model beats the per-series forecasts of a segment on the last ``eval_days`` days,
    its forecasts replace theirs (:mod:`.global_model`). A failure leaves the per-series forecasts."""
    from lakehouse_inv.forecast.global_model import GLOBAL_MODEL, global_candidate, usable

    options, horizon = config.global_model, config.horizon
    eval_days = min(options.eval_days, horizon)
    histories = {}
    for i, (rows, forecast, _) in enumerate(results):
        try:
            history = prepare_history(rows, as_of=as_of, history_days=config.history_days, horizon=horizon)
        except Exception:  # an unreadable series keeps its fallback
            continue
        scale = metrics.m5_scales(history.demand[:-eval_days])[1]
        if forecast.status == "ok" and usable(history, horizon, eval_days) and np.isfinite(scale) and scale > 0:
            histories[i] = (history, scale)
    if len(histories) < options.min_series:
        return results
    levels = sorted({*config.quantiles, *SCORED_LEVELS})
    scored = [levels.index(level) for level in SCORED_LEVELS]
    try:
        trials = global_candidate(
            [h for h, _ in histories.values()], horizon=horizon, levels=levels, config=options, holdout=eval_days
        )
    except Exception:
        return results
    earlier = as_of - dt.timedelta(days=eval_days)
    totals: dict[str, dict[str, Score]] = {}
    by_series: dict[str, dict[str, list[Score]]] = {}
    for (i, (history, scale)), mean, quantiles in zip(histories.items(), trials.mean, trials.quantiles, strict=True):
        rows = results[i][0]
        actual = history.demand[-eval_days:]
        own, _ = series_forecast(rows, config=config, as_of=earlier)
        own_q = own.quantiles(list(SCORED_LEVELS), 0.8)[:eval_days]
        segment = metrics.rate_bucket(float(np.mean(history.demand[-metrics.RATE_DAYS :]))) or "unknown"
        # the global model publishes its own quantiles with the per-series distribution family around its mean
        trial = replace(own, mean=np.asarray(mean, dtype=float), fixed_quantiles={})
        for name, forecast, q in (
            ("per_series", own, own_q),
            (GLOBAL_MODEL, trial, quantiles[:eval_days][:, scored]),
        ):
            family = forecast.distribution.family
            cdf = cdf_around(actual, forecast.mean[:eval_days], forecast.variance[:eval_days], family)
            score = score_quantiles(actual, q, scale, cdf, forecast.band_levels())
            totals.setdefault(segment, {})[name] = totals.get(segment, {}).get(name, Score(0.0, 0.0, 0)) + score
            by_series.setdefault(segment, {}).setdefault(name, []).append(score)
    winners = {
        segment: scores
        for segment, scores in totals.items()
        if choose(
            scores,
            config.distribution.coverage_min,
            ["per_series", GLOBAL_MODEL],
            config.distribution.min_pooled_days,
            {GLOBAL_MODEL: paired_noise(by_series[segment]["per_series"], by_series[segment][GLOBAL_MODEL])},
            config.distribution.switch_z,
        )
        == GLOBAL_MODEL
    }
    if not winners:
        return results
    try:
        final = global_candidate([h for h, _ in histories.values()], horizon=horizon, levels=levels, config=options)
    except Exception:
        return results
    replaced = list(results)
    for (i, (history, _)), mean, quantiles in zip(histories.items(), final.mean, final.quantiles, strict=True):
        segment = metrics.rate_bucket(float(np.mean(history.demand[-metrics.RATE_DAYS :]))) or "unknown"
        if segment not in winners:
            continue
        rows, forecast, n_obs = results[i]
        scores = {
            m: {"pinball": s.pinball, "coverage": s.coverage, "pit_coverage": s.pit_coverage, "days": s.days}
            for m, s in winners[segment].items()
        }
        params = forecast.params | {"global_model": {"segment": segment, "scores": scores, "replaced": forecast.model}}
        explicit = {level: quantiles[:, j] for j, level in enumerate(levels)}
        replaced[i] = (
            rows,
            replace(forecast, mean=mean, model=GLOBAL_MODEL, params=params, fixed_quantiles=explicit),
            n_obs,
        )
    return replaced
