"""Count distributions of daily demand: Poisson, negative binomial (NB2), or a point mass.

The optimizer consumes a per-day pmf, so each forecast row carries ``mean``, ``variance`` and ``distribution``;
:func:`count_quantiles` and :func:`daily_pmf` rebuild the distribution from exactly those three columns.

Family choice (:func:`fit_count_distribution`) uses the residuals of the model's own rolling-origin backtest, so
the spread includes the error of the mean forecast, not just sampling noise around a known rate:
the Pearson statistic ``mean((y - mu)^2 / mu)`` is 1 for Poisson data, with a standard error of about
``sqrt(2 / n)``; above ``1 + z * sqrt(2 / n)`` the series is over-dispersed and the NB size ``k`` in
``variance = mu + mu^2 / k`` comes from the method of moments ``1/k = sum((y - mu)^2 - mu) / sum(mu^2)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

Family = Literal["poisson", "negative_binomial", "degenerate"]
POISSON: Family = "poisson"
NEGATIVE_BINOMIAL: Family = "negative_binomial"
DEGENERATE: Family = "degenerate"

# A forecast of exactly zero followed by a sale would make the Pearson statistic infinite; a rate this small
# still marks the miss as strong evidence of over-dispersion without letting one day decide alone.
MIN_RATE = 0.05
# The published interval is [p10, p90]: its nominal coverage. How much of the days it should hold in fact is
# ``distribution.target_coverage`` (0.8 by default, the same).
NOMINAL_COVERAGE = 0.8
# A calibrated interval's lower bound never moves over a count with this much probability.
LUMP = 0.25
# Expected coverage this close above the target needs no day-by-day moves (they cost a Python loop).
CLOSE_ENOUGH = 0.005


@dataclass(frozen=True)
class CountDistribution:
    """A family with its dispersion; ``size`` is the NB ``k`` (None for the other families)."""

    family: Family
    size: float | None = None

    def variance(self, mean: np.ndarray) -> np.ndarray:
        if self.family == NEGATIVE_BINOMIAL:
            return mean + mean**2 / self.size
        if self.family == POISSON:
            return mean.copy()
        return np.zeros_like(mean)


def fit_count_distribution(
    actual: np.ndarray, predicted: np.ndarray, *, overdispersion_z: float, min_nb_size: float
) -> CountDistribution:
    """Poisson or NB from forecast residuals (module docstring); Poisson when there is nothing to judge by."""
    if len(actual) == 0:
        return CountDistribution(POISSON)
    rate = np.maximum(predicted, MIN_RATE)
    squared = (actual - rate) ** 2
    pearson = float(np.mean(squared / rate))
    if pearson <= 1 + overdispersion_z * np.sqrt(2 / len(actual)):
        return CountDistribution(POISSON)
    excess = float(np.sum(squared - rate) / np.sum(rate**2))
    if excess <= 0:
        return CountDistribution(POISSON)
    return CountDistribution(NEGATIVE_BINOMIAL, size=max(1 / excess, min_nb_size))


def _cdf(counts: np.ndarray, mean: np.ndarray, variance: np.ndarray, family: str) -> np.ndarray:
    dist, args = _scipy_family(mean, variance, family)
    return np.where(counts >= 0, dist.cdf(counts, *args), 0.0)


def cumulative(counts: np.ndarray, mean: np.ndarray, variance: np.ndarray, family: str) -> np.ndarray:
    """``P(demand <= counts)`` per day (0 below zero)."""
    return _cdf(np.asarray(counts, dtype=float), mean, variance, family)


def cdf_around(
    actual: np.ndarray, mean: np.ndarray, variance: np.ndarray, family: str
) -> tuple[np.ndarray, np.ndarray]:
    """``F(y - 1)`` and ``F(y)`` of each day's count ``y``: its non-randomized PIT is uniform between them. A point
    mass sits where :func:`count_quantiles` puts it."""
    y = np.asarray(actual, dtype=float)
    mean = np.asarray(mean, dtype=float)
    if family == DEGENERATE:
        point = np.ceil(mean - 1e-9)
        return (y - 1 >= point).astype(float), (y >= point).astype(float)
    return _cdf(y - 1, mean, variance, family), _cdf(y, mean, variance, family)


def interval_levels(coverage: float) -> tuple[float, float]:
    """Quantile levels of the central interval holding ``coverage``: 0.8 -> (0.1, 0.9)."""
    return (1 - coverage) / 2, (1 + coverage) / 2


def coverage_target(
    actual: np.ndarray,
    predicted: np.ndarray,
    distribution: CountDistribution,
    *,
    coverage: float,
    prior_days: float,
    nominal: float = 0.8,
) -> float | None:
    """The share of days the model's own probabilities should put inside the interval, so that it holds ``coverage``
    of real days: ``coverage`` plus how much the model over-promised on its backtest (a conformal correction).
    The interval is the one of the ``nominal`` levels (0.8: ``[p10, p90]``).

    On the backtest days (``actual`` against the forecast means ``predicted``) the nominal interval
    ``[Q(0.1), Q(0.9)]`` should hold, by the model's probabilities, ``mean(F(Q(0.9)) - F(Q(0.1) - 1))``; it held
    the observed share. Their difference, shrunk with ``prior_days`` pseudo-days, shifts the target.
    """
    n = len(actual)
    if n == 0 or distribution.family == DEGENERATE:
        return None
    mean = np.maximum(np.asarray(predicted, dtype=float), MIN_RATE)
    variance = distribution.variance(mean)
    bounds = count_quantiles(mean, variance, distribution.family, list(interval_levels(nominal)))
    promised = _cdf(bounds[:, 1], mean, variance, distribution.family) - _cdf(
        bounds[:, 0] - 1, mean, variance, distribution.family
    )
    y = np.asarray(actual, dtype=float)
    held = (y >= bounds[:, 0]) & (y <= bounds[:, 1])
    shift = (n / (n + prior_days)) * float(np.mean(promised) - np.mean(held))
    return float(np.clip(coverage + shift, 0.5, 0.99))


def calibrated_quantiles(
    mean: np.ndarray, variance: np.ndarray, family: str, levels: Sequence[float], *, coverage: float, target: float
) -> np.ndarray:
    """:func:`count_quantiles` at ``levels``, with the ends of the central ``coverage`` interval (when both are among
    the levels) replaced by :func:`calibrated_interval`'s bounds; one pmf table serves every level."""
    cdf = _cdf_table(np.maximum(np.asarray(mean, dtype=float), 0.0), np.asarray(variance, dtype=float), family)
    out = np.stack([(cdf >= level - 1e-12).argmax(axis=1) for level in levels], axis=1).astype(np.int64)
    ends = [[i for i, v in enumerate(levels) if abs(v - end) < 1e-9] for end in interval_levels(coverage)]
    if all(ends):
        bounds = _calibrated_bounds(cdf, coverage=coverage, target=target)
        low, high = ends[0][0], ends[1][0]
        out[:, low], out[:, high] = bounds[:, 0], bounds[:, 1]
        # a narrowed interval can end below the median ([0, 0] on a day whose median is 1): keep the published
        # quantiles ordered by clipping the other levels into / beside the calibrated interval
        for i, level in enumerate(levels):
            if i in (low, high):
                continue
            if levels[low] < level < levels[high]:
                out[:, i] = np.clip(out[:, i], bounds[:, 0], bounds[:, 1])
            elif level <= levels[low]:
                out[:, i] = np.minimum(out[:, i], bounds[:, 0])
            else:
                out[:, i] = np.maximum(out[:, i], bounds[:, 1])
    return out


