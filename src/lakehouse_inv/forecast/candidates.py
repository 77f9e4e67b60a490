"""The candidate models a series chooses from, all behind one small interface.

``fit_candidate(name, history, end, config)`` estimates a model on days ``[0, end)``; the returned object's
``forecast(origins, horizon)`` gives the conditional mean after each origin ``o >= end`` using the data before
``o`` with the parameters fixed at ``end``. One fit therefore serves every origin of the selection backtest, and
``forecast([n_obs], horizon)`` after a fit at ``n_obs`` is the production forecast.

* ``arima_dow``: weekday dummies (+ log price) with low-order ARMA errors (:mod:`.arma`); the AR root sets how
  fast the recent level fades into the long-run weekday means, estimated per series.
* ``dow_profile``: the last ``weeks`` weeks' level times the weekday shape of the last year: a deliberately
  short level memory, which is what drifting demand needs and what M5-style comparisons reward.
* ``seasonal_naive``: the same weekday last week.
* ``croston_sba``: Croston's size/interval smoothing with the Syntetos-Boylan correction, for mostly-zero series.
* ``dow_mean``: each weekday's mean over the last 12 weeks: a reference the backtest always reports (M5-style
  comparisons find it hard to beat), a candidate only when configured.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy.signal import lfilter

from lakehouse_inv.forecast.arma import (
    ArmaFit,
    arma_forecast,
    arma_innovations,
    fit_regression_arma,
    half_life_days,
)
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.history import SeriesHistory

WEEK = 7


class FittedCandidate(Protocol):
    @property
    def label(self) -> str:
        """The model spec recorded in the ``model`` column."""
        ...

    def forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        """Mean forecasts, shape ``(len(origins), horizon)``."""
        ...

    def params(self) -> dict[str, Any]:
        """Fitted parameters for ``model_params``."""
        ...


def _horizon_days(origins: np.ndarray, horizon: int) -> np.ndarray:
    return origins[:, None] + np.arange(horizon)[None, :]


@dataclass(frozen=True)
class ArimaDow:
    """``arima(p,0,q)+dow[+price]`` fitted on days ``[0, end)``."""

    history: SeriesHistory
    fit: ArmaFit
    use_price: bool
    criteria: dict[str, float]

    @property
    def label(self) -> str:
        return f"arima({len(self.fit.ar)},0,{len(self.fit.ma)})+dow" + ("+price" if self.use_price else "")

    def forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        last = int(origins.max())
        design = _arima_design(self.history, last, self.use_price)
        u = self.history.demand[:last] - design @ self.fit.beta
        e = arma_innovations(u, self.fit.ar, self.fit.ma)
        mean = arma_forecast(u, e, self.fit.ar, self.fit.ma, origins, horizon)
        mean += self.fit.beta[self.history.weekday(_horizon_days(origins, horizon))]
        if self.use_price:
            mean += self.fit.beta[WEEK] * self.history.future_log_prices(origins, horizon)
        return mean

    def params(self) -> dict[str, Any]:
        params = {
            "order": [len(self.fit.ar), 0, len(self.fit.ma)],
            "ar": self.fit.ar,
            "ma": self.fit.ma,
            "level_half_life_days": half_life_days(self.fit.ar),
            "dow": self.fit.beta[:WEEK],
            "sigma2": self.fit.sigma2,
            "ic": self.criteria,
            "n_iter": self.fit.n_iter,
            "converged": self.fit.converged,
        }
        if self.use_price:
            params["log_price"] = self.fit.beta[WEEK]
        return params


def _arima_design(history: SeriesHistory, end: int, use_price: bool) -> np.ndarray:
    """Weekday dummies (no intercept: each weekday has its own mean) plus log price when it varies."""
    dummies = np.eye(WEEK)[history.weekday(np.arange(end))]
    if not use_price:
        return dummies
    return np.hstack([dummies, history.log_price[:end, None]])


def fit_arima_dow(history: SeriesHistory, end: int, config: ForecastConfig) -> ArimaDow:
    """Each (p, q) of the configured grid by conditional least squares; the lowest information criterion wins."""
    use_price = config.arima.use_price and history.price_varies(end)
    design = _arima_design(history, end, use_price)
    y = history.demand[:end]
    fits = [fit_regression_arma(y, design, p, q, max_iter=config.arima.max_iter) for p, q in config.arima.orders]
    criteria = [fit.information_criterion(config.arima.ic) for fit in fits]
    best = int(np.argmin(criteria))
    return ArimaDow(history, fits[best], use_price, {config.arima.ic: criteria[best]})


@dataclass(frozen=True)
class DowProfile:
    """``dow_profile_<weeks>w``: recent level x long-run weekday shape, recomputed at every origin."""

    history: SeriesHistory
    end: int
    weeks: int
    shape_days: int

    @property
    def label(self) -> str:
        return f"dow_profile_{self.weeks}w"

    def level_and_shape(self, origin: int) -> tuple[float, np.ndarray]:
        """Recent mean per average weekday, and weekday means over the shape window relative to their average."""
        first = max(origin - self.shape_days, 0)
        demand = self.history.demand[first:origin]
        weekday = self.history.weekday(np.arange(first, origin))
        means = np.bincount(weekday, demand, WEEK) / np.maximum(np.bincount(weekday, minlength=WEEK), 1)
        average = means.mean()
        shape = means / average if average > 0 else np.ones(WEEK)
        recent = slice(max(origin - WEEK * self.weeks, 0) - first, None)
        weight = shape[weekday[recent]].mean()
        level = demand[recent].mean() / weight if weight > 0 else demand[recent].mean()
        return float(level), shape

    def forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        weekdays = self.history.weekday(_horizon_days(origins, horizon))
        mean = np.empty((len(origins), horizon))
        for row, origin in enumerate(origins):
            level, shape = self.level_and_shape(int(origin))
            mean[row] = level * shape[weekdays[row]]
        return mean

    def params(self) -> dict[str, Any]:
        level, shape = self.level_and_shape(self.end)
        return {"weeks": self.weeks, "shape_days": self.shape_days, "level": level, "shape": shape}


def fit_dow_profile(history: SeriesHistory, end: int, config: ForecastConfig) -> DowProfile:
    return DowProfile(history, end, config.dow_profile.weeks, config.dow_profile.shape_days)


YEAR = 364  # 52 weeks: the same weekday a year earlier


@dataclass(frozen=True)
class YearlyProfile:
    """``dow_profile_yearly``: the weekday profile times last year's growth from the level window to each target day.

    ``growth(h) = (sum over the 4 weeks around origin + h - 364 + prior) / (that window's share of the level
    window's sum a year earlier + prior)``: both windows are whole weeks (weekday-neutral), ``prior_units``
    pseudo-units pull a thin series' growth towards 1. Only a candidate with a year of history before the level
    window and the horizon, so the per-series backtest decides whether the yearly season is worth it.
    """

    profile: DowProfile
    prior_units: float

    @property
    def label(self) -> str:
        return f"dow_profile_{self.profile.weeks}w+yearly"

    def growth(self, origin: int, horizon: int) -> np.ndarray:
        demand = self.profile.history.demand
        cumulative = np.concatenate([[0.0], np.cumsum(demand)])
        level_days = WEEK * self.profile.weeks
        ago = origin - YEAR
        base = (cumulative[ago] - cumulative[max(ago - level_days, 0)]) / level_days
        centre = ago + np.arange(horizon)
        first = np.clip(centre - 14, 0, len(demand))
        last = np.clip(centre + 14, 0, len(demand))
        window = np.maximum(last - first, 1)
        around = (cumulative[last] - cumulative[first]) / window
        return (around * window + self.prior_units) / (base * window + self.prior_units)

    def forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        mean = self.profile.forecast(origins, horizon)
        for row, origin in enumerate(origins):
            mean[row] *= self.growth(int(origin), horizon)
        return mean

    def params(self) -> dict[str, Any]:
        growth = self.growth(self.profile.end, WEEK * 4)
        return self.profile.params() | {"yearly_growth_4w": float(np.mean(growth)), "prior_units": self.prior_units}


def fit_yearly_profile(history: SeriesHistory, end: int, config: ForecastConfig) -> YearlyProfile:
    return YearlyProfile(fit_dow_profile(history, end, config), config.yearly.prior_units)


def yearly_days_needed(config: ForecastConfig) -> int:
    """History a yearly profile needs before its origin: a year plus the level window plus four weeks ahead."""
    return YEAR + WEEK * config.dow_profile.weeks + 28


@dataclass(frozen=True)
class PooledProfile:
    """``pooled_profile``: recent level x the weekday shape shrunk towards the group's (:mod:`.pooling`)."""

    history: SeriesHistory
    end: int
    weeks: int
    shape_days: int
    prior_units: float

    @property
    def label(self) -> str:
        return f"pooled_profile_{self.weeks}w"

    def level_and_shape(self, origin: int) -> tuple[float, np.ndarray, float]:
        first = max(origin - self.shape_days, 0)
        demand = self.history.demand[first:origin]
        weekday = self.history.weekday(np.arange(first, origin))
        sums = np.bincount(weekday, demand, WEEK)
        counts = np.maximum(np.bincount(weekday, minlength=WEEK), 1)
        own = sums / counts
        own = own / own.mean() if own.mean() > 0 else np.ones(WEEK)
        units = float(sums.sum())
        group = self.history.group_shape
        shape = (units * own + self.prior_units * group) / (units + self.prior_units)
        recent = slice(max(origin - WEEK * self.weeks, 0) - first, None)
        weight = shape[weekday[recent]].mean()
        level = demand[recent].mean() / weight if weight > 0 else demand[recent].mean()
        return float(level), shape, units / (units + self.prior_units)

    def forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        weekdays = self.history.weekday(_horizon_days(origins, horizon))
        mean = np.empty((len(origins), horizon))
        for row, origin in enumerate(origins):
            level, shape, _ = self.level_and_shape(int(origin))
            mean[row] = level * shape[weekdays[row]]
        return mean

    def params(self) -> dict[str, Any]:
        level, shape, own_weight = self.level_and_shape(self.end)
        return {"weeks": self.weeks, "level": level, "shape": shape, "own_weight": own_weight}


def fit_pooled_profile(history: SeriesHistory, end: int, config: ForecastConfig) -> PooledProfile:
    pooling = config.pooling
    return PooledProfile(history, end, pooling.level_weeks, config.dow_profile.shape_days, pooling.prior_units)


@dataclass(frozen=True)
class SeasonalNaive:
    """The same weekday one week earlier."""

    history: SeriesHistory
    label: str = "seasonal_naive"

    def forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        return self.history.demand[origins[:, None] - WEEK + np.arange(horizon)[None, :] % WEEK]

    def params(self) -> dict[str, Any]:
        return {"season": WEEK}


DOW_MEAN_WEEKS = 12


@dataclass(frozen=True)
class DowMean:
    """The mean of the same weekday over the last :data:`DOW_MEAN_WEEKS` weeks before each origin."""

    history: SeriesHistory
    weeks: int = DOW_MEAN_WEEKS

    @property
    def label(self) -> str:
        return f"dow_mean_{self.weeks}w"

    def forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        demand = self.history.demand
        mean = np.empty((len(origins), horizon))
        for row, origin in enumerate(origins):
            first = max(int(origin) - WEEK * self.weeks, 0)
            days = np.arange(first, int(origin))
            weekday = self.history.weekday(days)
            sums = np.bincount(weekday, demand[first:origin], WEEK)
            means = sums / np.maximum(np.bincount(weekday, minlength=WEEK), 1)
            mean[row] = means[self.history.weekday(int(origin) + np.arange(horizon))]
        return mean

    def params(self) -> dict[str, Any]:
        return {"weeks": self.weeks}


def fit_dow_mean(history: SeriesHistory, end: int, config: ForecastConfig) -> DowMean:
    return DowMean(history)


def fit_seasonal_naive(history: SeriesHistory, end: int, config: ForecastConfig) -> SeasonalNaive:
    return SeasonalNaive(history)


@dataclass(frozen=True)
class CrostonSba:
    """Flat rate ``(1 - alpha/2) * size / interval`` from the smoothed non-zero sizes and inter-demand intervals."""

    history: SeriesHistory
    end: int
    alpha: float
    label: str = "croston_sba"

    def _ses(self, values: np.ndarray) -> np.ndarray:
        """Simple exponential smoothing started at the first value."""
        decay = 1 - self.alpha
        return lfilter([self.alpha], [1.0, -decay], values, zi=[decay * values[0]])[0]

    def _smoothed(self, last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Event days before ``last`` and the smoothed size and interval after each event."""
        events = np.flatnonzero(self.history.demand[:last])
        if not len(events):
            return events, np.zeros(0), np.zeros(0)
        intervals = np.diff(events, prepend=-1).astype(float)
        return events, self._ses(self.history.demand[events]), self._ses(intervals)

    def _rates(self, origins: np.ndarray) -> np.ndarray:
        events, size, gap = self._smoothed(int(origins.max()))
        latest = np.searchsorted(events, origins) - 1
        seen = latest >= 0
        rates = np.zeros(len(origins))
        rates[seen] = (1 - self.alpha / 2) * size[latest[seen]] / gap[latest[seen]]
        return rates

    def forecast(self, origins: np.ndarray, horizon: int) -> np.ndarray:
        return np.repeat(self._rates(origins)[:, None], horizon, axis=1)

    def params(self) -> dict[str, Any]:
        events, size, gap = self._smoothed(self.end)
        if not len(events):
            return {"alpha": self.alpha, "size": 0.0, "interval": None}
        return {"alpha": self.alpha, "size": size[-1], "interval": gap[-1]}


def fit_croston_sba(history: SeriesHistory, end: int, config: ForecastConfig) -> CrostonSba:
    return CrostonSba(history, end, config.croston.alpha)


FITTERS: dict[str, Callable[[SeriesHistory, int, ForecastConfig], FittedCandidate]] = {
    "arima_dow": fit_arima_dow,
    "dow_profile": fit_dow_profile,
    "seasonal_naive": fit_seasonal_naive,
    "croston_sba": fit_croston_sba,
    "dow_profile_yearly": fit_yearly_profile,
    "pooled_profile": fit_pooled_profile,
    "dow_mean": fit_dow_mean,
}


def ineligibility(name: str, history: SeriesHistory, end: int, config: ForecastConfig) -> str | None:
    """Why candidate ``name`` should not be fitted on days ``[0, end)``, or None when it may."""
    if name == "arima_dow" and end < config.arima.min_train_days:
        return f"needs {config.arima.min_train_days} days of history, has {end}"
    if name == "pooled_profile":
        if history.group_shape is None:
            return "no group to pool with (forecast without a group column)"
        units = float(history.demand[max(end - config.pooling.shape_days, 0) : end].sum())
        if units >= config.pooling.max_own_weight / (1 - config.pooling.max_own_weight) * config.pooling.prior_units:
            return f"own data enough: {units:.0f} units weigh over {config.pooling.max_own_weight:.0%} of the shape"
    if name == "dow_profile_yearly" and end < yearly_days_needed(config):
        return f"needs {yearly_days_needed(config)} days of history for a yearly season, has {end}"
    if name == "croston_sba":
        recent = history.demand[max(end - config.dow_profile.shape_days, 0) : end]
        zero_share = float(np.mean(recent == 0))
        if zero_share < config.croston.min_zero_share:
            return f"not sparse: {zero_share:.0%} zero days < {config.croston.min_zero_share:.0%}"
    return None


def fit_candidate(name: str, history: SeriesHistory, end: int, config: ForecastConfig) -> FittedCandidate:
    return FITTERS[name](history, end, config)


# Each candidate's ``label`` (the ``model`` column) read back as the candidate that wrote it, first match wins.
_LABEL_PATTERNS = (
    (re.compile(r"^arima\("), "arima_dow"),
    (re.compile(r"^dow_profile_\d+w\+yearly$"), "dow_profile_yearly"),
    (re.compile(r"^dow_profile_\d+w$"), "dow_profile"),
    (re.compile(r"^seasonal_naive$"), "seasonal_naive"),
    (re.compile(r"^croston_sba$"), "croston_sba"),
    (re.compile(r"^pooled_profile_\d+w$"), "pooled_profile"),
    (re.compile(r"^dow_mean_\d+w$"), "dow_mean"),
)


def candidate_of_label(label: str | None) -> str | None:
    """The candidate whose ``label`` a published ``model`` column holds; None for anything else (an average,
    a fallback's ``mean``)."""
    return next((name for pattern, name in _LABEL_PATTERNS if label and pattern.search(label)), None)
