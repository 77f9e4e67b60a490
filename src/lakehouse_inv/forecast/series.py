"""``forecast_series``: the per-group pandas function behind ``groupBy(keys).applyInPandas``.

Grain of the output: one row per series key and ``target_date`` (``as_of + 1 .. as_of + horizon``), always the
full horizon, never a negative mean. Whatever goes wrong inside, the rows come back with a ``fallback:<reason>``
status and the error message instead of an exception (one bad series must not fail a Spark stage).

Spark use::

    schema = forecast_output_schema("store_id string, product_id string", config.quantiles)
    df.groupBy("store_id", "product_id").applyInPandas(
        partial(forecast_series, config=config, key_cols=["store_id", "product_id"], as_of=as_of), schema)
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from lakehouse_inv.forecast.config import ForecastConfig, quantile_column
from lakehouse_inv.forecast.distribution import DEGENERATE, NOMINAL_COVERAGE, CountDistribution
from lakehouse_inv.forecast.engine import (
    FALLBACK_MODEL,
    SeriesForecast,
    describe_error,
    fallback_status,
    forecast_history,
)
from lakehouse_inv.forecast.history import InvalidSeriesError, SeriesHistory, as_date, prepare_history

DEFAULT_QUANTILES = (0.1, 0.5, 0.9)


def forecast_schema(quantiles: Sequence[float] = DEFAULT_QUANTILES) -> str:
    """The non-key output columns as Spark DDL for the configured quantile levels."""
    quantile_fields = ", ".join(f"{quantile_column(q)} int" for q in quantiles)
    return (
        "as_of date, target_date date, horizon_day int, mean double, variance double, distribution string, "
        f"{quantile_fields}, model string, model_params string, status string, error string, n_obs int"
    )


# Non-key output columns as Spark DDL for the default quantiles:
# "as_of date, target_date date, horizon_day int, mean double, variance double, distribution string,
#  p10 int, p50 int, p90 int, model string, model_params string, status string, error string, n_obs int"
FORECAST_SCHEMA = forecast_schema(DEFAULT_QUANTILES)


def forecast_output_schema(key_fields_ddl: str, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> str:
    """Full ``applyInPandas`` schema: the key columns' DDL (e.g. ``"store_id string, product_id string"``) first."""
    return f"{key_fields_ddl}, {forecast_schema(quantiles)}"


def key_columns(pdf: pd.DataFrame, key_cols: Sequence[str], n_rows: int) -> dict[str, np.ndarray]:
    """The group's key values repeated ``n_rows`` times, in their input dtype (None where a key is absent)."""
    return {
        col: np.repeat(pdf[col].to_numpy()[:1], n_rows) if col in pdf.columns and len(pdf) else _repeated(None, n_rows)
        for col in key_cols
    }


def to_json(params: dict[str, Any]) -> str:
    """Compact JSON with numpy values as plain numbers, 6 significant digits, and NaN/inf as null."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple | np.ndarray):
            return [plain(v) for v in value]
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer):
            return int(value)
        if isinstance(value, float | np.floating):
            return float(f"{value:.6g}") if math.isfinite(value) else None
        return value

    return json.dumps(plain(params), separators=(",", ":"))


def _failed_forecast(history: SeriesHistory | None, config: ForecastConfig, status: str, error: str) -> SeriesForecast:
    """Last resort when even the fallback ladder raised: zero demand, or the plain mean if a history exists."""
    rate = float(history.demand.mean()) if history is not None and history.n_obs else 0.0
    return SeriesForecast(
        mean=np.full(config.horizon, rate),
        distribution=CountDistribution(DEGENERATE) if rate == 0 else CountDistribution("poisson"),
        model=FALLBACK_MODEL,
        params={"fit": {"mean": rate}},
        status=status,
        error=error,
    )


def _object_column(values: list[Any]) -> np.ndarray:
    """An object array: half the DataFrame construction cost of passing the Python list."""
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _repeated(value: Any, n: int) -> np.ndarray:
    return _object_column([value] * n)


def forecast_frame(
    keys: dict[str, np.ndarray], as_of: dt.date, forecast: SeriesForecast, config: ForecastConfig, n_obs: int
) -> pd.DataFrame:
    """Output rows of one series in :func:`forecast_schema` order (``keys`` from :func:`key_columns`)."""
    horizon = config.horizon
    family = forecast.distribution.family
    variance = forecast.variance
    quantiles = forecast.quantiles(config.quantiles, NOMINAL_COVERAGE).astype(np.int32)
    columns: dict[str, Any] = dict(keys)
    columns |= {
        "as_of": _repeated(as_of, horizon),
        "target_date": _object_column([as_of + dt.timedelta(days=h) for h in range(1, horizon + 1)]),
        "horizon_day": np.arange(1, horizon + 1, dtype=np.int32),
        "mean": forecast.mean,
        "variance": variance,
        "distribution": _repeated(family, horizon),
    }
    columns |= {quantile_column(q): quantiles[:, i] for i, q in enumerate(config.quantiles)}
    columns |= {
        "model": _repeated(forecast.model, horizon),
        "model_params": _repeated(to_json(forecast.params), horizon),
        "status": _repeated(forecast.status, horizon),
        "error": _repeated(forecast.error, horizon),
        "n_obs": np.full(horizon, n_obs, dtype=np.int32),
    }
    return pd.DataFrame(columns, copy=False)


def forecast_series(
    pdf: pd.DataFrame,
    *,
    config: ForecastConfig,
    key_cols: Sequence[str],
    as_of: dt.date,
    group_shape: np.ndarray | None = None,
) -> pd.DataFrame:
    """Forecast one series (one group of rows with columns ``key_cols``, ``date``, ``demand`` [, ``price``]).

    Uses the ``history_days`` days up to and including ``as_of``; see :mod:`.history` for how gaps, nulls and
    bad values are read and :mod:`.engine` for the model choice. Never raises.
    """
    as_of = as_date(as_of)
    forecast, n_obs = series_forecast(pdf, config=config, as_of=as_of, group_shape=group_shape)
    return forecast_frame(key_columns(pdf, key_cols, config.horizon), as_of, forecast, config, n_obs)


def series_forecast(
    pdf: pd.DataFrame, *, config: ForecastConfig, as_of: dt.date, group_shape: np.ndarray | None = None
) -> tuple[SeriesForecast, int]:
    """The :class:`SeriesForecast` of :func:`forecast_series` and the days of history it used. Never raises."""
    history = None
    try:
        history = prepare_history(pdf, as_of=as_of, history_days=config.history_days, horizon=config.horizon)
        if group_shape is not None:
            history = replace(history, group_shape=np.asarray(group_shape, dtype=float))
        forecast = forecast_history(history, config)
        forecast.params["data"] = {"n_missing_days": history.n_missing, "n_invalid": history.n_invalid}
    except InvalidSeriesError as exc:
        forecast = _failed_forecast(None, config, fallback_status("invalid_input"), str(exc))
    except Exception as exc:  # never let one series fail the whole job
        forecast = _failed_forecast(history, config, fallback_status("fit_failed"), describe_error(exc))
    return forecast, history.n_obs if history is not None else 0
