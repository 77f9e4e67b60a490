"""Input rows -> dense daily history: gaps and nulls are zero demand, the future never leaks in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.forecast.history import InvalidSeriesError, prepare_history

AS_OF = dt.date(2024, 1, 10)


def prepare(frame: pd.DataFrame, history_days: int = 730):
    return prepare_history(frame, as_of=AS_OF, history_days=history_days, horizon=5)


def rows(days: list[int], demand: list[float], **extra) -> pd.DataFrame:
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in days]
    return pd.DataFrame({"date": dates, "demand": demand, **extra})


def test_gaps_nulls_and_bad_values_are_zero_demand() -> None:
    frame = rows([0, 1, 3, 4, 5, 6, 6, 9, 12], [2, np.nan, 4, -1, np.inf, 1, 2, 5, 99])
    history = prepare(frame)
    # day 2, 7, 8 missing; day 1 null; day 4 negative, day 5 infinite; day 6 duplicated; day 12 is after as_of
    np.testing.assert_array_equal(history.demand, [2, 0, 0, 4, 0, 0, 3, 0, 0, 5])
    assert history.n_missing == 4 and history.n_invalid == 2
    assert history.start == np.datetime64("2024-01-01") and history.n_obs == 10


def test_date_columns_of_any_spark_or_pandas_flavour_agree() -> None:
    frame = rows([0, 1, 2], [1, 2, 3])
    as_objects = prepare(frame).demand
    as_datetime64 = prepare(frame.assign(date=pd.to_datetime(frame["date"]))).demand
    as_strings = prepare(frame.assign(date=frame["date"].astype(str))).demand
    np.testing.assert_array_equal(as_objects, as_datetime64)
    np.testing.assert_array_equal(as_objects, as_strings)


def test_history_window_and_weekdays() -> None:
    history = prepare(rows(list(range(10)), [1.0] * 10), history_days=4)
    assert history.n_obs == 4 and history.start == np.datetime64("2024-01-07")
    assert history.weekday(np.arange(2)).tolist() == [6, 0]  # 2024-01-07 was a Sunday


def test_price_is_carried_forward_and_a_plan_overrides_the_assumption() -> None:
    price = [2.0, np.nan, 2.0, 1.5, np.nan, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, np.nan]
    history = prepare(rows(list(range(12)), [1.0] * 12, price=price))
    np.testing.assert_allclose(np.exp(history.log_price), [2, 2, 2, 1.5, 1.5, 2, 2, 2, 2, 2])
    assert history.price_varies(history.n_obs)
    future = np.exp(history.future_log_price(history.n_obs, 5))
    np.testing.assert_allclose(future, [1.0, 2.0, 2.0, 2.0, 2.0])  # planned day 10, then the recent median
    in_the_past = np.exp(history.future_log_price(5, 3))
    np.testing.assert_allclose(in_the_past, [2.0, 2.0, 2.0])  # no plan existed back then


def test_days_before_the_first_price_take_it_and_all_origins_at_once_match_one_at_a_time() -> None:
    rng = np.random.default_rng(5)
    days = list(range(70))
    price = np.where(rng.random(70) < 0.3, np.nan, rng.choice([1.0, 1.5, 2.0], 70))
    price[:3] = np.nan
    price[-5:] = [np.nan, 1.25, 3.0, np.nan, 1.75]  # after AS_OF: the price plan
    as_of = dt.date(2024, 1, 1) + dt.timedelta(days=64)
    history = prepare_history(rows(days, [1.0] * 70, price=price), as_of=as_of, history_days=730, horizon=5)
    first = int(np.flatnonzero(np.isfinite(price))[0])
    np.testing.assert_array_equal(history.log_price[:first], np.log(price[first]))  # back-filled
    for origins in (np.array([30, 44, 58, 65]), np.array([10, 40, 65]), np.array([65])):
        one_at_a_time = np.stack([history.future_log_price(int(o), 5) for o in origins])
        np.testing.assert_array_equal(history.future_log_prices(origins, 5), one_at_a_time)
    assert np.exp(history.future_log_prices(np.array([65]), 5))[0, 1] == 1.25  # the plan, not the median


def test_unreadable_series_raise_a_named_error() -> None:
    with pytest.raises(InvalidSeriesError, match="demand"):
        prepare(pd.DataFrame({"date": [AS_OF]}))
    with pytest.raises(InvalidSeriesError, match="on or before"):
        prepare(rows([20], [1.0]))


def test_rows_without_a_readable_date_are_ignored() -> None:
    frame = pd.DataFrame({"date": [dt.date(2024, 1, 8), None, "garbage", "2024-01-10"], "demand": [1.0, 5, 5, 2]})
    np.testing.assert_array_equal(prepare(frame).demand, [1, 0, 2])
