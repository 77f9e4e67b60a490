"""How a forecast's quantiles are drawn from its count distribution, chosen per segment by a proper score.

A band is useful to a planner only if it is honest (coverage) and tight (pinball loss), so the methods compete on
scaled pinball loss with coverage as a constraint, not as the objective (:data:`QUANTILE_METHODS`):

* ``distribution``: the fitted count distribution's own quantiles at the nominal levels;
* ``calibrated``: the central interval moved per series until its expected share matches the coverage its own
  backtest showed (:func:`~.distribution.calibrated_quantiles`);
* ``conformal``: the nominal levels mapped through the distribution of probability-integral-transform (PIT) values
  of backtest days pooled over the series of a segment (a quantile recalibration: if the pooled days fall below
  the model's 0.9 quantile only 85% of the time, the published p90 is the model's quantile at the level where
  they fall below 90%). Pooling means one sparse series' 56 backtest days are not the only evidence.

Evidence (:class:`QuantileEvidence`) comes from the chosen candidate's selection backtest: its origins are split in
time, the earlier half fits what a method learns (the calibration target, the conformal levels) and the later half
scores every method on days none of them saw. Below ``min_pooled_days`` held-out days (one series alone has 28) the
evidence is too thin to pick by, and the first listed method is published: on the synthetic panel a choice per
series by its own 28 days scored worse than the distribution's own quantiles. A segment is the rate bucket of the
series' last 8 weeks (:func:`~.metrics.rate_bucket`); the series pooled are those forecast together (a group of
``forecast_group``, or one series alone). The published method of a segment has the lowest pooled scaled pinball
loss among those holding at least ``coverage_min`` of the held-out days; with none, the one holding most.

There is deliberately no upper coverage bound: integer quantiles of a count hold more than their nominal share
whenever the count is small (the true distribution's own [p10, p90] of a 0.3-a-day series is [0, 1] and holds
about 95% of days), so an upper bound would force exactly the pinball loss this selection exists to avoid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lakehouse_inv.forecast import metrics
from lakehouse_inv.forecast.distribution import (
    DEGENERATE,
    MIN_RATE,
    NOMINAL_COVERAGE,
    CountDistribution,
    calibrated_quantiles,
    cdf_around,
    count_quantiles,
    coverage_target,
    cumulative,
)

DISTRIBUTION = "distribution"
CALIBRATED = "calibrated"
CONFORMAL = "conformal"
QUANTILE_METHODS = (DISTRIBUTION, CALIBRATED, CONFORMAL)
"""Every method, in order of preference on a tie."""
SCORED_LEVELS = (0.1, 0.5, 0.9)
# PIT grid of the conformal level map: fine enough that a level moves by under 0.3% between grid points.
PIT_GRID = np.linspace(0.0, 1.0, 401)
LEVEL_CLIP = (0.001, 0.999)


@dataclass(frozen=True)
class LevelMap:
    """``share[i]`` = pooled share of backtest days whose PIT is at most ``PIT_GRID[i]``; maps nominal levels to
    the model's levels at which the pooled days fall below them."""

    share: np.ndarray

    def levels(self, nominal: Sequence[float]) -> np.ndarray:
        adjusted = np.interp(np.asarray(nominal, dtype=float), self.share, PIT_GRID)
        return np.clip(adjusted, *LEVEL_CLIP)


def pit_bounds(actual: np.ndarray, mean: np.ndarray, distribution: CountDistribution) -> tuple[np.ndarray, np.ndarray]:
    """``F(y - 1)`` and ``F(y)`` of each day: a count's PIT is uniform between them."""
    mean = np.maximum(np.asarray(mean, dtype=float), MIN_RATE)
    variance = distribution.variance(mean)
    y = np.asarray(actual, dtype=float)
    return (
        cumulative(y - 1, mean, variance, distribution.family),
        cumulative(y, mean, variance, distribution.family),
    )


def level_map(low: np.ndarray, high: np.ndarray) -> LevelMap | None:
    """The pooled PIT distribution (each day spread uniformly over ``[F(y-1), F(y)]``: deterministic, no draws)."""
    if not len(low):
        return None
    width = np.maximum(high - low, 1e-12)
    share = np.clip((PIT_GRID[:, None] - low[None, :]) / width[None, :], 0.0, 1.0).mean(axis=1)
    return LevelMap(np.maximum.accumulate(share))


@dataclass(frozen=True)
class Score:
    """Scaled pinball loss summed over held-out days (mean of the scored levels per day), days inside the closed
    band and days inside with ties at its edges split (:func:`~.metrics.split_inside`)."""

    loss: float
    covered: float
    days: int
    split_covered: float = 0.0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.loss + other.loss,
            self.covered + other.covered,
            self.days + other.days,
            self.split_covered + other.split_covered,
        )

    @property
    def pinball(self) -> float:
        return self.loss / self.days if self.days else np.nan

    @property
    def coverage(self) -> float:
        return self.covered / self.days if self.days else np.nan

    @property
    def pit_coverage(self) -> float:
        return self.split_covered / self.days if self.days else np.nan


