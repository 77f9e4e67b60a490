"""Simulated daily store x product demand with a known expected value, for tests and benchmarks (not shipped in
the package: tests import ``support.synthetic``, benchmarks ``tests.support.synthetic`` from the repository root).

Same demand mechanism as the retailer simulator (:func:`lakehouse_inv.simulate.engine.demand_rate`), without the
stores, stock and orders around it: a base rate times a weekday profile (Fri-Sun peaks), a slow mean-reverting
level drift (weekly AR(1) on the log scale), a yearly season, brief price promotions with a price elasticity,
and a gamma rate shock that makes 40% of series over-dispersed (the rest Poisson).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

RATE_BANDS: tuple[tuple[float, float], ...] = ((0.1, 1.0), (1.0, 5.0), (5.0, 50.0))
BASE_PRICE = 3.0
POISSON_SHAPE = np.inf


def simulate_series(
    rate: float,
    n_days: int,
    *,
    seed: int,
    start: dt.date = dt.date(2023, 1, 2),
    gamma_shape: float | None = None,
    promo_week_share: float = 0.06,
    level_sd: float = 0.06,
) -> pd.DataFrame:
    """One series: ``date``, ``demand``, ``price`` and the true ``expected`` demand of each day.

    ``gamma_shape`` None draws the simulator's mix (40% shape 2-8, else Poisson); ``np.inf`` forces Poisson.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_days, freq="D")
    weekday = dates.weekday.to_numpy()
    profile = rng.uniform(0.75, 1.0, 7)
    profile[4:] *= rng.uniform(1.15, 1.6, 3)
    profile /= profile.mean()

    week = (np.arange(n_days) + weekday[0]) // 7
    n_weeks = int(week[-1]) + 1
    log_level = np.zeros(n_weeks)
    for w in range(1, n_weeks):
        log_level[w] = 0.95 * log_level[w - 1] + rng.normal(0, level_sd)
    season = 1 + 0.1 * np.sin(2 * np.pi * dates.dayofyear.to_numpy() / 365.25 + rng.uniform(0, 2 * np.pi))
    on_promo = rng.random(n_weeks) < promo_week_share
    discount = np.where(on_promo, rng.uniform(0.1, 0.3, n_weeks), 0.0)[week]
    price = np.round(BASE_PRICE * (1 - discount), 2)
    elasticity = rng.uniform(-1.3, -0.7)
    expected = rate * profile[weekday] * np.exp(log_level[week]) * season * (price / BASE_PRICE) ** elasticity

    if gamma_shape is None:
        gamma_shape = rng.uniform(2.0, 8.0) if rng.random() < 0.4 else POISSON_SHAPE
    shock = rng.gamma(gamma_shape, 1 / gamma_shape, n_days) if np.isfinite(gamma_shape) else 1.0
    demand = rng.poisson(expected * shock).astype(float)
    return pd.DataFrame({"date": dates, "demand": demand, "price": price, "expected": expected})


