"""Discrete demand distributions and the loss function ``L(s; X) = E[(X − s)^+]`` (docs/policies.md notation).

Per-day demand is one of

* Poisson with mean ``a`` (the reference case),
* negative binomial from a per-day mean ``a`` and variance ``v > a`` (``p = a/v``, ``r = a²/(v − a)``),
* an explicit per-day pmf ``[P(D = 0), P(D = 1), …]``.

Demand over ``n`` days is the n-fold convolution: Poisson(n·a) and NB(n·r, p) in closed form, the pmf by repeated
convolution (binary powering, FFT for long supports). Tables keep ``lo ≤ k ≤ hi`` where ``P(X < lo) < 1e-15`` and
``P(X > hi) < TAIL_MASS``. Loss values stay exact because they are computed from the exact mean,
``L(s) = μ − Σ_{k<s} P(X > k)``, so truncation only touches ``s > hi`` where ``L(s) < ~1e-12``.

Lead-time spread (seed field ``lead_time_ci_days``, "+/- days"): a lead time ``L`` with spread ``c > 0`` is random,
``L' = max(L + j, min(L, 1))`` with ``j`` uniform on the integers ``−c … c`` (each ``1/(2c + 1)``; values below one day
are clipped to one day, so the mass piles up at 1). Demand over ``L' + extra`` days is then the **compound**
distribution, the mixture ``Σ_l P(L' = l) · X_{l + extra}`` of the per-day-count distributions above. Survival and
loss functions are linear in the pmf, so the mixture's tables are exact (no approximation beyond the components'
tails), with mean ``a·(E[L'] + extra)`` and variance ``(E[L'] + extra)·Var[D] + a²·Var[L']``. Spread 0 returns the
single component itself, so results without spread are exactly those of a fixed lead time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import signal, special

from lakehouse_inv.optimize.limits import check_grid

TAIL_MASS = 1e-12
"""Upper-tail mass left out of every table; ``P(X > hi) < TAIL_MASS``."""

_LOWER_TAIL_MASS = 1e-15
_FFT_MIN_LENGTH = 256


@dataclass(frozen=True)
class DemandDistribution:
    """Distribution of demand over a fixed number of days, as survival and loss tables.

    ``sf_table[j] = P(X > lo + j)`` for ``lo + j ≤ hi`` and ``0`` at ``hi + 1``; ``loss_table[j] = L(lo + j; X)``.
    Below ``lo`` the survival function is 1 and ``L(k) = μ − k``; above ``hi + 1`` both are held at their last value.
    """

    mean: float
    lo: int
    sf_table: np.ndarray
    loss_table: np.ndarray = field(repr=False)

    @classmethod
    def from_survival(cls, mean: float, lo: int, survival: np.ndarray) -> DemandDistribution:
        """Tables from ``P(X > k)`` for ``k = lo … hi`` (non-increasing is enforced against rounding noise)."""
        sf_table = np.append(np.minimum.accumulate(np.clip(survival, 0.0, 1.0)), 0.0)
        loss_table = (mean - lo) - np.concatenate(([0.0], np.cumsum(sf_table[:-1])))
        return cls(mean=float(mean), lo=int(lo), sf_table=sf_table, loss_table=np.maximum(loss_table, 0.0))

    @classmethod
    def point_mass_at_zero(cls) -> DemandDistribution:
        return cls.from_survival(0.0, 0, np.zeros(1))

    def sf(self, k: np.ndarray | int) -> np.ndarray:
        """``P(X > k)`` for integer ``k ≥ 0`` (vectorised)."""
        k = np.asarray(k, dtype=np.int64)
        inside = self.sf_table[np.clip(k - self.lo, 0, len(self.sf_table) - 1)]
        return np.where(k < self.lo, 1.0, inside)

    def loss(self, s: np.ndarray | int) -> np.ndarray:
        """``L(s; X) = E[(X − s)^+]`` for integer ``s ≥ 0`` (vectorised)."""
        s = np.asarray(s, dtype=np.int64)
        inside = self.loss_table[np.clip(s - self.lo, 0, len(self.loss_table) - 1)]
        return np.where(s < self.lo, self.mean - s, inside)

    def smallest_k_with_sf_at_most(self, weight: float, thresholds: np.ndarray) -> np.ndarray:
        """Smallest ``k ≥ 0`` with ``weight · P(X > k) ≤ threshold`` for each threshold (vectorised).

        This is the minimiser of a convex cost ``α·k + weight·L(k)`` with ``threshold = α``: its forward difference
        ``α − weight·P(X > k)`` changes sign there. Always ``≤ hi + 1`` because ``sf_table`` ends with 0.
        """
        thresholds = np.asarray(thresholds, dtype=float)
        idx = self.lo + np.searchsorted(-weight * self.sf_table, -thresholds, side="left")
        return np.where(weight <= thresholds, 0, idx).astype(np.int64)


@dataclass(frozen=True)
class DailyDemand:
    """Per-day demand: ``family`` is ``poisson``, ``negative_binomial`` or ``empirical``.

    ``variance`` is the per-day variance (negative binomial only, must exceed the mean); ``pmf`` is the per-day pmf
    (empirical only). Use the constructors; they validate.
    """

    family: str
    mean: float
    variance: float | None = None
    pmf: tuple[float, ...] | None = None

    @classmethod
    def poisson(cls, mean: float) -> DailyDemand:
        if not mean >= 0 or not math.isfinite(mean):
            raise ValueError(f"Poisson mean must be finite and >= 0, got {mean}")
        return cls("poisson", float(mean))

    @classmethod
    def negative_binomial(cls, mean: float, variance: float) -> DailyDemand:
        if not (mean > 0 and math.isfinite(variance) and variance > mean):
            raise ValueError(f"negative binomial needs 0 < mean < variance, got mean {mean}, variance {variance}")
        return cls("negative_binomial", float(mean), variance=float(variance))

    @classmethod
    def empirical(cls, pmf: list[float] | tuple[float, ...] | np.ndarray) -> DailyDemand:
        values = np.asarray(pmf, dtype=float)
        if values.ndim != 1 or len(values) == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError("pmf must be a non-empty list of finite probabilities >= 0")
        total = float(values.sum())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"pmf must sum to 1, sums to {total:.9g}")
        values = values / total
        return cls("empirical", float(np.dot(np.arange(len(values)), values)), pmf=tuple(values.tolist()))

    def over_days(self, days: int) -> DemandDistribution:
        """Distribution of total demand over ``days`` independent days (``days = 0`` gives ``X ≡ 0``)."""
        if days == 0 or self.mean == 0:
            return DemandDistribution.point_mass_at_zero()
        self.check_size(days)
        if self.family == "empirical":
            return _empirical_distribution(_pmf_power(np.asarray(self.pmf), days), days * self.mean)
        return _closed_form_distribution(self, days)

    def check_size(self, days: int) -> None:
        """Raise :class:`~lakehouse_inv.optimize.limits.ProblemTooLarge` before tabulating demand over ``days`` days
        whose support (0 … mean + 12 sd, which every policy's decision grid also spans) exceeds the size limit."""
        variance = self.variance if self.variance is not None else self.mean
        if self.pmf is not None:
            variance = float(np.dot((np.arange(len(self.pmf)) - self.mean) ** 2, self.pmf))
        top = days * self.mean + 12.0 * math.sqrt(days * variance) + 20.0
        check_grid(top, f"demand over {days:,} days (mean {days * self.mean:.6g} units)")

    def over_lead_time(self, lead: LeadTime, extra_days: int = 0) -> DemandDistribution:
        """Demand over the random lead time plus ``extra_days`` fixed days (module docstring: the compound mixture)."""
        if lead.spread == 0:
            return self.over_days(lead.days + extra_days)
        components = [self.over_days(int(days) + extra_days) for days in lead.values]
        return mixture(components, lead.probabilities)

    def over_lead_time_range(self, lead: LeadTime, first_extra: int, count: int) -> list[DemandDistribution]:
        """:meth:`over_lead_time` for ``extra_days = first_extra … first_extra + count − 1`` (each day count's
        distribution is built once and shared by the mixtures that contain it)."""
        if lead.spread == 0:
            return self.over_day_range(lead.days + first_extra, count)
        shortest, longest = int(lead.values[0]), int(lead.values[-1])
        by_days = self.over_day_range(shortest + first_extra, count + longest - shortest)
        offsets = lead.values - shortest
        return [mixture([by_days[j + int(o)] for o in offsets], lead.probabilities) for j in range(count)]

    def over_day_range(self, first_days: int, count: int) -> list[DemandDistribution]:
        """Distributions over ``first_days, first_days + 1, …, first_days + count − 1`` days."""
        if self.family != "empirical" or self.mean == 0:
            return [self.over_days(first_days + j) for j in range(count)]
        self.check_size(first_days + count - 1)
        daily = np.asarray(self.pmf)
        pmf = _pmf_power(daily, first_days)
        result = []
        for j in range(count):
            if j:
                pmf = _trim_upper_tail(_convolve(pmf, daily))
            result.append(_empirical_distribution(pmf, (first_days + j) * self.mean))
        return result


@dataclass(frozen=True)
class LeadTime:
    """A lead time of ``days`` days, random when ``spread > 0`` (module docstring): ``values`` are the distinct
    possible lead times in increasing order, ``probabilities`` their probabilities."""

    days: int
    spread: int = 0

    def __post_init__(self) -> None:
        if self.days < 0 or self.spread < 0:
            raise ValueError(f"lead time {self.days} and spread {self.spread} must be integers >= 0")

    @property
    def values(self) -> np.ndarray:
        return np.unique(self._draws())

    @property
    def probabilities(self) -> np.ndarray:
        return np.unique(self._draws(), return_counts=True)[1] / (2.0 * self.spread + 1.0)

    @property
    def mean(self) -> float:
        """E[L'] (exactly ``float(days)`` without spread)."""
        if self.spread == 0:
            return float(self.days)
        return float(np.dot(self.values, self.probabilities))

    @property
    def variance(self) -> float:
        return float(np.dot((self.values - self.mean) ** 2, self.probabilities))

    def _draws(self) -> np.ndarray:
        """The 2c + 1 equally likely lead times, clipped below at one day (or at 0 for a zero lead time)."""
        return np.maximum(self.days + np.arange(-self.spread, self.spread + 1), min(self.days, 1))


def mixture(components: list[DemandDistribution], weights: np.ndarray) -> DemandDistribution:
    """The distribution with pmf ``Σ_j weights[j]·pmf_j`` (weights sum to 1); one component is returned as is."""
    if len(components) == 1:
        return components[0]
    lo = min(c.lo for c in components)
    hi = max(c.lo + len(c.sf_table) - 2 for c in components)  # each table ends with the 0 at its own hi + 1
    k = np.arange(lo, hi + 1)
    survival = sum(w * c.sf(k) for c, w in zip(components, weights, strict=True))
    mean = float(sum(w * c.mean for c, w in zip(components, weights, strict=True)))
    return DemandDistribution.from_survival(mean, lo, np.asarray(survival, dtype=float))


def _closed_form_survival(demand: DailyDemand, days: int, k: np.ndarray) -> np.ndarray:
    if demand.family == "poisson":
        return special.pdtrc(k, days * demand.mean)
    p = demand.mean / demand.variance
    r = days * demand.mean**2 / (demand.variance - demand.mean)
    return special.betainc(k + 1.0, r, 1.0 - p)


def _closed_form_cdf(demand: DailyDemand, days: int, k: int) -> float:
    """``P(X ≤ k)`` without the cancellation of ``1 − sf`` in the lower tail."""
    if demand.family == "poisson":
        return float(special.pdtr(k, days * demand.mean))
    p = demand.mean / demand.variance
    r = days * demand.mean**2 / (demand.variance - demand.mean)
    return float(special.betainc(r, k + 1.0, p))


def _closed_form_distribution(demand: DailyDemand, days: int) -> DemandDistribution:
    mean = days * demand.mean
    sd = math.sqrt(days * (demand.variance if demand.variance is not None else demand.mean))
    lo = max(0, math.floor(mean - 10.0 * sd - 10.0))
    while lo > 0 and _closed_form_cdf(demand, days, lo - 1) >= _LOWER_TAIL_MASS:
        lo = max(0, math.floor(lo - 2.0 * sd - 1.0))
    hi = math.ceil(mean + 12.0 * sd + 20.0)
    while True:
        survival = _closed_form_survival(demand, days, np.arange(lo, hi + 1, dtype=float))
        below = np.flatnonzero(survival < TAIL_MASS)
        if len(below):
            return DemandDistribution.from_survival(mean, lo, survival[: below[0] + 1])
        hi = lo + 2 * (hi - lo)


def _convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if min(len(a), len(b)) >= _FFT_MIN_LENGTH:
        return np.clip(signal.fftconvolve(a, b), 0.0, None)
    return np.convolve(a, b)


def _trim_upper_tail(pmf: np.ndarray) -> np.ndarray:
    """Drop the longest upper tail whose mass is below ``TAIL_MASS / 100`` (keeps the table short)."""
    tail = np.cumsum(pmf[::-1])[::-1]
    keep = np.flatnonzero(tail >= TAIL_MASS / 100.0)
    return pmf[: keep[-1] + 1] if len(keep) else pmf[:1]


def _pmf_power(daily: np.ndarray, days: int) -> np.ndarray:
    """pmf of the sum of ``days`` iid copies (binary powering with tail trimming)."""
    result = np.ones(1)
    power = daily
    while days:
        if days & 1:
            result = _trim_upper_tail(_convolve(result, power))
        days >>= 1
        if days:
            power = _trim_upper_tail(_convolve(power, power))
    return result


def _empirical_distribution(pmf: np.ndarray, mean: float) -> DemandDistribution:
    lower = np.cumsum(pmf)
    lo = int(np.searchsorted(lower, _LOWER_TAIL_MASS, side="right"))
    survival = np.cumsum(pmf[::-1])[::-1][1:]
    survival = np.append(survival, 0.0)[lo:]
    cut = np.flatnonzero(survival < TAIL_MASS)
    return DemandDistribution.from_survival(mean, lo, survival[: cut[0] + 1])
