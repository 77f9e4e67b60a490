"""The ``backtest`` step: rolling-origin accuracy of the forecasts against seasonal naive (``job``); the per-series
work is :mod:`lakehouse_inv.forecast.backtest`."""
