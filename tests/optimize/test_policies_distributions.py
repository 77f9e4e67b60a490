"""Demand distributions: closed forms agree with explicit pmfs, and L(s; X) is exact to ~1e-9."""

from __future__ import annotations

import numpy as np
import pytest
from policy_brute_force import convolve_days, expected_excess, negative_binomial_pmf, poisson_pmf
from scipy import stats

from lakehouse_inv.optimize.distributions import DailyDemand


@pytest.mark.parametrize(("mean", "days"), [(0.3, 1), (3.0, 5), (12.5, 14), (30.0, 40)])
def test_poisson_loss_matches_direct_sum(mean: float, days: int) -> None:
    distribution = DailyDemand.poisson(mean).over_days(days)
    s = np.arange(0, int(mean * days + 12 * np.sqrt(mean * days) + 30))
    expected = expected_excess(poisson_pmf(mean * days), s)
    assert np.max(np.abs(distribution.loss(s) - expected)) < 1e-9
    assert distribution.loss(0) == pytest.approx(mean * days, abs=1e-12)


def test_negative_binomial_loss_matches_direct_sum() -> None:
    distribution = DailyDemand.negative_binomial(4.0, 11.0).over_days(6)
    s = np.arange(0, 150)
    expected = expected_excess(negative_binomial_pmf(24.0, 66.0), s)
    assert np.max(np.abs(distribution.loss(s) - expected)) < 1e-9


def test_poisson_closed_form_agrees_with_explicit_pmf() -> None:
    daily = stats.poisson.pmf(np.arange(60), 2.5)
    explicit = DailyDemand.empirical(daily / daily.sum()).over_days(9)
    closed = DailyDemand.poisson(2.5).over_days(9)
    s = np.arange(0, 80)
    assert np.max(np.abs(explicit.loss(s) - closed.loss(s))) < 1e-9
    assert np.max(np.abs(explicit.sf(s) - closed.sf(s))) < 1e-9


def test_empirical_pmf_convolution_matches_repeated_convolution() -> None:
    daily = np.array([0.3, 0.1, 0.0, 0.4, 0.2])  # mean 1.8, not Poisson
    distribution = DailyDemand.empirical(daily).over_days(7)
    s = np.arange(0, 40)
    assert np.max(np.abs(distribution.loss(s) - expected_excess(convolve_days(daily, 7), s))) < 1e-12


def test_zero_days_or_zero_mean_is_a_point_mass_at_zero() -> None:
    for distribution in (DailyDemand.poisson(3.0).over_days(0), DailyDemand.poisson(0.0).over_days(5)):
        assert distribution.loss(np.arange(4)).tolist() == [0.0, 0.0, 0.0, 0.0]
        assert distribution.sf(np.arange(3)).tolist() == [0.0, 0.0, 0.0]


def test_quantile_search_is_the_convex_minimiser() -> None:
    distribution = DailyDemand.poisson(4.0).over_days(3)
    for alpha in (0.01, 0.3, 2.0):
        s_star = int(distribution.smallest_k_with_sf_at_most(5.0, np.array([alpha]))[0])
        s = np.arange(0, 60)
        cost = alpha * s + 5.0 * distribution.loss(s)
        assert cost[s_star] == pytest.approx(cost.min(), rel=1e-12)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: DailyDemand.negative_binomial(3.0, 2.0), "variance"),
        (lambda: DailyDemand.empirical([0.5, 0.4]), "sum to 1"),
        (lambda: DailyDemand.empirical([1.2, -0.2]), ">= 0"),
    ],
)
def test_invalid_distributions_are_rejected(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()
