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
