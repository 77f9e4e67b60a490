"""Calibrated intervals and the averaged candidates: coverage on held-out synthetic days, never a worse mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.distribution import (
    NEGATIVE_BINOMIAL,
    CountDistribution,
    calibrated_interval,
    calibrated_quantiles,
    count_quantiles,
    coverage_target,
)
from lakehouse_inv.forecast.series import forecast_series
from support.synthetic import simulate_series

HORIZON = 28


def holdout_coverage(rates: list[float], gamma_shape: float, config: ForecastConfig) -> float:
    """Share of held-out days inside [p10, p90] over one series per rate (steady level, no promotions)."""
    covered = []
    for seed, rate in enumerate(rates):
        frame = simulate_series(rate, 730 + HORIZON, seed=seed, gamma_shape=gamma_shape, promo_week_share=0.0)
        frame = frame.assign(store_id="S", product_id="P")
        as_of = frame["date"].iloc[-HORIZON - 1].date()
        out = forecast_series(frame.iloc[:-HORIZON], config=config, key_cols=["store_id", "product_id"], as_of=as_of)
        actual = frame["demand"].to_numpy()[-HORIZON:]
        covered.append((actual >= out["p10"].to_numpy()) & (actual <= out["p90"].to_numpy()))
    return float(np.mean(np.concatenate(covered)))


# Sparse rates start at 0.3: below ~0.22 a day is zero with more than 80% probability, so even [0, 0] holds more
# than 80% of the days (lifting the lower bound over zero is not a forecast anyone could use).
RATES = [0.3, 0.5, 0.8, 1.2, 2.0, 4.0, 8.0, 15.0]


@pytest.mark.parametrize("gamma_shape", [np.inf, 3.0], ids=["poisson", "negative_binomial"])
def test_calibrated_80_percent_interval_covers_76_to_84_percent(gamma_shape) -> None:
    config = ForecastConfig(horizon=HORIZON, distribution={"quantile_methods": ["calibrated"]})
    sparse, dense = RATES[:4] * 2, RATES[4:8] * 2
    assert 0.76 <= holdout_coverage(sparse, gamma_shape, config) <= 0.84
    assert 0.76 <= holdout_coverage(dense, gamma_shape, config) <= 0.84


def test_nominal_quantiles_of_sparse_counts_cover_far_more_than_80_percent() -> None:
    """The regression the calibration fixes: [Q(0.1), Q(0.9)] of a low-rate count is [0, 1] on most days."""
    nominal = ForecastConfig(horizon=HORIZON, distribution={"quantile_methods": ["distribution"]})
    assert holdout_coverage(RATES[:4] * 2, np.inf, nominal) > 0.88


def test_a_constant_sparse_rate_mixes_bounds_to_reach_the_target() -> None:
    """Poisson(0.4) every day: [0, 0] holds 67% and [0, 1] 94%, so some days get each, averaging 80%."""
    mean = np.full(28, 0.4)
    bounds = calibrated_interval(mean, mean, "poisson", coverage=0.8, target=0.8)
    assert (bounds[:, 0] == 0).all() and set(bounds[:, 1]) == {0, 1}
    held = np.where(bounds[:, 1] == 0, np.exp(-0.4), np.exp(-0.4) * 1.4)
    assert held.mean() == pytest.approx(0.8, abs=0.03)


def test_a_dense_interval_matches_the_nominal_one_when_the_model_kept_its_promise() -> None:
    mean = np.linspace(20, 40, 28)
    bounds = calibrated_interval(mean, mean, "poisson", coverage=0.8, target=0.8)
    nominal = count_quantiles(mean, mean, "poisson", [0.1, 0.9])
    assert np.abs(bounds - nominal).max() <= 1


def test_the_target_rises_when_the_backtest_saw_more_spread_than_the_model() -> None:
    rng = np.random.default_rng(1)
    mean = np.full(200, 10.0)
    actual = rng.negative_binomial(2.0, 2.0 / 12.0, 200)  # variance 60, far above the Poisson 10
    assert coverage_target(actual, mean, CountDistribution("poisson"), coverage=0.8, prior_days=0) > 0.95
    honest = coverage_target(actual, mean, CountDistribution(NEGATIVE_BINOMIAL, 2.0), coverage=0.8, prior_days=0)
    assert honest == pytest.approx(0.8, abs=0.07)
    shrunk = coverage_target(actual, mean, CountDistribution("poisson"), coverage=0.8, prior_days=1e9)
    assert shrunk == pytest.approx(0.8)


def test_the_average_of_the_two_best_is_a_candidate_and_recorded() -> None:
    frame = simulate_series(6.0, 760, seed=3).assign(store_id="S", product_id="P")
    as_of = frame["date"].max().date()
    config = ForecastConfig()
    out = forecast_series(frame, config=config, key_cols=["store_id", "product_id"], as_of=as_of)
    selection = pd.io.json.ujson_loads(out["model_params"].iloc[0])["selection"]["scores"]
    ensembles = [name for name in selection if name.startswith("ensemble:")]
    assert len(ensembles) == 1
    members = ensembles[0].removeprefix("ensemble:").split("+")
    singles = sorted(v for k, v in selection.items() if not k.startswith("ensemble"))
    assert sorted(selection[m] for m in members) == singles[:2]
    off = forecast_series(
        frame, config=ForecastConfig(selection={"combine": 0}), key_cols=["store_id", "product_id"], as_of=as_of
    )
    assert not off["model"].iloc[0].startswith("ensemble")


def test_published_quantiles_stay_ordered_when_the_interval_is_narrowed_below_the_median() -> None:
    """Poisson(0.75): the median is 1, but a calibrated interval may be [0, 0] on some days (the demo's gold contract
    quarantined p10=0, p50=1, p90=0); p10 <= p50 <= p90 must hold on every day."""
    days = 28
    mean = np.full(days, 0.75)
    out = calibrated_quantiles(mean, mean, "poisson", [0.1, 0.5, 0.9], coverage=0.8, target=0.6)
    assert (out[:, 1] == 0).any() or (out[:, 2] >= 1).all()  # the case arises: some day's interval is [0, 0]
    assert (out[:, 2] == 0).any()
    assert (out[:, 0] <= out[:, 1]).all() and (out[:, 1] <= out[:, 2]).all()
