"""Censored demand: sales on a stock-out day are a lower bound, so stock-outs must not drag the forecast down."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.history import impute_censored, prepare_history
from lakehouse_inv.forecast.series import forecast_series
from support.synthetic import simulate_series

KEYS = ["store_id", "product_id"]


def with_stockouts(rate: float, seed: int) -> tuple[pd.DataFrame, float]:
    """A steady series whose last weeks run out of stock on two days in three; returns it and its true rate."""
    frame = simulate_series(rate, 400, seed=seed, gamma_shape=np.inf, promo_week_share=0.0, level_sd=0.0)
    frame = frame.drop(columns=["price"]).assign(store_id="S", product_id="P")
    rng = np.random.default_rng(seed)
    out = np.zeros(len(frame), dtype=bool)
    out[-70:] = rng.random(70) < 0.67
    frame["stockout"] = out
    frame.loc[out, "demand"] = np.floor(frame.loc[out, "demand"] * 0.3)  # sold what was on the shelf
    return frame, float(frame["expected"].iloc[-28:].mean())


def mean_forecast(frame: pd.DataFrame, config: ForecastConfig) -> float:
    out = forecast_series(frame.drop(columns="expected"), config=config, key_cols=KEYS, as_of=frame["date"].max())
    return float(out["mean"].mean())


def test_a_series_with_stockout_days_is_not_biased_down() -> None:
    config = ForecastConfig()
    censored, ignored = [], []
    for seed in range(6):
        frame, truth = with_stockouts(6.0, seed)
        censored.append(mean_forecast(frame, config) / truth)
        ignored.append(mean_forecast(frame.drop(columns="stockout"), config) / truth)
    assert np.mean(ignored) < 0.75  # reading stock-out sales as demand: far too low
    assert np.mean(censored) == pytest.approx(1.0, abs=0.12)


def test_lost_requests_restore_the_true_demand_of_a_stockout_day(series_frame) -> None:
    frame = series_frame([5.0] * 10)
    frame["stockout"] = [False] * 8 + [True, True]
    frame["demand"] = [5.0] * 8 + [2.0, 1.0]
    frame["lost_requests"] = [0.0] * 8 + [3.0, None]  # the last day's unmet requests are unknown
    history = prepare_history(frame, as_of=frame["date"].max().date(), history_days=100, horizon=7)
    assert history.demand[8] == 5.0 and history.n_censored == 1
    assert history.demand[9] == 1.0  # too few uncensored days to impute from: the sales stay


def test_imputation_keeps_larger_sales_and_follows_the_weekday_shape() -> None:
    weekday = np.arange(70) % 7
    demand = np.where(weekday >= 5, 20.0, 10.0)
    censored = np.zeros(70, dtype=bool)
    censored[[60, 61, 68]] = True  # weekday 4, then 5 and 5 (weekend)
    sales = demand.copy()
    sales[[60, 68]] = [1.0, 2.0]
    sales[61] = 50.0
    out = impute_censored(sales, censored, weekday)
    assert out[60] == pytest.approx(10.0, rel=1e-3) and 50.0 <= out[61] <= 52.0  # at least what was sold
    assert out[68] == pytest.approx(20.0, rel=0.05)  # its level window holds the 50 sold on day 61
    assert (out[~censored] == sales[~censored]).all()


def test_days_that_run_out_are_the_busy_ones_and_the_imputation_knows_it() -> None:
    """Five units on the shelf each morning, Poisson(5) requests: the days that sell out are the high-demand
    days, so the mean of the others (~3.6) is biased low; the expectation given "at least five" is not."""
    rng = np.random.default_rng(0)
    requests = rng.poisson(5.0, 700).astype(float)
    sales = np.minimum(requests, 5.0)
    censored = requests >= 5
    out = impute_censored(sales, censored, np.arange(700) % 7)
    assert sales[~censored].mean() < 4.0
    assert out.mean() == pytest.approx(requests.mean(), rel=0.05)
