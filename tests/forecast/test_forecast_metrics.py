"""Accuracy metrics on tiny cases computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lakehouse_inv.forecast import metrics

ACTUAL = np.array([0.0, 2.0, 4.0])
FORECAST = np.array([1.0, 2.0, 1.0])  # errors (forecast - actual): +1, 0, -3


def test_point_metrics_by_hand() -> None:
    assert metrics.mae(ACTUAL, FORECAST) == pytest.approx(4 / 3)
    assert metrics.rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt(10 / 3))
    assert metrics.bias(ACTUAL, FORECAST) == pytest.approx(-2 / 3)  # under-forecast on balance
    assert metrics.wape(ACTUAL, FORECAST) == pytest.approx(4 / 6)


def test_mase_uses_in_sample_seasonal_naive_scale() -> None:
    history = np.array([1.0, 3.0, 2.0, 3.0])
    scale = metrics.seasonal_naive_scale(history, season=2)  # |2 - 1|, |3 - 3| -> 0.5
    assert scale == pytest.approx(0.5)
    assert metrics.mase(ACTUAL, FORECAST, scale) == pytest.approx((4 / 3) / 0.5)


def test_zero_denominators_give_nan_not_inf() -> None:
    assert math.isnan(metrics.wape(np.zeros(3), FORECAST))
    repeating = np.tile([1.0, 5.0, 0.0, 2.0, 2.0, 3.0, 9.0], 3)
    assert metrics.seasonal_naive_scale(repeating) == 0
    assert math.isnan(metrics.mase(ACTUAL, FORECAST, 0.0))
    assert math.isnan(metrics.seasonal_naive_scale(np.ones(7)))  # no full season to compare against
    assert math.isnan(metrics.mae(np.array([]), np.array([])))


def test_interval_coverage_includes_both_bounds() -> None:
    actual = np.array([1.0, 2.0, 3.0])
    assert metrics.interval_coverage(actual, np.array([1, 3, 2]), np.array([1, 3, 4])) == pytest.approx(2 / 3)


def test_selection_score_names() -> None:
    assert metrics.score(ACTUAL, FORECAST, "mae") == metrics.mae(ACTUAL, FORECAST)
    assert metrics.score(ACTUAL, FORECAST, "rmse") == metrics.rmse(ACTUAL, FORECAST)


def test_m5_scales_start_at_the_first_sale() -> None:
    from lakehouse_inv.forecast.metrics import m5_scales

    rms, mad = m5_scales(np.array([0.0, 0.0, 2.0, 4.0, 2.0]))
    assert rms == pytest.approx(2.0) and mad == pytest.approx(2.0)
    assert all(np.isnan(m5_scales(np.zeros(5))))


def test_rmsse_and_pinball_by_hand() -> None:
    from lakehouse_inv.forecast.metrics import pinball, rmsse

    actual, forecast = np.array([1.0, 3.0]), np.array([2.0, 2.0])
    assert rmsse(actual, forecast, 2.0) == pytest.approx(0.5) and np.isnan(rmsse(actual, forecast, 0.0))
    # under-forecast costs level x miss, over-forecast (1 - level) x miss
    assert pinball(np.array([5.0]), np.array([3.0]), 0.9) == pytest.approx(1.8)
    assert pinball(np.array([1.0]), np.array([3.0]), 0.9) == pytest.approx(0.2)
    assert pinball(actual, np.array([1.0, 3.0]), 0.1) == 0


def test_rate_buckets() -> None:
    from lakehouse_inv.forecast.metrics import rate_bucket

    labels = [rate_bucket(r) for r in (0.0, 0.49, 0.5, 3.0, 10.0, 500.0)]
    assert labels == ["<0.5", "<0.5", "0.5-2", "2-10", ">=10", ">=10"]
    assert rate_bucket(float("nan")) is None


def test_split_coverage_counts_a_tie_at_an_edge_by_its_probability_inside() -> None:
    """Poisson(0.3): [p10, p90] = [0, 1]. A zero lies on the lower edge, and of its probability F(0) = 0.741 the part
    above the 0.1 level is inside; a one on the upper edge counts the part of P(1) below 0.9; a two is outside."""
    f0, f1 = math.exp(-0.3), math.exp(-0.3) * 1.3
    actual = np.array([0.0, 1.0, 2.0])
    lower, upper = np.zeros(3), np.ones(3)
    below, at = np.array([0.0, f0, f1]), np.array([f0, f1, f1 + 0.3**2 / 2 * math.exp(-0.3)])
    inside = metrics.split_inside(actual, lower, upper, below, at, (0.1, 0.9))
    assert inside == pytest.approx([(f0 - 0.1) / f0, (0.9 - f0) / (f1 - f0), 0.0])
    assert metrics.split_inside(np.array([3.0]), np.array([2]), np.array([5]), [0.5], [0.6], (0.1, 0.9)) == 1.0
    # a point forecast hit exactly: its whole probability is on both edges, 80% of it inside the central band
    assert metrics.split_inside(np.array([2.0]), np.array([2]), np.array([2]), [0.0], [1.0], (0.1, 0.9)) == 0.8


def test_a_calibrated_count_forecast_splits_to_its_nominal_coverage_where_the_closed_band_holds_more() -> None:
    from scipy import stats

    rng = np.random.default_rng(0)
    for rate in (0.3, 1.5, 20.0):
        y = rng.poisson(rate, 40_000).astype(float)
        lower, upper = stats.poisson.ppf([0.1, 0.9], rate)
        below, at = stats.poisson.cdf(y - 1, rate), stats.poisson.cdf(y, rate)
        split = metrics.split_coverage(y, lower, upper, below, at, (0.1, 0.9))
        closed = metrics.interval_coverage(y, lower, upper)
        assert split == pytest.approx(0.8, abs=0.01)
        assert closed > 0.84  # the ends of a count interval are included with all their probability
    assert np.isnan(metrics.split_coverage(np.zeros(0), 0, 0, np.zeros(0), np.zeros(0), (0.1, 0.9)))
