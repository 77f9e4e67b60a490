"""From a prepared daily history to one forecast: fallback ladder, rolling-origin selection, count distribution.

Order of decisions for a series (each one recorded in ``status``):

1. ``fallback:too_short`` (fewer than ``min_history_days``), ``fallback:all_zero``, ``fallback:constant``:
   no model can be judged on such data, so the forecast is the recent mean ("mean" model).
2. Every eligible candidate is fitted once at the earliest selection origin and scored on
   ``selection.origins`` rolling origins over the last weeks (state rolls forward, parameters stay fixed).
3. The best-scoring candidate is refitted on the whole history; if that fails the next one is tried.
   ``fallback:no_candidate`` / ``fallback:fit_failed`` when nothing is left.
4. The count distribution comes from the chosen candidate's backtest residuals (:mod:`.distribution`), and the
   quantiles from it by the method that scores best on the later half of that backtest (:mod:`.quantile_methods`);
   a group of series forecast together re-chooses per segment on their pooled evidence (:func:`with_quantiles`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lakehouse_inv.forecast import metrics
from lakehouse_inv.forecast.calendar import HolidayEffects, holiday_effects
from lakehouse_inv.forecast.candidates import WEEK, fit_candidate, ineligibility
from lakehouse_inv.forecast.config import MIN_TRAIN_DAYS, ForecastConfig
from lakehouse_inv.forecast.distribution import (
    DEGENERATE,
    NOMINAL_COVERAGE,
    CountDistribution,
    calibrated_quantiles,
    cdf_around,
    count_quantiles,
    coverage_target,
    fit_count_distribution,
    interval_levels,
)
from lakehouse_inv.forecast.history import SeriesHistory
from lakehouse_inv.forecast.quantile_methods import (
    CALIBRATED,
    CONFORMAL,
    DISTRIBUTION,
    LevelMap,
    QuantileChoice,
    QuantileEvidence,
    choose_per_segment,
    quantile_evidence,
)

OK = "ok"
FALLBACK_MODEL = "mean"
ENSEMBLE = "ensemble"


def fallback_status(reason: str) -> str:
    return f"fallback:{reason}"


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class SeriesForecast:
    """Mean path over the horizon with its count distribution, and how it was obtained."""

    mean: np.ndarray
    distribution: CountDistribution
    model: str
    params: dict[str, Any]
    candidate: str | None = None
    status: str = OK
    error: str | None = None
    interval_target: float | None = None
    quantile_method: str = DISTRIBUTION
    level_map: LevelMap | None = None
    evidence: QuantileEvidence | None = field(default=None, repr=False, compare=False)
    fixed_quantiles: dict[float, np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def variance(self) -> np.ndarray:
        return self.distribution.variance(self.mean)

    def band_levels(self) -> tuple[float, float]:
        """The levels of the distribution at which :meth:`quantiles` draws the ends of ``[p10, p90]``: the conformal
        levels where those are used, else the nominal ones (a calibrated or a model's own band is then judged by how
        far it moved off them, :func:`~.metrics.split_inside`)."""
        nominal = interval_levels(NOMINAL_COVERAGE)
        drawn_by_map = self.quantile_method == CONFORMAL and self.level_map is not None
        if drawn_by_map and self.fixed_quantiles is None and self.distribution.family != DEGENERATE and self.mean.any():
            low, high = self.level_map.levels(nominal)
            return float(low), float(high)
        return nominal

    def split_inside(self, actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Per day, how much of the actual count's probability lies inside ``[lower, upper]`` (the published
        ``[p10, p90]``), ties at the edges split: :func:`~.metrics.split_inside`."""
        below, at = cdf_around(actual, self.mean, self.variance, self.distribution.family)
        return metrics.split_inside(actual, lower, upper, below, at, self.band_levels())

    def quantiles(self, levels: Sequence[float], coverage: float) -> np.ndarray:
        """Integer quantiles per day at ``levels`` by :attr:`quantile_method`: the distribution's own, with the ends
        of the central ``coverage`` interval calibrated to :attr:`interval_target`
        (:func:`~.distribution.calibrated_interval`), or at the conformal levels of :attr:`level_map`."""
        family = self.distribution.family
        if self.fixed_quantiles is not None and all(level in self.fixed_quantiles for level in levels):
            return np.column_stack([self.fixed_quantiles[level] for level in levels]).astype(np.int64)
        if family == DEGENERATE or not self.mean.any():
            return count_quantiles(self.mean, self.variance, family, list(levels))
        if self.quantile_method == CALIBRATED and self.interval_target is not None:
            return calibrated_quantiles(
                self.mean, self.variance, family, list(levels), coverage=coverage, target=self.interval_target
            )
        if self.quantile_method == CONFORMAL and self.level_map is not None:
            return count_quantiles(self.mean, self.variance, family, list(self.level_map.levels(levels)))
        return count_quantiles(self.mean, self.variance, family, list(levels))


