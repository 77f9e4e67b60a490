"""``backtest_series``: rolling-origin accuracy of one series, as a pandas function for ``applyInPandas``.

Grain of the output: one row per series key and ``model``, where ``model`` is

* ``auto``: the whole procedure of ``forecast_series`` (fallback ladder, selection, refit) re-run at every origin,
  i.e. the accuracy the published forecasts would have had;
* each configured candidate (``arima_dow``, ``dow_profile``, ...) and always the references ``seasonal_naive``,
  the benchmark every model must beat, and ``dow_mean`` (12-week weekday mean), which is hard to beat on
  retail data: refitted on the history before each origin.

``quantile_method`` (``auto`` rows only) is how the procedure drew the quantiles at ``as_of`` for this series on its
own (:mod:`.quantile_methods`; forecast in a group, a segment's pooled evidence may choose another, recorded in the
forecast's ``model_params``). ``is_selected`` flags the candidate that ``forecast_series`` picks at ``as_of``
itself, or both members when it averages the two best (the ``auto`` row is never flagged; no row is when ``as_of``
falls back). ``status`` is ``ok`` when every origin was evaluated, else the most frequent other outcome
(``fallback:<reason>`` for ``auto``, ``skipped``/``failed`` for a candidate, with the message in ``error``);
``n_origins`` counts the origins that produced a forecast.

Each output is scored by what it is for: the mean by MAE, RMSE, MASE and RMSSE (M5: RMSE over the in-sample RMS
of one-day changes), ``p50`` by absolute error (``mae_p50``), p10/p50/p90 by pinball loss scaled by the in-sample
mean absolute one-day change (``pinball_p*``, mean ``spl``), and ``[p10, p90]`` by coverage, both as the share of
days inside the closed band (``coverage_80``) and with a count on a band edge split by how much of its probability
lies inside (``pit_coverage_80``, :func:`~.metrics.split_inside`: 0.8 for a calibrated forecast of any counts,
where the closed band of small counts holds far more). ``rate_bucket`` segments the series by mean daily demand
over the 8 weeks before the first origin (``<0.5`` .. ``>=10``).

Origins are ``as_of - horizon - step * k`` (k = 0 .. origins - 1), so the last window ends on ``as_of``; each
model sees at most ``history_days`` days before its origin. Errors pool every origin and horizon day; MASE is
scaled by the in-sample seasonal-naive MAE of the history before the first origin.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lakehouse_inv.forecast import metrics
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.distribution import NOMINAL_COVERAGE
from lakehouse_inv.forecast.engine import (
    ENSEMBLE,
    OK,
    SeriesForecast,
    calendar_adjusted,
    describe_error,
    fallback_reason,
    fallback_status,
    forecast_candidate,
    forecast_history,
    mean_forecast,
    score_candidates,
    select_and_forecast,
    with_effects,
)
from lakehouse_inv.forecast.history import InvalidSeriesError, SeriesHistory, as_date, prepare_history
from lakehouse_inv.forecast.series import key_columns

AUTO_MODEL = "auto"
BENCHMARK_MODEL = "seasonal_naive"
REFERENCE_MODELS = (BENCHMARK_MODEL, "dow_mean")
GROUP_CANDIDATES = ("pooled_profile",)
INTERVAL_LEVELS = [0.1, 0.5, 0.9]


ACCURACY_SCHEMA = (
    "as_of date, model string, n_origins int, mae double, rmse double, mase double, wape double, bias double, "
    "coverage_80 double, is_selected boolean, status string, error string, rmsse double, mae_p50 double, "
    "pinball_p10 double, pinball_p50 double, pinball_p90 double, spl double, rate_bucket string, "
    "quantile_method string, pit_coverage_80 double"
)
METRICS = (
    "mae", "rmse", "mase", "wape", "bias", "coverage_80", "rmsse", "mae_p50",
    "pinball_p10", "pinball_p50", "pinball_p90", "spl", "pit_coverage_80",
)  # fmt: skip
RATE_DAYS = metrics.RATE_DAYS


def accuracy_output_schema(key_fields_ddl: str) -> str:
    """Full ``applyInPandas`` schema: the key columns' DDL first, then :data:`ACCURACY_SCHEMA`."""
    return f"{key_fields_ddl}, {ACCURACY_SCHEMA}"


