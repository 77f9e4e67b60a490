"""Pure-pandas demand forecasting core: per-series functions that Spark wraps with ``applyInPandas``.

Modules: ``config`` (ForecastConfig), ``series`` (forecast_series + FORECAST_SCHEMA), ``backtest``
(backtest_series + ACCURACY_SCHEMA), ``engine`` (fallbacks, selection), ``candidates``, ``arma`` (the fast
regression-with-ARMA-errors estimator), ``distribution`` (Poisson/NB, quantiles, daily_pmf), ``metrics``,
``history`` (input rows -> daily history), ``csv_io`` (read_demand_csv). The simulated series of the tests and
benchmarks are ``tests/support/synthetic.py``. BLAS thread pinning is the generic :mod:`lakehouse_inv.threads`.

Exports resolve lazily (PEP 562): importing the package loads none of its modules, so a process can still pin
BLAS threads (:func:`lakehouse_inv.threads.pin_blas_threads_env`) before numpy is imported.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ForecastConfig": "config",
    "load_forecast_config": "config",
    "forecast_series": "series",
    "forecast_schema": "series",
    "forecast_output_schema": "series",
    "FORECAST_SCHEMA": "series",
    "backtest_series": "backtest",
    "accuracy_output_schema": "backtest",
    "ACCURACY_SCHEMA": "backtest",
    "count_quantiles": "distribution",
    "daily_pmf": "distribution",
    "read_demand_csv": "csv_io",
    "BadRow": "csv_io",
    "DemandFileError": "csv_io",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