def _cdf_table(mean: np.ndarray, variance: np.ndarray, family: str) -> np.ndarray:
    """``cdf[d, x] = P(demand on day d <= x)`` up to far beyond any quantile (last column exactly 1)."""
    top = int(np.max(mean + 8 * np.sqrt(variance), initial=0)) + 8
    cdf = np.cumsum(daily_pmf(mean, variance, family, top), axis=1)
    cdf[:, -1] = 1.0
    return cdf


def calibrated_interval(
    mean: np.ndarray, variance: np.ndarray, family: str, *, coverage: float, target: float
) -> np.ndarray:
    """Integer bounds per day, shape ``(days, 2)``, whose probabilities average ``target`` over the days.

    Counts are discrete: for a sparse series the nominal ``[Q(0.1), Q(0.9)]`` is ``[0, 1]`` on most days and
    holds 95% of them, while ``[0, 0]`` would hold 70%. So the interval is first set at the central probability
    ``w`` (levels ``(1 -+ w) / 2``, found by bisection) whose expected share is the smallest at or above
    ``target``, then single days' bounds move one count inwards (the move that costs the least pinball loss at
    the nominal levels per unit of coverage first) while that brings the expected share closer to ``target``.
    """
    cdf = _cdf_table(np.maximum(np.asarray(mean, dtype=float), 0.0), np.asarray(variance, dtype=float), family)
    return _calibrated_bounds(cdf, coverage=coverage, target=target)


