"""Holiday and event calendar of the forecast: which days are special, and each series' effect of each of them.

The calendar (``calendar`` in ``forecast.yml``) is a country's public holidays from the ``holidays`` package
(optionally with regional ones) plus custom dated events from a CSV file (``date,name``: promotions, local
fairs). Each holiday name gets its own effect on the day itself and on each of the ``window_days`` days before
and after it (``"Christmas Day"``, ``"Christmas Day@-1"``, ...): stores close on Christmas and are busy the day
before, and a pooled "holiday" dummy would average the two away.

Per series (:func:`holiday_effects`), on the history before the forecast origin:

* each special day's baseline is the mean demand of the same weekday one and two weeks before and after it
  (ordinary days only). A holiday has an effect only if its past occurrences (at least two) stood out from their
  baselines: the mean of ``log((y + 1) / (b + 1))`` at least ``EFFECT_Z`` standard errors from zero (robust
  spread of ordinary days) with 80% of occurrences on its side. The effect is then
  ``(sum of demand + prior) / (sum of baselines + prior)``;
* the models are fitted on the history with each special day's expected effect taken out,
  ``y + baseline * (1 - effect)`` (a closed Christmas must not read as a level drop; shifting rather than
  replacing keeps the day's noise for the interval), and the forecast of a special day is multiplied by its
  effect.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

EPOCH = dt.date(1970, 1, 1)
NEIGHBOUR_WEEKS = (-14, -7, 7, 14)
# A holiday has an effect on a series only when its past occurrences (two at least) stood out from their
# neighbours on average by this many standard errors (robust, log scale), and nearly all in the same direction:
# most holidays do nothing to grocery demand, over-dispersed series have heavy tails, and a spurious +-50% on a
# few days costs more than a missed small effect.
EFFECT_Z = 3.0
MIN_OCCURRENCES = 2
AGREE = 0.8


class EventFileError(ValueError):
    """The custom events file cannot be read (missing, no ``date``/``name`` header, or a bad line)."""


@lru_cache(maxsize=16)
def read_events(path: str) -> tuple[tuple[int, str], ...]:
    """``(epoch day, name)`` of every line of an events CSV with columns ``date`` (YYYY-MM-DD) and ``name``."""
    file = Path(path)
    if not file.is_file():
        raise EventFileError(f"{path}: no such file")
    events = []
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        if "date" not in header or "name" not in header:
            raise EventFileError(f"{path}: needs columns date,name (found: {', '.join(header) or 'no header'})")
        for row in reader:
            line = reader.line_num
            text, name = (row.get("date") or "").strip(), (row.get("name") or "").strip()
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                raise EventFileError(f"{path}:{line}: date {text!r} is not YYYY-MM-DD") from None
            if not name:
                raise EventFileError(f"{path}:{line}: missing name")
            events.append(((day - EPOCH).days, name))
    return tuple(sorted(events))


@lru_cache(maxsize=64)
def _public_holidays(country: str, regions: tuple[str, ...], first_year: int, last_year: int) -> tuple:
    import holidays

    years = range(first_year, last_year + 1)
    days: dict[dt.date, str] = dict(holidays.country_holidays(country, years=years).items())
    for region in regions:
        for day, name in holidays.country_holidays(country, subdiv=region, years=years).items():
            days.setdefault(day, name)
    return tuple(sorted(((day - EPOCH).days, name) for day, name in days.items()))


@dataclass(frozen=True)
class Calendar:
    """Special days as sorted epoch days with their effect keys (a holiday, or ``name@offset`` around it)."""

    country: str | None
    regions: tuple[str, ...] = ()
    events_file: str | None = None
    window_days: int = 1
    _cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def special_days(self, first: int, last: int) -> tuple[np.ndarray, list[str]]:
        """Epoch days in ``[first, last]`` that are special and their keys; the day itself wins over a neighbour."""
        key = (first, last)
        if key not in self._cache:
            self._cache.clear()
            self._cache[key] = self._special_days(first, last)
        return self._cache[key]

    def _special_days(self, first: int, last: int) -> tuple[np.ndarray, list[str]]:
        pad = self.window_days
        first_year = (EPOCH + dt.timedelta(days=first - pad)).year
        last_year = (EPOCH + dt.timedelta(days=last + pad)).year
        named: list[tuple[int, str]] = []
        if self.country:
            named += _public_holidays(self.country, self.regions, first_year, last_year)
        if self.events_file:
            named += read_events(self.events_file)
        keys: dict[int, str] = {}
        for day, name in named:
            keys.setdefault(day, name)
        for offset in range(1, pad + 1):
            for day, name in named:
                keys.setdefault(day - offset, f"{name}@-{offset}")
                keys.setdefault(day + offset, f"{name}@+{offset}")
        days = sorted(d for d in keys if first <= d <= last)
        return np.array(days, dtype=np.int64), [keys[d] for d in days]


@dataclass(frozen=True)
class HolidayEffects:
    """One series' effects: multipliers by key, and the special days of its history and forecast window."""

    effects: dict[str, float]
    history_days: np.ndarray
    history_keys: list[str]
    future_days: np.ndarray
    future_keys: list[str]

    def multipliers(self, horizon: int) -> np.ndarray:
        """Multiplier of each forecast day (1 on ordinary days and on special days never seen in the history)."""
        out = np.ones(horizon)
        for day, key in zip(self.future_days, self.future_keys, strict=True):
            if day < horizon:
                out[day] = self.effects.get(key, 1.0)
        return out

    def params(self) -> dict[str, float]:
        """The effects of the special days in the forecast window (what moved the published numbers)."""
        return {key: self.effects[key] for key in dict.fromkeys(self.future_keys) if key in self.effects}


