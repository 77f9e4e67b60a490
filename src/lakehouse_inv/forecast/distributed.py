"""The per-series pandas functions run on the executors: ``groupBy(keys).applyInPandas``.

Only wiring lives here; the forecasting itself is the plain pandas code in :mod:`.series` and
:mod:`.backtest`, tested without Spark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial

import pandas as pd
from pyspark.sql import DataFrame

from lakehouse_inv.forecast.backtest import accuracy_output_schema, backtest_series
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.series import forecast_output_schema, forecast_series
from lakehouse_inv.forecast.threads import pin_blas_threads

INPUT_COLUMNS = ("date", "demand", "price")


def _single_threaded(fn: Callable[..., pd.DataFrame], pdf: pd.DataFrame, **kwargs) -> pd.DataFrame:
    pin_blas_threads()  # one Python worker per core: BLAS threads on top would oversubscribe
    return fn(pdf, **kwargs)


def _key_ddl(df: DataFrame, key_cols: Sequence[str]) -> str:
    return ", ".join(f"`{c}` {df.schema[c].dataType.simpleString()}" for c in key_cols)


def _inputs(history: DataFrame, key_cols: Sequence[str]) -> DataFrame:
    return history.select(*key_cols, *[c for c in INPUT_COLUMNS if c in history.columns])


def forecast_frame(history: DataFrame, *, key_cols: Sequence[str], config: ForecastConfig, as_of: dt.date) -> DataFrame:
    """Forecast every series of ``history`` (long: keys, ``date``, ``demand`` [, ``price``])."""
    schema = forecast_output_schema(_key_ddl(history, key_cols), config.quantiles)
    fn = partial(_single_threaded, forecast_series, config=config, key_cols=list(key_cols), as_of=as_of)
    return _inputs(history, key_cols).groupBy(*key_cols).applyInPandas(fn, schema)


def backtest_frame(history: DataFrame, *, key_cols: Sequence[str], config: ForecastConfig, as_of: dt.date) -> DataFrame:
    """Rolling-origin accuracy of every series and model (see :func:`backtest_series`)."""
    schema = accuracy_output_schema(_key_ddl(history, key_cols))
    fn = partial(_single_threaded, backtest_series, config=config, key_cols=list(key_cols), as_of=as_of)
    return _inputs(history, key_cols).groupBy(*key_cols).applyInPandas(fn, schema)
