"""The per-series pandas functions run on the executors through ``applyInPandas``.

Only wiring lives here; the forecasting itself is the plain pandas code in :mod:`.series` and
:mod:`.backtest`, tested without Spark. Series are handed to Python a bucket at a time
(:func:`lakehouse_inv.grouped.apply_per_group`), each still forecast on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

from pyspark.sql import DataFrame

from lakehouse_inv.forecast.backtest import accuracy_output_schema, backtest_series
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.pooling import forecast_group
from lakehouse_inv.forecast.series import forecast_output_schema, forecast_series
from lakehouse_inv.grouped import apply_per_group

INPUT_COLUMNS = ("date", "demand", "price", "stockout", "lost_requests")


def _key_ddl(df: DataFrame, key_cols: Sequence[str]) -> str:
    return ", ".join(f"`{c}` {df.schema[c].dataType.simpleString()}" for c in key_cols)


def _inputs(history: DataFrame, key_cols: Sequence[str]) -> DataFrame:
    return history.select(*key_cols, *[c for c in INPUT_COLUMNS if c in history.columns])


def forecast_frame(
    history: DataFrame,
    *,
    key_cols: Sequence[str],
    config: ForecastConfig,
    as_of: dt.date,
    group_col: str | None = None,
) -> DataFrame:
    """Forecast every series of ``history`` (long: keys, ``date``, ``demand`` [, ``price``]); with ``group_col``
    one pandas call per group, whose sparse series may borrow the group's weekday shape (:mod:`.pooling`)."""
    schema = forecast_output_schema(_key_ddl(history, key_cols), config.quantiles)
    if group_col is None:
        fn = partial(forecast_series, config=config, key_cols=list(key_cols), as_of=as_of)
        return apply_per_group(_inputs(history, key_cols), key_cols, fn, schema)
    keys = list(dict.fromkeys([*key_cols, group_col]))
    fn = partial(forecast_group, config=config, key_cols=list(key_cols), group_col=group_col, as_of=as_of)
    grouped = apply_per_group(_inputs(history, keys), [group_col], fn, schema)
    return grouped


def backtest_frame(history: DataFrame, *, key_cols: Sequence[str], config: ForecastConfig, as_of: dt.date) -> DataFrame:
    """Rolling-origin accuracy of every series and model (see :func:`backtest_series`)."""
    schema = accuracy_output_schema(_key_ddl(history, key_cols))
    fn = partial(backtest_series, config=config, key_cols=list(key_cols), as_of=as_of)
    return apply_per_group(_inputs(history, key_cols), key_cols, fn, schema)
