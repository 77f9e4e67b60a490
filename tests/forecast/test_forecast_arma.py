"""The numpy regression-with-ARMA-errors estimator recovers known processes and agrees with statsmodels' MLE."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import lfilter

from lakehouse_inv.forecast.arma import (
    ArmaFit,
    arma_forecast,
    arma_innovations,
    fit_regression_arma,
    half_life_days,
    is_stable,
)

DOW_MEANS = np.array([5.0, 4.0, 4.0, 5.0, 7.0, 9.0, 8.0])


def simulate(ar: list[float], ma: list[float], n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weekday means plus an ARMA error with unit innovations (burn-in dropped)."""
    rng = np.random.default_rng(seed)
    errors = lfilter(np.r_[1.0, ma], np.r_[1.0, -np.array(ar)], rng.normal(0, 1, n + 200))[200:]
    design = np.eye(7)[np.arange(n) % 7]
    return design @ DOW_MEANS + errors, design


@pytest.mark.parametrize(
    ("ar", "ma"),
    [([0.6], [0.3]), ([0.9], [-0.5]), ([0.7], []), ([], [0.4]), ([1.2, -0.4], [0.3])],
    ids=["arma11", "arma11_near_cancel", "ar1", "ma1", "arma21"],
)
def test_recovers_known_arma_around_weekday_pattern(ar: list[float], ma: list[float]) -> None:
    y, design = simulate(ar, ma, n=3000, seed=11)
    fit = fit_regression_arma(y, design, len(ar), len(ma), max_iter=50)
    assert fit.converged
    np.testing.assert_allclose(fit.ar, ar, atol=0.06)
    np.testing.assert_allclose(fit.ma, ma, atol=0.06)
    # the weekday means are only as precise as the persistence of the error allows
    np.testing.assert_allclose(fit.beta, DOW_MEANS, atol=0.5 if ar and ar[0] >= 0.9 else 0.25)
    assert fit.sigma2 == pytest.approx(1.0, abs=0.08)


@pytest.fixture(scope="module")
def statsmodels_fit() -> tuple[np.ndarray, np.ndarray, object]:
    """statsmodels' exact Gaussian MLE of a 730-day regression with ARMA(1,1) errors (fitted once: ~2 s)."""
    from statsmodels.tsa.arima.model import ARIMA

    y, design = simulate([0.9], [-0.4], n=730, seed=5)
    return y, design, ARIMA(y, exog=design, order=(1, 0, 1), trend="n").fit()


def test_agrees_with_statsmodels_exact_mle_on_a_730_day_series(statsmodels_fit) -> None:
    y, design, reference = statsmodels_fit
    ours = fit_regression_arma(y, design, 1, 1, max_iter=50)
    np.testing.assert_allclose(ours.beta, reference.params[:7], atol=0.05)
    np.testing.assert_allclose([ours.ar[0], ours.ma[0]], reference.params[7:9], atol=0.02)
    assert ours.sigma2 == pytest.approx(reference.params[9], rel=0.03)


def test_forecast_matches_statsmodels_for_the_same_parameters(statsmodels_fit) -> None:
    """With identical parameters the conditional-innovations forecast equals the Kalman forecast at the end of a
    long series (the zero pre-sample start has long been forgotten)."""
    y, design, reference = statsmodels_fit
    beta, ar, ma = reference.params[:7], reference.params[7:8], reference.params[8:9]
    u = y - design @ beta
    horizon = 28
    ours = arma_forecast(u, arma_innovations(u, ar, ma), ar, ma, np.array([len(y)]), horizon)[0]
    future_design = np.eye(7)[np.arange(len(y), len(y) + horizon) % 7]
    np.testing.assert_allclose(ours + future_design @ beta, reference.forecast(horizon, exog=future_design), atol=1e-3)


def test_rolling_origins_use_only_data_before_each_origin() -> None:
    y, design = simulate([0.7], [0.2], n=400, seed=8)
    fit = fit_regression_arma(y, design, 1, 1)
    u = y - design @ fit.beta
    origins = np.array([300, 350])
    both = arma_forecast(u, arma_innovations(u, fit.ar, fit.ma), fit.ar, fit.ma, origins, 7)
    truncated = u[:300]
    alone = arma_forecast(truncated, arma_innovations(truncated, fit.ar, fit.ma), fit.ar, fit.ma, origins[:1], 7)
    np.testing.assert_allclose(both[0], alone[0])


def test_stationarity_and_invertibility_are_enforced() -> None:
    assert is_stable(np.array([0.5]))
    assert not is_stable(np.array([1.0]))
    assert is_stable(np.array([-1.2, 0.4]))  # AR(2) 1 - 1.2L + 0.4L^2 (inverse roots modulus ~0.63)
    assert not is_stable(np.array([-1.5, 0.5]))  # (1 - L)(1 - 0.5L): a unit root
    random_walk = np.cumsum(np.random.default_rng(0).normal(size=500))
    fit = fit_regression_arma(random_walk, np.ones((500, 1)), 1, 1)
    assert isinstance(fit, ArmaFit) and abs(fit.ar[0]) < 1 and abs(fit.ma[0]) < 1


def test_too_few_observations_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot identify"):
        fit_regression_arma(np.arange(9.0), np.eye(7)[np.arange(9) % 7], 1, 1)


def test_half_life_is_the_level_memory() -> None:
    assert half_life_days(np.array([0.5])) == pytest.approx(1.0)
    assert half_life_days(np.array([0.9])) == pytest.approx(np.log(0.5) / np.log(0.9))
    assert half_life_days(np.zeros(0)) == 0.0