def score_quantiles(
    actual: np.ndarray,
    quantiles: np.ndarray,
    scale: float,
    cdf: tuple[np.ndarray, np.ndarray],
    band_levels: tuple[float, float],
) -> Score:
    """``quantiles`` at :data:`SCORED_LEVELS`; the interval is the first and last column, drawn at ``band_levels`` of
    the distribution whose ``F(y - 1), F(y)`` are ``cdf``."""
    losses = [metrics.pinball(actual, quantiles[:, i], level) for i, level in enumerate(SCORED_LEVELS)]
    days = len(actual)
    lower, upper = quantiles[:, 0], quantiles[:, -1]
    covered = float(np.sum((actual >= lower) & (actual <= upper)))
    split = float(np.sum(metrics.split_inside(actual, lower, upper, *cdf, band_levels)))
    return Score(float(np.mean(losses)) * days / scale, covered, days, split)


@dataclass(frozen=True)
class QuantileEvidence:
    """One series' selection-backtest days for judging the methods (``split`` days fit, the rest are held out).

    Scores and PIT values are computed on first use: a series alone never has ``min_pooled_days`` of evidence, so
    the per-series path only pays for building this object.
    """

    segment: str
    scale: float
    actual: np.ndarray
    predicted: np.ndarray
    split: int
    distribution: CountDistribution
    coverage: float
    prior_days: float

    @property
    def held_days(self) -> int:
        return len(self.actual) - self.split

    @cached_property
    def _pit(self) -> tuple[np.ndarray, np.ndarray]:
        return pit_bounds(self.actual, self.predicted, self.distribution)

    @cached_property
    def _held_cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """``F(y - 1), F(y)`` of the held-out days at the means their quantiles are drawn from (every method's)."""
        mean = self.predicted[self.split :]
        return cdf_around(self.actual[self.split :], mean, self.distribution.variance(mean), self.distribution.family)

    @property
    def fit_pit(self) -> tuple[np.ndarray, np.ndarray]:
        fit = slice(0, self.split) if self.split else slice(None)  # one origin: fitted and scored in-sample
        return self._pit[0][fit], self._pit[1][fit]

    @property
    def all_pit(self) -> tuple[np.ndarray, np.ndarray]:
        return self._pit

    def score(self, method: str, fitted: LevelMap | None = None) -> Score | None:
        """``method``'s score on the held-out days (``fitted``: the pooled conformal levels); None when it has none."""
        held_actual, held_mean = self.actual[self.split :], self.predicted[self.split :]
        family = self.distribution.family
        variance = self.distribution.variance(held_mean)
        cdf = self._held_cdf
        nominal = (SCORED_LEVELS[0], SCORED_LEVELS[-1])
        if method == DISTRIBUTION:
            levels = list(SCORED_LEVELS)
        elif method == CONFORMAL:
            if fitted is None:
                return None
            levels = list(fitted.levels(SCORED_LEVELS))
        else:
            fit = slice(0, self.split) if self.split else slice(None)
            target = coverage_target(
                self.actual[fit],
                self.predicted[fit],
                self.distribution,
                coverage=self.coverage,
                nominal=NOMINAL_COVERAGE,
                prior_days=self.prior_days,
            )
            if target is None or not held_mean.any():
                return None
            bounds = calibrated_quantiles(
                held_mean, variance, family, list(SCORED_LEVELS), coverage=NOMINAL_COVERAGE, target=target
            )
            return score_quantiles(held_actual, bounds, self.scale, cdf, nominal)
        quantiles = count_quantiles(held_mean, variance, family, levels)
        return score_quantiles(held_actual, quantiles, self.scale, cdf, (levels[0], levels[-1]))


