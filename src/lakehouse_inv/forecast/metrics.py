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
