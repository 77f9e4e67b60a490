"""One series' input rows turned into a dense daily history the models can index by day number.

Day ``i`` of the history is ``start + i``; day ``n_obs`` is the first forecast day (``as_of + 1``). Rules:

* Rows after ``as_of`` never feed the history (a forecast must not see the future); their ``price``, when
  present, is the price plan for the forecast days.
* A day without a row, or whose demand is null/NaN, has zero demand: the lakehouse builds daily demand from
  sales, and a day without sales rows (or a left join onto a date spine) is a day nobody bought.
* Negative or infinite demand is not demand; it counts as zero too and is reported in ``n_invalid``.
* Duplicate rows for one date are summed (several source rows for the same day).
* Price is carried forward over days without a price (no sale, no price) and backward before the first one.
* Censored demand: on a day that ended out of stock (optional ``stockout`` column true) sales are only a lower
  bound of demand. Where the unmet requests are known (optional ``lost_requests``, not null) demand is
  ``sales + lost_requests``; otherwise the day is censored and its demand is imputed from the series' own
  pattern (:func:`impute_censored`): the expected demand given that it was at least the sales.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

DATE_COLUMN = "date"
DEMAND_COLUMN = "demand"
PRICE_COLUMN = "price"
STOCKOUT_COLUMN = "stockout"
LOST_COLUMN = "lost_requests"
# Level of a censored day: the uncensored days of the preceding weeks (at least this many of them).
CENSOR_LEVEL_DAYS = 56
MIN_UNCENSORED_DAYS = 14
EM_STEPS = 5
# Without a price plan the forecast assumes the shelf price of the recent weeks (median: promotions are brief).
ASSUMED_PRICE_DAYS = 28
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class InvalidSeriesError(ValueError):
    """The rows of a series cannot be read as a daily history (missing column, no usable date)."""


@dataclass(frozen=True)
class SeriesHistory:
    """Dense daily demand (and log price) of one series up to its forecast origin."""

    start: np.datetime64
    demand: np.ndarray
    log_price: np.ndarray | None = None
    planned_log_price: np.ndarray | None = None
    n_missing: int = 0
    n_invalid: int = 0
    n_censored: int = 0
    group_shape: np.ndarray | None = None  # weekday shape of the series' group (pooling), mean 1

    @property
    def n_obs(self) -> int:
        return len(self.demand)

    def weekday(self, days: np.ndarray) -> np.ndarray:
        """Monday=0 weekday of day numbers (also valid past the end of the history)."""
        first = (self.start.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        return (first + days) % 7

    def window(self, end: int, max_days: int) -> SeriesHistory:
        """The last ``max_days`` days before day ``end``, as known then (no price plan: nobody had made one)."""
        first = max(end - max_days, 0)
        return SeriesHistory(
            start=self.start + np.timedelta64(first, "D"),
            demand=self.demand[first:end],
            log_price=None if self.log_price is None else self.log_price[first:end],
            group_shape=self.group_shape,
        )

    def future_log_price(self, origin: int, horizon: int) -> np.ndarray | None:
        """Log price for days ``origin .. origin + horizon - 1``: the plan where given, else the recent median."""
        if self.log_price is None:
            return None
        recent = self.log_price[max(origin - ASSUMED_PRICE_DAYS, 0) : origin]
        future = np.full(horizon, np.median(recent))
        if origin == self.n_obs and self.planned_log_price is not None:
            planned = self.planned_log_price[:horizon]
            known = np.isfinite(planned)
            future[: len(planned)][known] = planned[known]
        return future

    def future_log_prices(self, origins: np.ndarray, horizon: int) -> np.ndarray | None:
        """:meth:`future_log_price` of every origin, shape ``(len(origins), horizon)``: the same numbers, with one
        median over all the origins' windows instead of one call per origin."""
        if self.log_price is None:
            return None
        origins = np.asarray(origins, dtype=np.int64)
        if len(origins) == 0 or origins.min() < ASSUMED_PRICE_DAYS or origins.max() > len(self.log_price):
            return np.stack([self.future_log_price(int(o), horizon) for o in origins]).reshape(len(origins), horizon)
        windows = sliding_window_view(self.log_price, ASSUMED_PRICE_DAYS)[origins - ASSUMED_PRICE_DAYS]
        future = np.repeat(np.median(windows, axis=1)[:, None], horizon, axis=1)
        if self.planned_log_price is not None:
            planned = self.planned_log_price[:horizon]
            known = np.isfinite(planned)
            for row in np.flatnonzero(origins == self.n_obs):
                future[row, : len(planned)][known] = planned[known]
        return future

    def price_varies(self, end: int) -> bool:
        return self.log_price is not None and np.ptp(self.log_price[:end]) > 1e-9