@dataclass(frozen=True)
class CandidateScore:
    """A candidate's rolling-origin errors over the selection window (``status`` ok / skipped / failed)."""

    name: str
    status: str
    score: float = np.inf
    actual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    predicted: np.ndarray = field(default_factory=lambda: np.zeros(0))
    error: str | None = None
    members: tuple[CandidateScore, ...] = ()


def fallback_reason(history: SeriesHistory, config: ForecastConfig) -> str | None:
    """Why no model should be fitted to this history, or None."""
    demand = history.demand
    if history.n_obs < config.min_history_days:
        return "too_short"
    if not demand.any():
        return "all_zero"
    if np.ptp(demand) == 0:
        return "constant"
    return None


def mean_forecast(
    history: SeriesHistory, config: ForecastConfig, reason: str, error: str | None = None
) -> SeriesForecast:
    """The recent mean (over the level memory of the weekday profile), Poisson/NB by the recent spread."""
    window = history.demand[-WEEK * config.dow_profile.weeks :]
    rate = float(window.mean()) if len(window) else 0.0
    if rate == 0 or np.ptp(window) == 0:
        distribution = CountDistribution(DEGENERATE)
    else:
        options = config.distribution.model_dump(include={"overdispersion_z", "min_nb_size"})
        distribution = fit_count_distribution(window, np.full(len(window), rate), **options)
    return SeriesForecast(
        mean=np.full(config.horizon, rate),
        distribution=distribution,
        model=FALLBACK_MODEL,
        params={"fit": {"window_days": len(window), "mean": rate}, "distribution": _describe(distribution)},
        status=fallback_status(reason),
        error=error,
    )


def selection_origins(n_obs: int, config: ForecastConfig) -> np.ndarray:
    """Origins of the selection backtest, oldest first, each leaving ``MIN_TRAIN_DAYS`` of training data."""
    sel = config.selection
    origins = n_obs - sel.horizon_days - sel.step_days * np.arange(sel.origins)[::-1]
    return origins[origins >= MIN_TRAIN_DAYS]


def score_candidates(history: SeriesHistory, config: ForecastConfig, names: Sequence[str]) -> list[CandidateScore]:
    """Fit each candidate at the earliest selection origin and score its forecasts from every origin."""
    origins = selection_origins(history.n_obs, config)
    horizon = config.selection.horizon_days
    fit_end = int(origins[0])
    actual = history.demand[origins[:, None] + np.arange(horizon)[None, :]].ravel()
    scores = []
    for name in names:
        reason = ineligibility(name, history, fit_end, config)
        if reason:
            scores.append(CandidateScore(name, "skipped", error=reason))
            continue
        try:
            fitted = fit_candidate(name, history, fit_end, config)
            predicted = _checked(fitted.forecast(origins, horizon)).ravel()
        except Exception as exc:  # a candidate failing must not sink the series
            scores.append(CandidateScore(name, "failed", error=describe_error(exc)))
            continue
        value = metrics.score(actual, predicted, config.selection.metric)
        scores.append(CandidateScore(name, OK, value, actual, predicted))
    return scores