def simulate_panel(
    n_series: int, n_days: int, *, seed: int = 0, bands: tuple[tuple[float, float], ...] = RATE_BANDS
) -> pd.DataFrame:
    """``n_series`` series spread evenly over the rate bands (log-uniform base rate within a band).

    Columns: ``series_id``, ``rate_band`` ("0.1-1"), ``base_rate``, and those of :func:`simulate_series`.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        low, high = bands[i % len(bands)]
        rate = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        frame = simulate_series(rate, n_days, seed=int(rng.integers(2**32)))
        frame.insert(0, "series_id", f"S{i:05d}")
        frame.insert(1, "rate_band", f"{low:g}-{high:g}")
        frame.insert(2, "base_rate", rate)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# US retail calendar effects (multipliers on expected demand) for the M5-like panel: stores close on Christmas,
# Thanksgiving is quiet, the days before the big holidays are busy.
RETAIL_EVENTS: dict[str, float] = {"Christmas Day": 0.02, "Thanksgiving Day": 0.6, "Independence Day": 1.25}
PRE_HOLIDAY: dict[str, float] = {"Christmas Day": 1.35, "Thanksgiving Day": 1.3}


def us_holiday_multiplier(dates: pd.DatetimeIndex, strength: float = 1.0) -> np.ndarray:
    """Multiplier of each day from :data:`RETAIL_EVENTS` (on the day) and :data:`PRE_HOLIDAY` (the two days before)."""
    import holidays

    calendar = holidays.country_holidays("US", years=sorted(set(dates.year) | {dates.year.max() + 1}))
    factor = np.ones(len(dates))
    position = {d: i for i, d in enumerate(dates.date)}
    for day, name in calendar.items():
        name = name.replace(" (observed)", "")
        if name in RETAIL_EVENTS and day in position:
            factor[position[day]] *= RETAIL_EVENTS[name] ** strength
        for before in (1, 2):
            earlier = day - dt.timedelta(days=before)
            if name in PRE_HOLIDAY and earlier in position:
                factor[position[earlier]] *= PRE_HOLIDAY[name] ** strength
    return factor


def _retail_rate(
    rng: np.random.Generator, dates: pd.DatetimeIndex, rate: float, holiday: np.ndarray, dow_shape: np.ndarray
) -> np.ndarray:
    """Expected demand: rate x weekday shape x yearly season x level shifts x slow drift x holidays."""
    n_days = len(dates)
    weekday = dates.weekday.to_numpy()
    shape = dow_shape * rng.uniform(0.9, 1.1, 7)
    shape /= shape.mean()
    season = 1 + rng.uniform(0, 0.25) * np.sin(2 * np.pi * dates.dayofyear.to_numpy() / 365.25 + rng.uniform(0, 6.3))
    level = np.ones(n_days)
    for _ in range(rng.integers(0, 3)):
        level[rng.integers(60, n_days - 30) :] *= np.exp(rng.normal(0, 0.35))
    drift = np.exp(np.cumsum(rng.normal(0, 0.01, n_days)))
    drift /= np.exp(np.mean(np.log(drift)))
    return rate * shape[weekday] * season * level * drift * holiday


def simulate_retail_panel(
    n_dense: int = 100,
    n_sparse: int = 100,
    n_days: int = 3 * 364 + 28,
    *,
    seed: int = 0,
    end: dt.date = dt.date(2025, 6, 19),
) -> pd.DataFrame:
    """An M5-like panel: ``n_dense`` chain-wide product series and ``n_sparse`` intermittent store x product series.

    Over-dispersed (NB) counts with a weekday shape per department, yearly season, level shifts, a slow drift,
    US holiday effects (closed on Christmas), and for the sparse series out-of-stock runs (zero sales for one to
    four weeks, flagged in ``stockout`` with the unmet ``expected``). The last day is ``end`` (by default the
    weekday and season where M5's evaluation window ends). Columns: ``series_id``, ``segment``
    (dense/sparse), ``group_id`` (department), ``date``, ``demand``, ``expected``, ``stockout``.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=end, periods=n_days, freq="D")
    holiday = us_holiday_multiplier(dates)
    departments = [np.array([1.0, 0.9, 0.9, 0.95, 1.1, 1.35, 1.3]) * rng.uniform(0.85, 1.15, 7) for _ in range(7)]
    frames = []
    for i in range(n_dense + n_sparse):
        dense = i < n_dense
        department = int(rng.integers(len(departments)))
        low, high = (3.0, 80.0) if dense else (0.08, 2.0)
        rate = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        expected = _retail_rate(rng, dates, rate, holiday, departments[department])
        size = rng.uniform(2.0, 20.0) if dense else rng.uniform(0.4, 3.0)
        demand = rng.poisson(expected * rng.gamma(size, 1 / size, n_days)).astype(float)
        stockout = np.zeros(n_days, dtype=bool)
        if not dense:
            for _ in range(rng.poisson(2.0)):
                first = int(rng.integers(0, n_days - 28))
                stockout[first : first + int(rng.integers(7, 29))] = True
            demand[stockout] = 0.0
        frames.append(
            pd.DataFrame(
                {
                    "series_id": f"{'D' if dense else 'S'}{i:04d}",
                    "segment": "dense" if dense else "sparse",
                    "group_id": f"dept{department}",
                    "date": dates,
                    "demand": demand,
                    "expected": expected,
                    "stockout": stockout,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
