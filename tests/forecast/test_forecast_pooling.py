"""Pooling: a sparse series borrows its group's weekday shape; a dense one keeps its own."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.pooling import forecast_group
from lakehouse_inv.forecast.series import forecast_series

KEYS = ["store_id", "product_id"]
SHAPE = np.array([0.6, 0.6, 0.7, 0.8, 1.2, 1.6, 1.5])  # Monday .. Sunday, mean 1
END = dt.date(2025, 6, 1)
HORIZON = 28


def group(seed: int, sparse_rate: float) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Six dense stores and one sparse store selling product P with the same weekday shape; true future rates."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=pd.Timestamp(END) + pd.Timedelta(days=HORIZON), periods=400 + HORIZON)
    frames, truth = [], {}
    for store, rate in [(f"D{i}", 12.0) for i in range(6)] + [("SPARSE", sparse_rate)]:
        expected = rate * SHAPE[dates.weekday]
        demand = rng.poisson(expected).astype(float)
        frames.append(pd.DataFrame({"store_id": store, "product_id": "P", "date": dates, "demand": demand}))
        truth[store] = expected[-HORIZON:]
    rows = pd.concat(frames, ignore_index=True)
    return rows[rows["date"] <= pd.Timestamp(END)], truth


def errors(config: ForecastConfig, pooled: bool, sparse_rate: float, store: str) -> float:
    """Mean over seeds of the RMSE between ``store``'s forecast mean and its true rate."""
    out = []
    for seed in range(6):
        rows, truth = group(seed, sparse_rate)
        if pooled:
            result = forecast_group(rows, config=config, key_cols=KEYS, group_col="product_id", as_of=END)
        else:
            result = pd.concat(
                forecast_series(r, config=config, key_cols=KEYS, as_of=END) for _, r in rows.groupby("store_id")
            )
        mean = result.loc[result["store_id"] == store, "mean"].to_numpy()
        out.append(np.sqrt(np.mean((mean - truth[store]) ** 2)))
    return float(np.mean(out))


def test_pooling_helps_a_sparse_series() -> None:
    profile = ForecastConfig(horizon=HORIZON, candidates=["dow_profile"], dow_profile={"weeks": 8})
    pooled = ForecastConfig(horizon=HORIZON, candidates=["pooled_profile"])
    own, borrowed = errors(profile, False, 0.4, "SPARSE"), errors(pooled, True, 0.4, "SPARSE")
    assert borrowed < 0.9 * own
    auto = ForecastConfig(horizon=HORIZON)
    assert errors(auto, True, 0.4, "SPARSE") < errors(auto, False, 0.4, "SPARSE")


def test_pooling_does_not_hurt_a_dense_series() -> None:
    auto = ForecastConfig(horizon=HORIZON)
    assert errors(auto, True, 0.4, "D0") == errors(auto, False, 0.4, "D0")  # own shape weighs > 90%: not pooled


def test_the_group_shape_leaves_the_series_out_and_is_recorded() -> None:
    rows, _ = group(0, 0.4)
    config = ForecastConfig(horizon=HORIZON, candidates=["pooled_profile"])
    result = forecast_group(rows, config=config, key_cols=KEYS, group_col="product_id", as_of=END)
    assert sorted(result["store_id"].unique()) == sorted(rows["store_id"].unique())
    assert (result.groupby("store_id").size() == HORIZON).all()
    sparse = result[result["store_id"] == "SPARSE"]
    assert sparse["model"].iloc[0] == "pooled_profile_8w" and sparse["status"].eq("ok").all()
    alone = forecast_series(rows[rows["store_id"] == "SPARSE"], config=config, key_cols=KEYS, as_of=END)
    assert alone["status"].iloc[0].startswith("fallback:no_candidate")
