"""Holiday and event effects learned per series from the configured calendar."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.forecast.calendar import Calendar, holiday_effects
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.series import forecast_series

KEYS = ["store_id", "product_id"]
EFFECTS = {dt.date(y, 12, 25): 0.05 for y in (2022, 2023, 2024)} | {dt.date(y, 12, 24): 2.0 for y in (2022, 2023, 2024)}


def with_effects(rate: float, end: dt.date, effects: dict[dt.date, float], seed: int = 0) -> pd.DataFrame:
    """Poisson demand with a weekday shape and the given day multipliers, up to ``end``."""
    dates = pd.date_range(end=end, periods=900, freq="D")
    shape = np.array([0.9, 0.9, 0.9, 1.0, 1.1, 1.2, 1.0])[dates.weekday]
    factor = np.array([effects.get(d, 1.0) for d in dates.date])
    demand = np.random.default_rng(seed).poisson(rate * shape * factor).astype(float)
    return pd.DataFrame({"store_id": "S", "product_id": "P", "date": dates, "demand": demand})


def forecast(frame: pd.DataFrame, config: ForecastConfig) -> pd.DataFrame:
    out = forecast_series(frame, config=config, key_cols=KEYS, as_of=frame["date"].max().date())
    return out.set_index("target_date")


def test_christmas_closure_and_the_busy_eve_are_recovered() -> None:
    frame = with_effects(20.0, dt.date(2024, 12, 10), EFFECTS)
    on = forecast(frame, ForecastConfig())
    off = forecast(frame, ForecastConfig(calendar={"country": None}))
    eve, christmas = dt.date(2024, 12, 24), dt.date(2024, 12, 25)
    assert on.at[christmas, "mean"] < 0.25 * off.at[christmas, "mean"]
    assert on.at[eve, "mean"] / off.at[eve, "mean"] == pytest.approx(2.0, abs=0.3)
    ordinary = dt.date(2024, 12, 17)
    assert on.at[ordinary, "mean"] == pytest.approx(off.at[ordinary, "mean"], rel=0.1)
    recorded = json.loads(on["model_params"].iloc[0])["holidays"]
    assert recorded["Christmas Day"] < 0.25 and recorded["Christmas Day@-1"] > 1.2


def test_a_closed_christmas_in_the_history_does_not_read_as_a_level_drop() -> None:
    frame = with_effects(20.0, dt.date(2024, 12, 27), EFFECTS)
    on = forecast(frame, ForecastConfig(candidates=["dow_profile"], dow_profile={"weeks": 1}))
    off = forecast(
        frame, ForecastConfig(candidates=["dow_profile"], dow_profile={"weeks": 1}, calendar={"country": None})
    )
    assert on["mean"].iloc[7:14].mean() > off["mean"].iloc[7:14].mean()


def test_custom_events_from_a_file_get_their_own_effect(tmp_path) -> None:
    promotions = [dt.date(2025, 8, 10) - dt.timedelta(days=49 * k) for k in range(12)]
    events = tmp_path / "events.csv"
    events.write_text("date,name\n" + "".join(f"{d},Promo\n" for d in promotions))
    frame = with_effects(10.0, dt.date(2025, 8, 1), dict.fromkeys(promotions, 2.0), seed=3)
    config = ForecastConfig(calendar={"country": None, "events_file": str(events), "window_days": 0})
    out = forecast(frame, config)
    promo = promotions[0]
    assert promo > dt.date(2025, 8, 1)
    assert out.at[promo, "mean"] / out.at[promo - dt.timedelta(days=7), "mean"] == pytest.approx(2.0, abs=0.35)


def test_no_effect_where_there_is_none() -> None:
    """A steady series: holidays are ordinary days, so no effect survives the two-standard-error test."""
    frame = with_effects(8.0, dt.date(2024, 12, 10), {})
    start = int(np.datetime64(frame["date"].iloc[0].date(), "D").astype(np.int64))
    calendar = Calendar("US")
    _, effects = holiday_effects(frame["demand"].to_numpy(), start, 28, calendar, prior_units=1.0)
    assert len(effects.effects) <= 3  # ~33 holiday keys, 5% false positives at most in expectation