@dataclass
class _Tally:
    """What one model produced over the origins: forecasts with their actuals, or why there was none."""

    actual: list[np.ndarray] = field(default_factory=list)
    mean: list[np.ndarray] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    median: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    inside: list[np.ndarray] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, actual: np.ndarray, forecast: SeriesForecast) -> None:
        bounds = forecast.quantiles(INTERVAL_LEVELS, NOMINAL_COVERAGE)
        self.actual.append(actual)
        self.mean.append(forecast.mean)
        self.lower.append(bounds[:, 0])
        self.median.append(bounds[:, 1])
        self.upper.append(bounds[:, 2])
        self.inside.append(forecast.split_inside(actual, bounds[:, 0], bounds[:, 2]))
        self.record(forecast.status, forecast.error)

    def record(self, outcome: str, error: str | None) -> None:
        self.outcomes.append(outcome)
        if error:
            self.errors.append(error)

    def row(self, scale: float, m5: tuple[float, float]) -> dict[str, Any]:
        """Pooled errors: the mean by MAE/RMSE/MASE/RMSSE, p50 by absolute error, the quantiles by pinball loss
        (scaled by M5's absolute scale: ``spl`` is their mean) and [p10, p90] by coverage."""
        problems = Counter(o for o in self.outcomes if o != OK)
        status = problems.most_common(1)[0][0] if problems else (OK if self.outcomes else "skipped")
        error = self.errors[0] if self.errors else None
        row: dict[str, Any] = {"n_origins": len(self.actual), "status": status, "error": error}
        if not self.actual:
            return row | dict.fromkeys(METRICS, np.nan)
        actual, mean = np.concatenate(self.actual), np.concatenate(self.mean)
        lower, median, upper = (np.concatenate(q) for q in (self.lower, self.median, self.upper))
        abs_scale = m5[1] if np.isfinite(m5[1]) and m5[1] > 0 else np.nan
        losses = {
            f"pinball_p{round(100 * level)}": metrics.pinball(actual, q, level) / abs_scale
            for q, level in zip((lower, median, upper), INTERVAL_LEVELS, strict=True)
        }
        return (
            row
            | losses
            | {
                "mae": metrics.mae(actual, mean),
                "rmse": metrics.rmse(actual, mean),
                "mase": metrics.mase(actual, mean, scale),
                "wape": metrics.wape(actual, mean),
                "bias": metrics.bias(actual, mean),
                "coverage_80": metrics.interval_coverage(actual, lower, upper),
                "pit_coverage_80": float(np.mean(np.concatenate(self.inside))),
                "rmsse": metrics.rmsse(actual, mean, m5[0]),
                "mae_p50": metrics.mae(actual, median),
                "spl": float(np.mean(list(losses.values()))),
            }
        )


def _evaluate_origin(
    full: SeriesHistory, origin: int, config: ForecastConfig, names: Sequence[str], tallies: dict[str, _Tally]
) -> None:
    """Forecast from ``origin`` with the procedure and with every candidate; tally against the actuals."""
    history = full.window(origin, config.history_days)
    actual = full.demand[origin : origin + config.horizon]
    reason = fallback_reason(history, config)
    if reason:
        tallies[AUTO_MODEL].add(actual, mean_forecast(history, config, reason))
        for name in names:
            tallies[name].record(fallback_status(reason), None)
        return
    adjusted, effects = calendar_adjusted(history, config)
    scores = score_candidates(adjusted, config, names)
    auto = select_and_forecast(adjusted, config, [s for s in scores if s.name in config.candidates])
    tallies[AUTO_MODEL].add(actual, with_effects(auto, effects))
    for score in scores:
        if score.status != OK:
            tallies[score.name].record(score.status, score.error)
            continue
        try:
            tallies[score.name].add(actual, with_effects(forecast_candidate(adjusted, config, score), effects))
        except Exception as exc:  # one candidate failing at one origin is a result, not a crash
            tallies[score.name].record("failed", describe_error(exc))


def _selected(name: str, selected: str | None) -> bool:
    """Whether candidate ``name`` is what the forecast uses: itself, or a member of the chosen average."""
    if selected is None:
        return False
    if selected.startswith(ENSEMBLE + ":"):
        return name in selected.removeprefix(ENSEMBLE + ":").split("+")
    return name == selected


def backtest_series(
    pdf: pd.DataFrame, *, config: ForecastConfig, key_cols: Sequence[str], as_of: dt.date
) -> pd.DataFrame:
    """Rolling-origin accuracy of one series (module docstring for the rows and columns). Never raises."""
    as_of = as_date(as_of)
    horizon = config.backtest_horizon
    step, n_origins = config.backtest.step_days, config.backtest.origins
    origin_config = config.model_copy(update={"horizon": horizon})
    # pooled_profile needs the series' group, which a per-series backtest does not have: no row for it
    names = [n for n in dict.fromkeys([*config.candidates, *REFERENCE_MODELS]) if n not in GROUP_CANDIDATES]
    tallies = {name: _Tally() for name in [AUTO_MODEL, *names]}
    selected, scale, m5, bucket, quantile_method = None, np.nan, (np.nan, np.nan), None, None
    try:
        span = horizon + step * (n_origins - 1)
        full = prepare_history(pdf, as_of=as_of, history_days=config.history_days + span, horizon=horizon)
        origins = full.n_obs - horizon - step * np.arange(n_origins)[::-1]
        origins = origins[origins >= 1]
        if not len(origins):
            raise InvalidSeriesError(f"{full.n_obs} days of history leave no backtest origin before {horizon} days")
        scale = metrics.seasonal_naive_scale(full.demand[: origins[0]])
        m5 = metrics.m5_scales(full.demand[: origins[0]])
        bucket = metrics.rate_bucket(float(np.mean(full.demand[max(origins[0] - RATE_DAYS, 0) : origins[0]])))
        for origin in origins:
            _evaluate_origin(full, int(origin), origin_config, names, tallies)
        published = forecast_history(full.window(full.n_obs, config.history_days), config)
        selected, quantile_method = published.candidate, published.quantile_method
    except InvalidSeriesError as exc:
        for tally in tallies.values():
            tally.record(fallback_status("invalid_input"), str(exc))
    except Exception as exc:  # never let one series fail the whole job
        for tally in tallies.values():
            tally.record(fallback_status("fit_failed"), describe_error(exc))
    rows = [
        {"as_of": as_of, "model": name, **tally.row(scale, m5), "is_selected": _selected(name, selected)}
        for name, tally in tallies.items()
    ]
    frame = pd.DataFrame(rows).astype({"n_origins": np.int32}).assign(rate_bucket=bucket)
    frame["quantile_method"] = np.where(frame["model"] == AUTO_MODEL, quantile_method, None)
    keys = pd.DataFrame(key_columns(pdf, key_cols, len(frame)))
    columns = [column.split()[0] for column in ACCURACY_SCHEMA.split(", ")]
    return pd.concat([keys, frame[columns]], axis=1)
