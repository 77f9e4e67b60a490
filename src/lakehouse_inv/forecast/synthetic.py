"""Simulated daily store x product demand with a known expected value, for tests and benchmarks.

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