def _checked(mean: np.ndarray) -> np.ndarray:
    """Counts cannot be negative; a non-finite mean means the fit is unusable."""
    if not np.all(np.isfinite(mean)):
        raise FloatingPointError("non-finite forecast")
    return np.maximum(mean, 0.0)


def _describe(distribution: CountDistribution) -> dict[str, Any]:
    return {"family": distribution.family, "size": distribution.size}


def forecast_candidate(history: SeriesHistory, config: ForecastConfig, score: CandidateScore) -> SeriesForecast:
    """Refit a scored candidate on the whole history; its distribution comes from its backtest residuals."""
    fitted = fit_candidate(score.name, history, history.n_obs, config)
    mean = _checked(fitted.forecast(np.array([history.n_obs]), config.horizon)[0])
    distribution = _distribution(score, mean, config)
    params = {"fit": fitted.params(), "distribution": _describe(distribution)}
    return SeriesForecast(mean, distribution, fitted.label, params, candidate=score.name)


def _distribution(score: CandidateScore, mean: np.ndarray, config: ForecastConfig) -> CountDistribution:
    if not mean.any():
        return CountDistribution(DEGENERATE)
    options = config.distribution.model_dump(include={"overdispersion_z", "min_nb_size"})
    return fit_count_distribution(score.actual, score.predicted, **options)


def interval_target(evidence: QuantileEvidence, config: ForecastConfig) -> float | None:
    """Expected share the calibrated interval aims at, from all the backtest days (:func:`coverage_target`)."""
    return coverage_target(
        evidence.actual,
        evidence.predicted,
        evidence.distribution,
        coverage=config.distribution.target_coverage,
        nominal=NOMINAL_COVERAGE,
        prior_days=config.distribution.calibration_prior_days,
    )


def ensemble_score(scores: Sequence[CandidateScore], config: ForecastConfig) -> CandidateScore | None:
    """The equal-weight average of the ``selection.combine`` best candidates, scored on their pooled forecasts."""
    ranked = sorted((s for s in scores if s.status == OK), key=lambda s: s.score)[: config.selection.combine]
    if config.selection.combine < 2 or len(ranked) < 2:
        return None
    predicted = np.mean([s.predicted for s in ranked], axis=0)
    value = metrics.score(ranked[0].actual, predicted, config.selection.metric)
    name = ENSEMBLE + ":" + "+".join(s.name for s in ranked)
    return CandidateScore(name, OK, value, ranked[0].actual, predicted, members=tuple(ranked))


def forecast_ensemble(history: SeriesHistory, config: ForecastConfig, score: CandidateScore) -> SeriesForecast:
    """Refit every member on the whole history and average their means; the distribution from the pooled residuals."""
    members = [forecast_candidate(history, config, member) for member in score.members]
    mean = np.mean([m.mean for m in members], axis=0)
    distribution = _distribution(score, mean, config)
    params = {
        "members": {m.candidate: m.params["fit"] for m in members},
        "distribution": _describe(distribution),
    }
    label = ENSEMBLE + "(" + "+".join(sorted(m.model for m in members)) + ")"
    return SeriesForecast(mean, distribution, label, params, candidate=score.name)