def _calibrated_bounds(cdf: np.ndarray, *, coverage: float, target: float) -> np.ndarray:
    nominal_low, nominal_high = interval_levels(coverage)
    n_days = len(cdf)
    rows = np.arange(n_days)

    def bounds_at(width: float) -> np.ndarray:
        low, high = (1 - width) / 2, (1 + width) / 2
        return np.stack([(cdf >= low - 1e-12).argmax(axis=1), (cdf >= high - 1e-12).argmax(axis=1)], axis=1)

    def expected(bounds: np.ndarray) -> np.ndarray:
        below = np.where(bounds[:, 0] > 0, cdf[rows, np.maximum(bounds[:, 0] - 1, 0)], 0.0)
        return cdf[rows, bounds[:, 1]] - below

    low_w, high_w = 0.0, 0.999
    if expected(bounds_at(high_w)).mean() < target:
        return bounds_at(high_w)
    for _ in range(14):
        middle = (low_w + high_w) / 2
        if expected(bounds_at(middle)).mean() >= target:
            high_w = middle
        else:
            low_w = middle
    bounds = bounds_at(high_w)
    share = expected(bounds)
    total = share.mean()
    for _ in range(n_days):
        if total <= target + CLOSE_ENOUGH:  # dense days: the bisection already lands within a point
            break
        lower, upper = bounds[:, 0], bounds[:, 1]
        open_ = upper > lower
        pmf_upper = cdf[rows, upper] - np.where(upper > 0, cdf[rows, np.maximum(upper - 1, 0)], 0.0)
        pmf_lower = cdf[rows, lower] - np.where(lower > 0, cdf[rows, np.maximum(lower - 1, 0)], 0.0)
        cost_upper = np.maximum(nominal_high - np.where(upper > 0, cdf[rows, np.maximum(upper - 1, 0)], 0.0), 0)
        cost_lower = np.maximum(cdf[rows, lower] - nominal_low, 0)
        ratio_upper = np.where(open_ & (pmf_upper > 1e-12), cost_upper / np.maximum(pmf_upper, 1e-12), np.inf)
        # never lift a lower bound over a count the day is likely to see (a sparse day's zero)
        movable = open_ & (pmf_lower > 1e-12) & (pmf_lower < LUMP)
        ratio_lower = np.where(movable, cost_lower / np.maximum(pmf_lower, 1e-12), np.inf)
        side = int(ratio_lower.min() < ratio_upper.min())
        ratios = ratio_lower if side else ratio_upper
        day = int(np.argmin(ratios))
        if not np.isfinite(ratios[day]):
            break
        loss = (pmf_lower if side else pmf_upper)[day] / n_days
        if abs(total - loss - target) >= abs(total - target):
            break
        bounds[day, 0 if side else 1] += 1 if side else -1
        total -= loss
    return bounds


def _scipy_family(mean: np.ndarray, variance: np.ndarray, distribution: str) -> tuple[stats.rv_discrete, tuple]:
    """scipy distribution and its shape arguments per day (NB with variance <= mean degenerates to ~Poisson).

    The unfrozen ``dist.ppf(q, *args)`` form is used because freezing costs ~0.3 ms per series.
    """
    if distribution == NEGATIVE_BINOMIAL:
        excess = np.maximum(variance - mean, 1e-12)
        n = np.where(mean > 0, mean**2 / excess, 1.0)
        p = np.where(mean > 0, mean / np.maximum(variance, mean + 1e-12), 1.0)
        return stats.nbinom, (n, p)
    if distribution == POISSON:
        return stats.poisson, (mean,)
    raise ValueError(f"unknown distribution {distribution!r}; expected poisson, negative_binomial or degenerate")


def count_quantiles(mean: np.ndarray, variance: np.ndarray, distribution: str, levels: list[float]) -> np.ndarray:
    """Integer quantiles, shape ``(len(mean), len(levels))``: the smallest count whose cdf reaches each level."""
    mean = np.asarray(mean, dtype=float)
    if distribution == DEGENERATE:
        return np.repeat(np.ceil(mean - 1e-9)[:, None], len(levels), axis=1).astype(np.int64)
    dist, args = _scipy_family(mean[:, None], np.asarray(variance, dtype=float)[:, None], distribution)
    return dist.ppf(np.asarray(levels)[None, :], *args).astype(np.int64)


def daily_pmf(mean: np.ndarray, variance: np.ndarray, distribution: str, max_x: int) -> np.ndarray:
    """``pmf[d, x] = P(demand on day d = x)`` for ``x < max_x``; the last column holds ``P(demand >= max_x)``.

    Rows sum to one, so the optimizer can treat ``max_x`` as "that many or more". A degenerate row puts all mass
    on ``round(mean)``.
    """
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    counts = np.arange(max_x + 1)
    if distribution == DEGENERATE:
        point = np.minimum(np.rint(mean), max_x).astype(np.int64)
        return (counts[None, :] == point[:, None]).astype(float)
    variance = np.atleast_1d(np.asarray(variance, dtype=float))
    dist, args = _scipy_family(mean[:, None], variance[:, None], distribution)
    pmf = dist.pmf(counts[None, :max_x], *args)
    return np.hstack([pmf, dist.sf(max_x - 1, *args)])
