"""backtest_series: one row per model, honest rolling-origin metrics, never an exception."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.forecast.backtest import ACCURACY_SCHEMA, accuracy_output_schema, backtest_series
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.series import forecast_series
from support.synthetic import simulate_series

KEYS = ["store_id", "product_id"]
MODELS = ["auto", "arima_dow", "dow_profile", "seasonal_naive", "croston_sba", "dow_mean"]


def backtest(frame: pd.DataFrame, config: ForecastConfig) -> pd.DataFrame:
    out = backtest_series(frame, config=config, key_cols=KEYS, as_of=frame["date"].max().date())
    return out.set_index("model")


def test_one_row_per_model_in_schema_order(series_frame, config) -> None:
    frame = simulate_series(0.4, 800, seed=1).assign(store_id="S1", product_id="P1")
    out = backtest_series(frame, config=config, key_cols=KEYS, as_of=frame["date"].max().date())
    columns = [field.split()[0] for field in accuracy_output_schema("store_id string, product_id string").split(", ")]
    assert out.columns.tolist() == columns and ACCURACY_SCHEMA.startswith("as_of date, model string")
    assert out["model"].tolist() == MODELS
    assert out["n_origins"].dtype == np.int32 and (out["n_origins"] == config.backtest.origins).all()
    assert out["status"].eq("ok").all() and out["is_selected"].dtype == bool


def test_the_selected_candidate_is_the_one_forecast_series_uses(config) -> None:
    frame = simulate_series(12.0, 800, seed=2).assign(store_id="S1", product_id="P1")
    out = backtest(frame, config)
    forecast = forecast_series(frame, config=config, key_cols=KEYS, as_of=frame["date"].max().date())
    selected = out.index[out["is_selected"]].tolist()
    assert len(selected) == 1 and not out.loc["auto", "is_selected"]
    label = forecast["model"].iloc[0]
    assert label.startswith({"arima_dow": "arima", "dow_profile": "dow_profile"}.get(selected[0], selected[0]))
    assert out.loc["croston_sba", "status"] == "skipped" and "not sparse" in out.loc["croston_sba", "error"]
    assert out.loc["croston_sba", "n_origins"] == 0 and np.isnan(out.loc["croston_sba", "mae"])


def test_metrics_by_hand_on_a_repeating_week(series_frame) -> None:
    """Seasonal naive is exact on a repeating week: zero error, zero bias, full coverage, and MASE undefined
    because its in-sample scale is zero too. A flat mean misses by the known weekday deviations."""
    week = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    frame = series_frame(week * 60)
    config = ForecastConfig(candidates=["dow_profile"], backtest={"origins": 2, "step_days": 7, "horizon_days": 7})
    out = backtest(frame, config)
    naive = out.loc["seasonal_naive"]
    assert (naive["mae"], naive["rmse"], naive["bias"], naive["wape"]) == (0, 0, 0, 0)
    assert naive["coverage_80"] == 1.0 and np.isnan(naive["mase"])
    assert out.loc["dow_profile", "mae"] == pytest.approx(0, abs=1e-9)  # level 4 x exact weekday shape
    assert out.loc["dow_mean", "mae"] == pytest.approx(0, abs=1e-9)  # every weekday's 12-week mean is exact
    assert out.loc["auto", "quantile_method"] == "distribution" and out["quantile_method"].count() == 1

    flat = ForecastConfig(min_history_days=500, backtest={"origins": 2, "step_days": 7, "horizon_days": 7})
    too_short = backtest(frame, flat).loc["auto"]
    assert too_short["status"] == "fallback:too_short"  # 413 days of history < 500: the mean (4) is used
    assert too_short["mae"] == pytest.approx(np.mean(np.abs(np.array(week) - 4)))
    assert too_short["rmse"] == pytest.approx(np.sqrt(np.mean((np.array(week) - 4) ** 2)))
    assert too_short["bias"] == pytest.approx(0) and too_short["wape"] == pytest.approx(12 / 28)


def test_interval_coverage_is_close_to_eighty_percent_on_poisson_demand(config) -> None:
    """Stationary Poisson demand with a weekday shape: the backtested 80% intervals should cover about 80%."""
    rows = []
    for seed in range(6):
        frame = simulate_series(20.0, 900, seed=seed, gamma_shape=np.inf, level_sd=0.0, promo_week_share=0.0)
        rows.append(backtest(frame.assign(store_id="S1", product_id="P1"), config).loc["auto"])
    coverage = np.mean([row["coverage_80"] for row in rows])
    assert 0.75 <= coverage <= 0.9


def test_on_sparse_poisson_demand_the_closed_band_over_covers_and_the_split_one_is_nominal(config) -> None:
    """A 0.4-a-day series: [p10, p90] is mostly [0, 1], which holds ~94% of days; with the ties at its edges split
    (the non-randomized PIT) a forecast that knows the rate covers 80%."""
    rows = []
    for seed in range(3):
        frame = simulate_series(0.4, 700, seed=seed, gamma_shape=np.inf, level_sd=0.0, promo_week_share=0.0)
        rows.append(backtest(frame.assign(store_id="S1", product_id="P1"), config).loc["auto"])
    closed = np.mean([row["coverage_80"] for row in rows])
    split = np.mean([row["pit_coverage_80"] for row in rows])
    assert closed > 0.88 and 0.72 <= split <= 0.88 and split < closed


def test_short_and_empty_series_give_rows_not_exceptions(series_frame, config) -> None:
    short = backtest(series_frame([1.0, 0.0, 2.0]), config)
    assert short.index.tolist() == MODELS
    assert short["n_origins"].eq(0).all() and short["status"].eq("fallback:invalid_input").all()
    zeros = backtest(series_frame([0.0] * 300), config)
    assert zeros.loc["auto", "status"] == "fallback:all_zero" and zeros.loc["auto", "mae"] == 0
    assert np.isnan(zeros.loc["auto", "wape"]) and zeros.loc["auto", "n_origins"] == 4
    assert not zeros["is_selected"].any()


def test_as_of_limits_what_the_backtest_sees(config) -> None:
    frame = simulate_series(3.0, 900, seed=9).assign(store_id="S1", product_id="P1")
    as_of = dt.date(2024, 12, 1)
    cut = frame[frame["date"] <= pd.Timestamp(as_of)]
    full = backtest_series(frame, config=config, key_cols=KEYS, as_of=as_of)
    pd.testing.assert_frame_equal(full, backtest_series(cut, config=config, key_cols=KEYS, as_of=as_of))


def test_each_output_is_scored_by_what_it_is_for(config) -> None:
    frame = simulate_series(0.8, 800, seed=4).assign(store_id="S1", product_id="P1")
    out = backtest(frame, config)
    auto = out.loc["auto"]
    assert out["rate_bucket"].eq("0.5-2").all()
    pinballs = [auto["pinball_p10"], auto["pinball_p50"], auto["pinball_p90"]]
    assert all(np.isfinite(pinballs)) and auto["spl"] == pytest.approx(np.mean(pinballs))
    assert auto["pinball_p10"] < auto["pinball_p50"]  # a low quantile of counts rarely misses by much
    assert 0 < auto["rmsse"] < out.loc["seasonal_naive", "rmsse"]
    assert np.isfinite(auto["mae_p50"]) and auto["mae_p50"] <= auto["mae"] + 0.05
