"""Refit on drift: drifted series get a full model selection even on days the schedule keeps models."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.refit import (
    DRIFT,
    KEPT,
    NO_MODEL,
    SCHEDULE,
    forecast_by_plan,
    pinned_config,
    plan_metrics,
    selection_due,
    selection_plan,
    used_candidates,
)

CANDIDATES = ["arima_dow", "dow_profile", "seasonal_naive", "croston_sba"]
NOT_DUE = dt.date(2025, 6, 2)  # ordinal % 7 == 0 on 2025-06-01
DUE = dt.date(2025, 6, 1)


def test_schedule_days():
    assert selection_due(DUE, 7) and not selection_due(NOT_DUE, 7)
    assert selection_due(NOT_DUE, 1)


def test_used_candidates_from_the_published_model():
    assert used_candidates("arima(1,0,1)+dow+price", "{}", CANDIDATES) == "arima_dow"
    assert used_candidates("dow_profile_6w", None, CANDIDATES) == "dow_profile"
    assert used_candidates("dow_profile_6w+yearly", "{}", CANDIDATES) is None  # not an allowed candidate
    assert used_candidates("dow_profile_6w+yearly", "{}", [*CANDIDATES, "dow_profile_yearly"]) == "dow_profile_yearly"
    assert used_candidates("dow_mean_12w", "{}", [*CANDIDATES, "dow_mean"]) == "dow_mean"
    members = json.dumps({"members": {"dow_profile": {}, "arima_dow": {}}})
    assert used_candidates("ensemble(arima(1,0,1)+dow+dow_profile_6w)", members, CANDIDATES) == "arima_dow+dow_profile"
    assert used_candidates("mean", "{}", CANDIDATES) is None


def _previous() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "store_id": ["S1", "S1", "S1"],
            "product_id": ["P1", "P2", "P3"],
            "model": ["seasonal_naive", "seasonal_naive", "mean"],
            "model_params": ["{}", "{}", "{}"],
        }
    )


def test_drifted_series_reselect_when_the_schedule_keeps_models():
    drifted = pd.DataFrame({"store_id": ["S1"], "product_id": ["P2"]})
    plan = selection_plan(_previous(), drifted, as_of=NOT_DUE, every_days=7, candidates=CANDIDATES)
    assert plan[["product_id", "pinned", "reason"]].values.tolist() == [
        ["P1", "seasonal_naive", KEPT],
        ["P2", None, DRIFT],
        ["P3", None, NO_MODEL],
    ]
    due = selection_plan(_previous(), drifted, as_of=DUE, every_days=7, candidates=CANDIDATES)
    assert due["reason"].tolist() == [SCHEDULE, DRIFT, SCHEDULE] and due["pinned"].isna().all()
    metrics, tables = plan_metrics(plan)
    assert metrics["series_selection_drift"] == 1 and metrics["series_selection_kept"] == 1
    assert tables["reselected_on_drift"][["product_id", "reason"]].values.tolist() == [["P2", DRIFT]]


def test_pinned_config_keeps_an_average_of_its_members():
    config = ForecastConfig()
    single = pinned_config(config, "seasonal_naive")
    assert single.candidates == ["seasonal_naive"] and single.selection.combine == 0
    pair = pinned_config(config, "arima_dow+dow_profile")
    assert pair.candidates == ["arima_dow", "dow_profile"] and pair.selection.combine == 2


def test_forecast_by_plan_refits_pinned_series_and_reselects_drifted_ones(spark):
    as_of = NOT_DUE
    rng = np.random.default_rng(3)
    days = pd.date_range(end=pd.Timestamp(as_of), periods=140).date
    rows = [(p, d, float(rng.poisson(4 + 3 * (d.weekday() >= 5))), 2.0) for p in ("P1", "P2") for d in days]
    history = spark.createDataFrame(
        [("S1", *r) for r in rows], "store_id string, product_id string, date date, demand double, price double"
    )
    drifted = pd.DataFrame({"store_id": ["S1"], "product_id": ["P2"]})
    plan = selection_plan(_previous().iloc[:2], drifted, as_of=as_of, every_days=7, candidates=CANDIDATES)
    config = ForecastConfig(candidates=CANDIDATES)
    out = forecast_by_plan(history, plan, config=config, as_of=as_of).where("horizon_day = 1").collect()
    by_product = {r.product_id: r for r in out}
    assert len(out) == 2
    assert by_product["P1"].model == "seasonal_naive"  # kept: only its previous model was refitted
    scores = json.loads(by_product["P2"].model_params)["selection"]["scores"]
    assert len(scores) > 1  # drifted: a full selection among the candidates