def _log_ratio_spread(demand: np.ndarray, special: np.ndarray) -> float:
    """Robust standard deviation (1.4826 x MAD) of ``log((y + 1) / (b + 1))`` over ordinary days, ``b`` the mean of
    the same weekday one and two weeks before and after: how far an ordinary day strays from its neighbours."""
    n = len(demand)
    if n < 29:
        return np.inf
    t = np.arange(14, n - 14)
    ordinary = t[~special[t]]
    if len(ordinary) < 28:
        return np.inf
    baseline = (demand[ordinary - 14] + demand[ordinary - 7] + demand[ordinary + 7] + demand[ordinary + 14]) / 4
    logs = np.log((demand[ordinary] + 1) / (baseline + 1))
    return float(1.4826 * np.median(np.abs(logs - np.median(logs))))


def holiday_effects(
    demand: np.ndarray, start_day: int, horizon: int, calendar: Calendar, prior_units: float
) -> tuple[np.ndarray, HolidayEffects | None]:
    """History with special days replaced by their baselines, and the effects (module docstring); ``None`` when
    neither the history nor the forecast window has a special day."""
    n_obs = len(demand)
    days, keys = calendar.special_days(start_day, start_day + n_obs + horizon - 1)
    if not len(days):
        return demand, None
    index = days - start_day
    past = index < n_obs
    past_days = index[past]
    past_keys = [k for k, p in zip(keys, past, strict=True) if p]
    special = np.zeros(n_obs, dtype=bool)
    special[past_days] = True
    # baselines of every past special day at once: the ordinary same-weekday neighbours
    around = past_days[:, None] + np.asarray(NEIGHBOUR_WEEKS)[None, :]
    inside = (around >= 0) & (around < n_obs)
    clipped = np.clip(around, 0, max(n_obs - 1, 0))
    usable = inside & ~special[clipped]
    count = usable.sum(axis=1)
    baseline = np.where(usable, demand[clipped], 0.0).sum(axis=1) / np.maximum(count, 1)
    observed = demand[past_days]
    logs = np.log((observed + 1) / (baseline + 1))
    ids = {key: i for i, key in enumerate(dict.fromkeys(past_keys))}
    names = list(ids)
    key_id = np.fromiter((ids[k] for k in past_keys), np.int64, len(past_keys))
    has = count > 0
    n_keys = len(names)
    occurrences = np.bincount(key_id[has], minlength=n_keys)
    centre = np.bincount(key_id[has], weights=logs[has], minlength=n_keys) / np.maximum(occurrences, 1)
    ups = np.bincount(key_id[has], weights=(logs[has] > 0).astype(float), minlength=n_keys)
    downs = np.bincount(key_id[has], weights=(logs[has] < 0).astype(float), minlength=n_keys)
    agree = np.where(centre > 0, ups, downs) / np.maximum(occurrences, 1)
    spread = _log_ratio_spread(demand, special)
    # indistinguishable from an ordinary day, or one spike rather than a pattern: no effect
    keep = (
        (occurrences >= MIN_OCCURRENCES)
        & (np.abs(centre) >= EFFECT_Z * spread / np.sqrt(np.maximum(occurrences, 1)))
        & (agree >= AGREE)
    )
    observed_sum = np.bincount(key_id[has], weights=observed[has], minlength=n_keys)
    baseline_sum = np.bincount(key_id[has], weights=baseline[has], minlength=n_keys)
    ratio = (observed_sum + prior_units) / (baseline_sum + prior_units)
    effects = {names[k]: float(ratio[k]) for k in np.flatnonzero(keep)}
    adjusted = demand.copy()
    if effects:
        effect_of_day = np.where(has & keep[key_id], ratio[key_id], 1.0)
        adjusted[past_days] = np.maximum(observed + baseline * (1 - effect_of_day), 0.0)
    future = ~past
    return adjusted, HolidayEffects(
        effects=effects,
        history_days=past_days,
        history_keys=past_keys,
        future_days=index[future] - n_obs,
        future_keys=[k for k, p in zip(keys, past, strict=True) if not p],
    )
