"""Point and interval accuracy of forecasts; every function returns NaN rather than dividing by zero.

``forecast - actual`` is the error convention throughout, so a positive bias means over-forecasting.
"""

from __future__ import annotations

import numpy as np

SEASON_DAYS = 7


def _errors(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    return np.asarray(forecast, dtype=float) - np.asarray(actual, dtype=float)


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    errors = _errors(actual, forecast)
    return float(np.mean(np.abs(errors))) if errors.size else np.nan


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    errors = _errors(actual, forecast)
    return float(np.sqrt(np.mean(errors**2))) if errors.size else np.nan


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean of ``forecast - actual``."""
    errors = _errors(actual, forecast)
    return float(np.mean(errors)) if errors.size else np.nan


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Sum of absolute errors over total actual demand; NaN when nothing was sold (no volume to weigh by)."""
    total = float(np.sum(actual))
    return float(np.sum(np.abs(_errors(actual, forecast))) / total) if total > 0 else np.nan


def seasonal_naive_scale(history: np.ndarray, season: int = SEASON_DAYS) -> float:
    """In-sample MAE of the seasonal naive forecast ``y[t - season]``: the denominator of MASE."""
    history = np.asarray(history, dtype=float)
    if len(history) <= season:
        return np.nan
    return float(np.mean(np.abs(history[season:] - history[:-season])))


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """MAE relative to :func:`seasonal_naive_scale`; NaN when the scale is zero (a perfectly repeating history)."""
    if not np.isfinite(scale) or scale <= 0:
        return np.nan
    return mae(actual, forecast) / scale


def interval_coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside ``[lower, upper]`` (both ends included: the bounds are attainable counts)."""
    actual = np.asarray(actual, dtype=float)
    if not actual.size:
        return np.nan
    return float(np.mean((actual >= lower) & (actual <= upper)))


def split_inside(
    actual: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    below: np.ndarray,
    at: np.ndarray,
    levels: tuple[np.ndarray | float, np.ndarray | float],
) -> np.ndarray:
    """Per day, the share of the actual count's probability that lies inside the band: 1 strictly inside, 0
    outside, and on an edge the part of ``P(y) = at - below`` (``below = F(y - 1)``, ``at = F(y)`` under the
    forecast's distribution) between the levels the edges were drawn at (``levels``: ``(0.1, 0.9)`` for the
    distribution's own ``[p10, p90]``).

    This is interval coverage with ties split, the central-interval reading of the non-randomized PIT of Czado,
    Gneiting & Held (2009): a count's PIT is uniform on ``[F(y - 1), F(y)]``, and the day counts by how much of that
    stretch lies in ``[low, high]``. Under a calibrated count forecast it averages ``high - low`` however small the
    counts, where the closed interval ``lower <= y <= upper`` holds more (a 0.3-a-day series' ``[0, 1]`` holds 96%).
    An edge the band was moved off its levels counts whole when moved inwards and not at all when moved outwards.
    """
    y = np.asarray(actual, dtype=float)
    below, at = np.asarray(below, dtype=float), np.asarray(at, dtype=float)
    low = np.where(y == lower, np.maximum(below, levels[0]), below)
    high = np.where(y == upper, np.minimum(at, levels[1]), at)
    mass = at - below
    edge = np.clip((high - low) / np.where(mass > 1e-12, mass, 1.0), 0.0, 1.0)
    inside = (y >= lower) & (y <= upper)
    # no probability at y (a point forecast missed, or y beyond the distribution's support): the closed interval
    return np.where(inside, np.where(mass > 1e-12, edge, 1.0), 0.0)


def split_coverage(
    actual: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    below: np.ndarray,
    at: np.ndarray,
    levels: tuple[np.ndarray | float, np.ndarray | float],
) -> float:
    """Mean of :func:`split_inside`: the coverage of ``[lower, upper]`` with ties at its edges split (NaN if no day)."""
    if not np.asarray(actual).size:
        return np.nan
    return float(np.mean(split_inside(actual, lower, upper, below, at, levels)))


def score(actual: np.ndarray, forecast: np.ndarray, metric: str) -> float:
    """The model-selection error named in the config (``mae`` or ``rmse``)."""
    return {"mae": mae, "rmse": rmse}[metric](actual, forecast)


def m5_scales(history: np.ndarray) -> tuple[float, float]:
    """M5's in-sample scales from the first sale on: RMS and mean absolute one-day change (NaN if undefined)."""
    history = np.asarray(history, dtype=float)
    sold = np.flatnonzero(history)
    if not len(sold) or len(history) - sold[0] < 2:
        return np.nan, np.nan
    change = np.diff(history[sold[0] :])
    return float(np.sqrt(np.mean(change**2))), float(np.mean(np.abs(change)))


def rmsse(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """RMSE over :func:`m5_scales`' RMS scale (M5's RMSSE); NaN when the scale is zero or undefined."""
    if not np.isfinite(scale) or scale <= 0:
        return np.nan
    return rmse(actual, forecast) / scale


def pinball(actual: np.ndarray, quantile: np.ndarray, level: float) -> float:
    """Mean pinball (quantile) loss of ``quantile`` at ``level``: minimised by the true ``level`` quantile."""
    diff = np.asarray(actual, dtype=float) - np.asarray(quantile, dtype=float)
    if not diff.size:
        return np.nan
    return float(np.mean(np.maximum(level * diff, (level - 1) * diff)))


# A series' rate bucket is its mean daily demand over this many days (before the first backtest origin, or before
# the forecast origin when the quantile method of its segment is chosen).
RATE_DAYS = 56
# Segments of gold.forecast_accuracy by mean daily demand before the first backtest origin (units/day).
RATE_BUCKETS: tuple[tuple[str, float], ...] = (("<0.5", 0.5), ("0.5-2", 2.0), ("2-10", 10.0), (">=10", np.inf))


def rate_bucket(rate: float) -> str | None:
    """The :data:`RATE_BUCKETS` label of a mean daily demand (None when unknown)."""
    if not np.isfinite(rate):
        return None
    return next(label for label, upper in RATE_BUCKETS if rate < upper)
