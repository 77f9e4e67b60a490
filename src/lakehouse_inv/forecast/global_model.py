"""A global gradient-boosted candidate: one LightGBM model per group of series, chosen per segment by backtest.

Per-series models see one short history each; a model trained across the series of a group (the product's stores,
a department) can learn shapes no single sparse series shows. :func:`global_candidate` trains on rolling origins
(every ``origin_step_days`` over the last ``train_origins`` weeks, ``horizon`` days ahead each), with target
``demand / scale`` (scale = the 12-week mean + 0.1, so one model serves 0.1-a-day and 80-a-day series) and the
features of :func:`features`: the 7/28/84-day means and the target weekday's 4- and 12-week means (over the scale),
the 28-day zero share, log scale, the price on the target day relative to the last 12 weeks (a promotion), horizon,
target weekday and day of year. A Poisson objective gives the mean, quantile objectives each published level.

It competes per segment (rate bucket) with the per-series forecasts on the last ``eval_days`` days: both are made
from the history before them (the global model retrained without those days, the per-series procedure re-run), and
the global model replaces a segment's forecasts only where its pooled scaled pinball loss is lower with coverage at
least ``distribution.coverage_min`` over at least ``distribution.min_pooled_days`` days. Its quantiles are the
quantile models' (rounded to counts); the distribution columns keep the series' own family and dispersion around
the new mean. Holiday effects are not features: a segment whose holidays matter keeps the per-series forecasts
unless the global model wins anyway.

Off by default (``global_model.enabled``): on the synthetic M5-like panel (``benchmarks/forecast_retail.py --with
group_id --global-model``, departments of ~28 series) scaled pinball went 0.230 -> 0.230 and 0.234 -> 0.233 (seeds
1 / 2), winning a little on sparse buckets and losing a little elsewhere (seed 2: >=10 0.228 -> 0.229, dense RMSSE
0.666 -> 0.670), at about 100-125 ms of CPU per series for the training (twice: evaluation and final), far over
the per-series path's budget. ``num_threads=1`` and ``deterministic=True`` keep Spark tasks single-core
and results independent of the machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lakehouse_inv.forecast.config import GlobalModelConfig
from lakehouse_inv.forecast.history import SeriesHistory

GLOBAL_MODEL = "global_gbm"
LEVEL_DAYS = 84  # the 12 weeks behind the scale and the weekday means
SCALE_FLOOR = 0.1


def features(history: SeriesHistory, origin: int, horizon: int) -> tuple[np.ndarray, float]:
    """Feature rows for the ``horizon`` days after ``origin`` (only days before it are used) and the scale."""
    y = history.demand
    recent = y[origin - LEVEL_DAYS : origin]
    scale = float(recent.mean()) + SCALE_FLOOR
    target = np.arange(origin, origin + horizon)
    column = (target - (origin - LEVEL_DAYS)) % 7
    weeks = recent.reshape(LEVEL_DAYS // 7, 7)
    price = np.zeros(horizon)
    if history.log_price is not None:
        future = history.future_log_prices(np.array([origin]), horizon)
        if future is not None:
            price = future[0] - float(np.mean(history.log_price[origin - LEVEL_DAYS : origin]))
    day = history.start.astype("datetime64[D]").astype(np.int64) + target
    angle = 2 * np.pi * ((day - 3) % 365.25) / 365.25  # 1970-01-01 + 3 days ~ the turn of a year; phase is learned
    rows = np.column_stack(
        [
            np.full(horizon, y[origin - 7 : origin].mean() / scale),
            np.full(horizon, y[origin - 28 : origin].mean() / scale),
            weeks[-4:].mean(axis=0)[column] / scale,
            weeks.mean(axis=0)[column] / scale,
            np.full(horizon, np.mean(y[origin - 28 : origin] == 0)),
            np.full(horizon, np.log(scale)),
            price,
            np.arange(1, horizon + 1),
            history.weekday(target),
            np.sin(angle),
            np.cos(angle),
        ]
    )
    return rows, scale


@dataclass(frozen=True)
class GlobalForecasts:
    """Mean ``(series, horizon)`` and quantiles ``(series, horizon, levels)`` of each history, and training CPU s."""

    mean: list[np.ndarray]
    quantiles: list[np.ndarray]
    training_cpu_seconds: float


def usable(history: SeriesHistory, horizon: int, holdout: int) -> bool:
    """Enough days for one training origin before the holdout."""
    return history.n_obs - holdout - horizon >= LEVEL_DAYS


def global_candidate(
    histories: Sequence[SeriesHistory],
    *,
    horizon: int,
    levels: Sequence[float],
    config: GlobalModelConfig,
    holdout: int = 0,
) -> GlobalForecasts:
    """Train on every history except its last ``holdout`` days; forecast ``horizon`` days from there."""
    import time

    import lightgbm as lgb

    xs, ys = [], []
    for history in histories:
        end = history.n_obs - holdout
        for k in range(config.train_origins):
            origin = end - horizon - config.origin_step_days * k
            if origin < LEVEL_DAYS:
                break
            x, scale = features(history, origin, horizon)
            xs.append(x)
            ys.append(history.demand[origin : origin + horizon] / scale)
    params = {
        "n_estimators": config.n_estimators,
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_child_samples": config.min_child_samples,
        "num_threads": 1,
        "deterministic": True,
        "force_row_wise": True,
        "seed": 0,
        "verbose": -1,
    }
    x_train, y_train = np.vstack(xs), np.concatenate(ys)
    started = time.process_time()
    mean_model = lgb.LGBMRegressor(objective="poisson", **params).fit(x_train, y_train)
    level_models = [lgb.LGBMRegressor(objective="quantile", alpha=lv, **params).fit(x_train, y_train) for lv in levels]
    cpu = time.process_time() - started
    means, quantiles = [], []
    for history in histories:
        x, scale = features(history, history.n_obs - holdout, horizon)
        means.append(np.maximum(mean_model.predict(x) * scale, 0.0))
        q = np.column_stack([np.maximum(np.rint(m.predict(x) * scale), 0.0) for m in level_models])
        quantiles.append(np.sort(q, axis=1).astype(np.int64))
    return GlobalForecasts(means, quantiles, cpu)
