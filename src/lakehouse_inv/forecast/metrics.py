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
