"""Builders for one-series input frames as Spark would hand them to ``applyInPandas``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.forecast.config import ForecastConfig

START = dt.date(2023, 1, 2)  # a Monday


def _frame(demand: Sequence[float], start: dt.date = START, price: Sequence[float] | None = None) -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(demand), freq="D")
    frame = pd.DataFrame({"store_id": "S1", "product_id": "P1", "date": dates, "demand": np.asarray(demand, float)})
    if price is not None:
        frame["price"] = np.asarray(price, float)
    return frame


@pytest.fixture
def series_frame() -> Callable[..., pd.DataFrame]:
    """``series_frame(demand, start=..., price=...)``: one store-product, consecutive days from ``start``."""
    return _frame


@pytest.fixture
def config() -> ForecastConfig:
    return ForecastConfig()
