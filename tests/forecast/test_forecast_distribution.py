"""Count distributions: family choice from residuals, integer quantiles, the optimizer's pmf, interval coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lakehouse_inv.forecast import metrics
from lakehouse_inv.forecast.distribution import (
    DEGENERATE,
    NEGATIVE_BINOMIAL,
    POISSON,
    CountDistribution,
    count_quantiles,
    daily_pmf,
    fit_count_distribution,
)

SETTINGS = {"overdispersion_z": 2.0, "min_nb_size": 0.1}


def test_poisson_residuals_choose_poisson() -> None:
    rng = np.random.default_rng(1)
    mean = rng.uniform(0.2, 30, 400)
    assert fit_count_distribution(rng.poisson(mean), mean, **SETTINGS).family == POISSON


def test_overdispersed_residuals_choose_negative_binomial_with_the_right_size() -> None:
    rng = np.random.default_rng(2)
    mean, size = rng.uniform(1, 20, 2000), 2.0
    draws = rng.negative_binomial(size, size / (size + mean))
    fitted = fit_count_distribution(draws, mean, **SETTINGS)
    assert fitted.family == NEGATIVE_BINOMIAL
    assert fitted.size == pytest.approx(size, rel=0.25)
    np.testing.assert_allclose(fitted.variance(np.array([4.0])), 4 + 16 / fitted.size)


def test_quantiles_are_the_scipy_count_quantiles() -> None:
    mean = np.array([0.0, 0.3, 3.0, 40.0])
    levels = [0.1, 0.5, 0.9]
    poisson = count_quantiles(mean, mean, POISSON, levels)
    assert poisson.dtype.kind == "i"
    np.testing.assert_array_equal(poisson, stats.poisson.ppf(np.array(levels)[None, :], mean[:, None]))
    variance = mean + mean**2 / 2.0
    nb = count_quantiles(mean, variance, NEGATIVE_BINOMIAL, levels)
    assert np.all(np.diff(nb, axis=1) >= 0) and np.all(nb[:, 2] >= poisson[:, 2])
    expected = stats.nbinom.ppf(0.9, 2.0, 2.0 / (2.0 + mean[1:]))
    np.testing.assert_array_equal(nb[1:, 2], expected)
    point_masses = count_quantiles(np.array([0.0, 5.0]), np.zeros(2), DEGENERATE, levels)
    np.testing.assert_array_equal(point_masses, [[0, 0, 0], [5, 5, 5]])


@pytest.mark.parametrize(
    ("family", "variance_of"), [(POISSON, lambda m: m), (NEGATIVE_BINOMIAL, lambda m: m + m**2 / 3)]
)
def test_daily_pmf_is_a_distribution_with_the_given_moments(family, variance_of) -> None:
    mean = np.array([0.5, 4.0, 12.0])
    pmf = daily_pmf(mean, variance_of(mean), family, max_x=400)
    np.testing.assert_allclose(pmf.sum(axis=1), 1.0)
    counts = np.arange(401)
    np.testing.assert_allclose(pmf @ counts, mean, rtol=1e-6)
    np.testing.assert_allclose(pmf @ counts**2 - mean**2, variance_of(mean), rtol=1e-5)


def test_daily_pmf_puts_the_tail_in_the_last_cell_and_handles_point_masses() -> None:
    pmf = daily_pmf(np.array([10.0]), np.array([10.0]), POISSON, max_x=5)
    assert pmf.shape == (1, 6)
    assert pmf[0, -1] == pytest.approx(stats.poisson.sf(4, 10.0))
    np.testing.assert_array_equal(daily_pmf(np.array([2.0]), np.array([0.0]), DEGENERATE, 4), [[0, 0, 1, 0, 0]])


def test_eighty_percent_interval_covers_about_eighty_percent_of_poisson_draws() -> None:
    """With the correct mean, [p10, p90] of a large-mean Poisson covers close to 80% (a little more: the bounds
    are attainable counts, and both are included)."""
    rng = np.random.default_rng(4)
    mean = np.full(20000, 30.0)
    bounds = count_quantiles(mean, CountDistribution(POISSON).variance(mean), POISSON, [0.1, 0.9])
    coverage = metrics.interval_coverage(rng.poisson(mean), bounds[:, 0], bounds[:, 1])
    assert 0.78 <= coverage <= 0.86