def select_and_forecast(
    history: SeriesHistory, config: ForecastConfig, scores: Sequence[CandidateScore]
) -> SeriesForecast:
    """The best-scoring candidate (or average of the best) that also refits on the whole history; else a fallback."""
    ensemble = ensemble_score(scores, config)
    ranked_scores = [*scores, ensemble] if ensemble else list(scores)
    selection = {
        "metric": config.selection.metric,
        "origins": len(selection_origins(history.n_obs, config)),
        "horizon_days": config.selection.horizon_days,
        "scores": {s.name: s.score for s in ranked_scores if s.status == OK},
        "skipped": {s.name: s.error for s in scores if s.status != OK},
    }
    errors = [f"{s.name}: {s.error}" for s in scores if s.status == "failed"]
    for score in sorted((s for s in ranked_scores if s.status == OK), key=lambda s: s.score):
        try:
            chosen = (forecast_ensemble if score.members else forecast_candidate)(history, config, score)
        except Exception as exc:  # fall through to the next-best candidate
            errors.append(f"{score.name}: {describe_error(exc)}")
            selection["skipped"][score.name] = describe_error(exc)
            continue
        chosen.params["selection"] = selection
        evidence = quantile_evidence(
            score.actual,
            score.predicted,
            selection["origins"],
            chosen.distribution,
            history.demand,
            coverage=config.distribution.target_coverage,
            prior_days=config.distribution.calibration_prior_days,
        )
        return with_quantiles(replace(chosen, evidence=evidence), config)
    if errors:
        return mean_forecast(history, config, "fit_failed", "; ".join(errors))
    reasons = "; ".join(f"{name}: {why}" for name, why in selection["skipped"].items())
    return mean_forecast(history, config, "no_candidate", reasons)


def with_quantiles(
    forecast: SeriesForecast, config: ForecastConfig, choices: dict[str, QuantileChoice] | None = None
) -> SeriesForecast:
    """The forecast with the quantile method of its segment: from ``choices`` (pooled over the series forecast
    together) or else chosen on its own evidence; the distribution's own quantiles when it has none."""
    evidence = forecast.evidence
    if evidence is None:
        return replace(forecast, quantile_method=DISTRIBUTION, level_map=None)
    if choices is None or evidence.segment not in choices:
        options = config.distribution
        choices = choose_per_segment(
            [evidence],
            methods=options.quantile_methods,
            coverage_min=options.coverage_min,
            min_days=options.min_pooled_days,
            switch_z=options.switch_z,
        )
    choice = choices[evidence.segment]
    target = interval_target(evidence, config) if choice.method == CALIBRATED else None
    params = forecast.params | {"quantiles": choice.describe() | {"interval_target": target}}
    return replace(
        forecast, quantile_method=choice.method, level_map=choice.levels, interval_target=target, params=params
    )


def calendar_adjusted(history: SeriesHistory, config: ForecastConfig) -> tuple[SeriesHistory, HolidayEffects | None]:
    """The history with its holidays replaced by ordinary-day baselines, and the series' holiday effects
    (:func:`~.calendar.holiday_effects`); the history itself when the calendar is off or has no day in range."""
    calendar = config.calendar.build()
    if calendar is None or history.n_obs == 0:
        return history, None
    start_day = int(history.start.astype("datetime64[D]").astype(np.int64))
    demand, effects = holiday_effects(history.demand, start_day, config.horizon, calendar, config.calendar.prior_units)
    if effects is None:
        return history, None
    return replace(history, demand=demand), effects


def with_effects(forecast: SeriesForecast, effects: HolidayEffects | None) -> SeriesForecast:
    """The forecast with each special day's mean multiplied by the series' effect of that day."""
    if effects is None or not effects.future_keys:
        return forecast
    params = forecast.params | {"holidays": effects.params()}
    return replace(forecast, mean=forecast.mean * effects.multipliers(len(forecast.mean)), params=params)


def forecast_history(history: SeriesHistory, config: ForecastConfig) -> SeriesForecast:
    """The whole decision sequence of the module docstring for one history."""
    reason = fallback_reason(history, config)
    if reason:
        return mean_forecast(history, config, reason)
    adjusted, effects = calendar_adjusted(history, config)
    forecast = select_and_forecast(adjusted, config, score_candidates(adjusted, config, config.candidates))
    return with_effects(forecast, effects)