def quantile_evidence(
    actual: np.ndarray,
    predicted: np.ndarray,
    origins: int,
    distribution: CountDistribution,
    history_demand: np.ndarray,
    *,
    coverage: float,
    prior_days: float,
) -> QuantileEvidence | None:
    """Evidence from a candidate's selection backtest (``origins`` blocks of days, oldest first); None when there is
    nothing to judge by (a point-mass distribution, no backtest, or no scale)."""
    scale = metrics.m5_scales(history_demand)[1]
    if distribution.family == DEGENERATE or len(actual) == 0 or not np.isfinite(scale) or scale <= 0:
        return None
    per_origin = len(actual) // max(origins, 1)
    return QuantileEvidence(
        segment=metrics.rate_bucket(float(np.mean(history_demand[-metrics.RATE_DAYS :]))) or "unknown",
        scale=scale,
        actual=np.asarray(actual, dtype=float),
        predicted=np.maximum(np.asarray(predicted, dtype=float), 0.0),
        split=per_origin * (origins // 2) if origins >= 2 else 0,
        distribution=distribution,
        coverage=coverage,
        prior_days=prior_days,
    )


@dataclass(frozen=True)
class QuantileChoice:
    """A segment's published method, the conformal levels when that is it, and the scores it was chosen by."""

    method: str
    levels: LevelMap | None
    scores: dict[str, Score]
    segment: str

    def describe(self) -> dict:
        described = {
            "method": self.method,
            "segment": self.segment,
            "scores": {
                m: {"pinball": s.pinball, "coverage": s.coverage, "pit_coverage": s.pit_coverage, "days": s.days}
                for m, s in self.scores.items()
            },
        }
        if self.levels is not None:  # so that anyone holding the forecast can redraw its quantiles
            drawn = self.levels.levels(SCORED_LEVELS).tolist()
            described["levels"] = dict(zip(map(str, SCORED_LEVELS), drawn, strict=True))
        return described


def paired_noise(first: Sequence[Score], other: Sequence[Score]) -> float:
    """Standard error of the per-day pinball loss difference between two methods scored on the same series' days,
    with each series as a cluster (its days share a level and a model, so they are not independent draws)."""
    days = np.array([s.days for s in first], dtype=float)
    diff = np.array([o.loss - f.loss for f, o in zip(first, other, strict=True)])
    total = days.sum()
    if len(diff) < 2 or total <= 0:
        return np.inf
    residual = diff - days * diff.sum() / total
    return float(np.sqrt(len(diff) / (len(diff) - 1) * np.sum(residual**2)) / total)


def choose(
    scores: Mapping[str, Score],
    coverage_min: float,
    order: Sequence[str],
    min_days: int = 0,
    noise: Mapping[str, float] | None = None,
    switch_z: float = 0.0,
) -> str:
    """Lowest pinball loss among the methods whose band holds at least ``coverage_min`` of the days with ties split
    (:attr:`Score.pit_coverage`); with none, the best-covering. Fewer than ``min_days`` held-out days are too little
    evidence to leave the first method of ``order``, and so is a lead over an honest first method of no more than
    ``switch_z`` times ``noise[method]`` (:func:`paired_noise`): a choice by noise costs on the next days."""
    known = [m for m in order if m in scores and scores[m].days]
    first = order[0] if order else DISTRIBUTION
    if not known or max(scores[m].days for m in known) < min_days:
        return first
    honest = [m for m in known if scores[m].pit_coverage >= coverage_min]
    if not honest:
        return max(known, key=lambda m: scores[m].pit_coverage)
    best = min(honest, key=lambda m: scores[m].pinball)
    if best != first and first in honest and noise is not None:
        lead = scores[first].pinball - scores[best].pinball
        if lead <= switch_z * noise.get(best, np.inf):
            return first
    return best


def choose_per_segment(
    evidence: Iterable[QuantileEvidence | None],
    *,
    methods: Sequence[str],
    coverage_min: float,
    min_days: int = 0,
    switch_z: float = 0.0,
) -> dict[str, QuantileChoice]:
    """Pool the evidence of the series by segment and choose each segment's method (module docstring)."""
    by_segment: dict[str, list[QuantileEvidence]] = {}
    for item in evidence:
        if item is not None:
            by_segment.setdefault(item.segment, []).append(item)
    choices = {}
    for segment, items in sorted(by_segment.items()):
        first = methods[0] if methods else DISTRIBUTION
        if sum(item.held_days for item in items) < min_days or len(methods) < 2:  # nothing to choose by, or from
            levels = None
            if first == CONFORMAL:
                levels = level_map(*(np.concatenate(p) for p in zip(*(i.all_pit for i in items), strict=True)))
            choices[segment] = QuantileChoice(first, levels, {}, segment)
            continue
        totals: dict[str, Score] = {}
        per_series: dict[str, list[Score]] = {}
        for method in methods:
            fitted = None
            if method == CONFORMAL:
                fitted = level_map(*(np.concatenate(p) for p in zip(*(i.fit_pit for i in items), strict=True)))
            scores = [item.score(method, fitted) for item in items]
            if scores and all(score is not None for score in scores):
                totals[method] = sum(scores[1:], scores[0])
                per_series[method] = scores
        noise = {m: paired_noise(per_series[first], s) for m, s in per_series.items() if first in per_series}
        method = choose(totals, coverage_min, methods, min_days, noise, switch_z)
        levels = None
        if method == CONFORMAL:
            levels = level_map(*(np.concatenate(p) for p in zip(*(i.all_pit for i in items), strict=True)))
        choices[segment] = QuantileChoice(method, levels, totals, segment)
    return choices