def as_date(value: dt.date) -> dt.date:
    """A plain date (a pandas Timestamp or datetime is a date subclass that carries a time of day)."""
    return value.date() if isinstance(value, dt.datetime) else value


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Dates as integer days since the epoch; NaT becomes the int64 minimum, below every real date.

    Fast paths for datetime64 columns and for the ``datetime.date`` objects Spark hands to ``applyInPandas``
    (``toordinal`` is 20x faster than numpy's object-to-datetime cast); strings and anything else go through
    ``pd.to_datetime`` (unparseable -> NaT).
    """
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        try:
            return np.fromiter((d.toordinal() for d in values), np.int64, len(values)) - EPOCH_ORDINAL
        except (AttributeError, TypeError):
            values = pd.to_datetime(values, errors="coerce", cache=False)
    return values.to_numpy().astype("datetime64[D]").astype(np.int64)


def _numbers(values: pd.Series) -> np.ndarray:
    """A column as floats, anything unreadable as NaN (numeric columns skip ``pd.to_numeric``, which returns them
    unchanged anyway)."""
    if values.dtype.kind in "fiu":
        return values.to_numpy(dtype=float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _daily_log_price(days: np.ndarray, price: np.ndarray, n_days: int) -> np.ndarray | None:
    """Last known price of each day (carried forward, back-filled at the start), or None without any price."""
    usable = np.isfinite(price) & (price > 0)
    if not usable.any():
        return None
    daily = np.full(n_days, np.nan)
    daily[days[usable]] = np.log(price[usable])
    # forward fill, then back fill the days before the first price (numpy: a pandas Series costs ~60 us per call)
    known = ~np.isnan(daily)
    last_known = np.maximum.accumulate(np.where(known, np.arange(n_days), 0))
    filled = daily[last_known]
    first = int(np.argmax(known))
    filled[:first] = daily[first]
    return filled


def prepare_history(pdf: pd.DataFrame, *, as_of: dt.date, history_days: int, horizon: int) -> SeriesHistory:
    """Dense daily history of ``pdf`` (one series) for the origin ``as_of``; see the module rules."""
    missing = [c for c in (DATE_COLUMN, DEMAND_COLUMN) if c not in pdf.columns]
    if missing:
        raise InvalidSeriesError(f"missing column(s) {missing}; got {list(pdf.columns)}")
    day = _day_numbers(pdf[DATE_COLUMN])
    valid_date = day != np.datetime64("NaT").astype(np.int64)
    end = int(np.datetime64(as_of, "D").astype(np.int64))
    past = valid_date & (day <= end)
    if not past.any():
        raise InvalidSeriesError(f"no row dated on or before as_of={as_of}")
    first = max(int(day[past].min()), end - history_days + 1)
    in_window = past & (day >= first)
    n_days = end - first + 1
    index = day[in_window] - first

    demand = _numbers(pdf[DEMAND_COLUMN])[in_window]
    present = ~np.isnan(demand)
    invalid = present & (~np.isfinite(demand) | (demand < 0))
    usable = present & ~invalid
    daily = np.bincount(index[usable], weights=demand[usable], minlength=n_days)
    n_missing = n_days - np.count_nonzero(np.bincount(index[present], minlength=n_days))
    daily, n_censored = _uncensored(pdf, in_window, index, daily, first)

    log_price = planned = None
    if PRICE_COLUMN in pdf.columns:
        price = _numbers(pdf[PRICE_COLUMN])
        log_price = _daily_log_price(index, price[in_window], n_days)
        ahead = valid_date & (day > end) & (day <= end + horizon) & np.isfinite(price) & (price > 0)
        if log_price is not None and ahead.any():
            planned = np.full(horizon, np.nan)
            planned[day[ahead] - end - 1] = np.log(price[ahead])
    return SeriesHistory(
        start=np.datetime64(first, "D"),
        demand=daily,
        log_price=log_price,
        planned_log_price=planned,
        n_missing=int(n_missing),
        n_invalid=int(invalid.sum()),
        n_censored=n_censored,
    )


def _flag(values: pd.Series) -> np.ndarray:
    """Truthy stock-out flags (bool, 0/1, "true"/"false"; null = not out of stock)."""
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype(str).str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "yes", "t"]).to_numpy()


def _uncensored(
    pdf: pd.DataFrame, in_window: np.ndarray, index: np.ndarray, daily: np.ndarray, first: int
) -> tuple[np.ndarray, int]:
    """Daily demand with stock-out days corrected (module rules) and how many days were imputed."""
    if STOCKOUT_COLUMN not in pdf.columns and LOST_COLUMN not in pdf.columns:
        return daily, 0
    n_days = len(daily)
    censored = np.zeros(n_days, dtype=bool)
    if LOST_COLUMN in pdf.columns:
        lost = _numbers(pdf[LOST_COLUMN])[in_window]
        known = np.isfinite(lost) & (lost >= 0)
        daily = daily + np.bincount(index[known], weights=lost[known], minlength=n_days)
    else:
        known = np.zeros(len(index), dtype=bool)
    if STOCKOUT_COLUMN in pdf.columns:
        out = _flag(pdf[STOCKOUT_COLUMN])[in_window] & ~known
        censored[index[out]] = True
    if not censored.any():
        return daily, 0
    weekday = (first + 3 + np.arange(n_days)) % 7
    return impute_censored(daily, censored, weekday), int(censored.sum())


def impute_censored(demand: np.ndarray, censored: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Censored days' demand estimated as ``E[D | D >= sales]`` under Poisson(level x shape[weekday]).

    A censored day sold ``sales`` and ran out, so its demand was at least that. The weekday shape comes from the
    uncensored days; the level of each censored day is the mean (over the shape) of the preceding
    :data:`CENSOR_LEVEL_DAYS` days (the following ones for an early run) with the censored ones at their current
    estimates, and :data:`EM_STEPS` rounds of this expectation-maximisation settle it. Averaging only the
    uncensored days would be biased low: the high-demand days are the ones that run out. Too few uncensored
    days (fewer than :data:`MIN_UNCENSORED_DAYS`) leave the sales as they are.
    """
    ok = ~censored
    if ok.sum() < MIN_UNCENSORED_DAYS:
        return demand
    means = np.bincount(weekday[ok], demand[ok], 7) / np.maximum(np.bincount(weekday[ok], minlength=7), 1)
    shape = means / means.mean() if means.mean() > 0 else np.ones(7)
    shape = np.where(shape > 0, shape, 1.0)
    days = np.flatnonzero(censored)
    sales = demand[days]
    n_days = len(demand)
    lo = np.maximum(days - CENSOR_LEVEL_DAYS, 0)
    hi = days.copy()
    early = (hi - lo) < MIN_UNCENSORED_DAYS
    lo[early], hi[early] = days[early] + 1, np.minimum(days[early] + 1 + CENSOR_LEVEL_DAYS, n_days)
    width = np.maximum(hi - lo, 1)
    out = demand.copy()
    # start: uncensored level of the window (biased low, the EM rounds lift it)
    clean = np.where(ok, demand / shape[weekday], 0.0)
    total, count = np.concatenate([[0.0], np.cumsum(clean)]), np.concatenate([[0], np.cumsum(ok)])
    n_ok = count[hi] - count[lo]
    usable = n_ok >= MIN_UNCENSORED_DAYS
    rate = np.where(usable, (total[hi] - total[lo]) / np.maximum(n_ok, 1), 0.0) * shape[weekday[days]]
    out[days] = np.where(usable, np.maximum(sales, rate), sales)
    for _ in range(EM_STEPS):
        level_sum = np.concatenate([[0.0], np.cumsum(out / shape[weekday])])
        rate = (level_sum[hi] - level_sum[lo]) / width * shape[weekday[days]]
        # E[D | D >= s] = rate * P(D >= s - 1) / P(D >= s) for Poisson(rate)
        tail = stats.poisson.sf(sales - 1, rate)
        expected = np.where(tail > 1e-12, rate * stats.poisson.sf(sales - 2, rate) / np.maximum(tail, 1e-12), sales)
        out[days] = np.where(usable, np.maximum(sales, expected), sales)
    return out
