"""forecast_series: full horizon of non-negative rows for every series, fallbacks that say why, sensible counts."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.forecast import arma
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.series import FORECAST_SCHEMA, forecast_output_schema, forecast_schema, forecast_series
from support.synthetic import simulate_series

KEYS = ["store_id", "product_id"]


def run(frame: pd.DataFrame, config: ForecastConfig, as_of: dt.date | None = None) -> pd.DataFrame:
    as_of = as_of or frame["date"].max().date()
    return forecast_series(frame, config=config, key_cols=KEYS, as_of=as_of)


def simulated(rate: float, n_days: int = 730, **kwargs) -> pd.DataFrame:
    frame = simulate_series(rate, n_days, seed=kwargs.pop("seed", 7), **kwargs)
    return frame.drop(columns="expected").assign(store_id="S1", product_id="P1")


def assert_full_horizon(out: pd.DataFrame, config: ForecastConfig, as_of: dt.date) -> None:
    assert len(out) == config.horizon
    assert out["horizon_day"].tolist() == list(range(1, config.horizon + 1))
    assert out["target_date"].tolist() == [as_of + dt.timedelta(days=h) for h in range(1, config.horizon + 1)]
    assert (out["as_of"] == as_of).all()
    assert (out["mean"] >= 0).all() and (out["variance"] >= 0).all()
    assert out[["mean", "variance"]].notna().all().all()
    assert ((out["p10"] <= out["p50"]) & (out["p50"] <= out["p90"])).all()
    assert (out["p10"] >= 0).all()
    json.loads(out["model_params"].iloc[0])


def test_schema_constants_describe_the_output(series_frame, config) -> None:
    assert FORECAST_SCHEMA == (
        "as_of date, target_date date, horizon_day int, mean double, variance double, distribution string, "
        "p10 int, p50 int, p90 int, model string, model_params string, status string, error string, n_obs int"
    )
    assert forecast_output_schema("store_id string, product_id string").startswith("store_id string, product_id")
    frame = simulated(3.0)
    out = run(frame, config)
    columns = [field.split()[0] for field in forecast_output_schema("store_id string, product_id string").split(", ")]
    assert out.columns.tolist() == columns
    for column in ("horizon_day", "p10", "p50", "p90", "n_obs"):
        assert out[column].dtype == np.int32
    assert out["store_id"].eq("S1").all() and out["status"].eq("ok").all() and out["error"].isna().all()
    assert out["n_obs"].eq(730).all()


def test_configured_quantiles_change_the_columns() -> None:
    config = ForecastConfig(quantiles=[0.05, 0.5, 0.95])
    assert "p5 int, p50 int, p95 int" in forecast_schema(config.quantiles)
    out = run(simulated(5.0), config)
    assert {"p5", "p50", "p95"} <= set(out.columns) and (out["p5"] <= out["p95"]).all()


@pytest.mark.parametrize(
    ("demand", "status", "distribution"),
    [
        ([0.0] * 200, "fallback:all_zero", "degenerate"),
        ([3.0] * 200, "fallback:constant", "degenerate"),
        ([0.0, 2.0, 1.0, 0.0, 4.0, 1.0, 0.0, 3.0, 0.0, 1.0], "fallback:too_short", None),
        ([np.nan] * 100, "fallback:all_zero", "degenerate"),
    ],
    ids=["all_zero", "constant", "too_short", "all_nan"],
)
def test_degenerate_series_get_a_labelled_fallback(series_frame, config, demand, status, distribution) -> None:
    frame = series_frame(demand)
    as_of = frame["date"].max().date()
    out = run(frame, config)
    assert_full_horizon(out, config, as_of)
    assert out["status"].eq(status).all() and out["model"].eq("mean").all()
    if distribution:
        assert out["distribution"].eq(distribution).all()
    if status == "fallback:constant":
        assert out["mean"].eq(3.0).all() and out["p10"].eq(3).all() and out["p90"].eq(3).all()
    if status == "fallback:too_short":
        assert out["mean"].iloc[0] == pytest.approx(np.mean(demand)) and out["n_obs"].eq(10).all()


def test_nan_days_count_as_zero_demand_and_are_reported(config) -> None:
    frame = simulated(4.0)
    holes = frame.index[::10]
    with_nan = frame.copy()
    with_nan.loc[holes, "demand"] = np.nan
    as_zero = frame.copy()
    as_zero.loc[holes, "demand"] = 0.0
    out_nan, out_zero = run(with_nan, config), run(as_zero, config)
    assert out_nan["status"].eq("ok").all()
    np.testing.assert_allclose(out_nan["mean"], out_zero["mean"])
    assert json.loads(out_nan["model_params"].iloc[0])["data"]["n_missing_days"] == len(holes)


def test_missing_dates_are_zero_demand(config) -> None:
    frame = simulated(2.0)
    gaps = frame.index[5::9]
    out_gaps = run(frame.drop(index=gaps), config, as_of=frame["date"].max().date())
    out_zeros = run(frame.assign(demand=frame["demand"].where(~frame.index.isin(gaps), 0.0)), config)
    np.testing.assert_allclose(out_gaps["mean"], out_zeros["mean"])
    assert out_gaps["model"].iloc[0] == out_zeros["model"].iloc[0]


def test_rows_after_as_of_do_not_leak_into_the_forecast(config) -> None:
    frame = simulated(6.0, n_days=760)
    as_of = frame["date"].iloc[729].date()
    future_boom = frame.assign(demand=np.where(frame["date"].dt.date > as_of, 500.0, frame["demand"]))
    np.testing.assert_allclose(run(future_boom, config, as_of)["mean"], run(frame.iloc[:730], config, as_of)["mean"])


def test_unreadable_input_is_a_fallback_not_an_exception(series_frame, config) -> None:
    frame = series_frame([1.0] * 60).drop(columns="demand")
    out = run(frame, config)
    assert_full_horizon(out, config, frame["date"].max().date())
    assert out["status"].eq("fallback:invalid_input").all() and "demand" in out["error"].iloc[0]


def test_a_failing_model_falls_back_to_the_next_candidate_or_the_mean(config, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("singular matrix")

    monkeypatch.setattr("lakehouse_inv.forecast.candidates.fit_regression_arma", broken)
    frame = simulated(8.0)
    out = run(frame, config)
    assert out["status"].eq("ok").all() and not out["model"].iloc[0].startswith("arima")
    assert "singular" in json.loads(out["model_params"].iloc[0])["selection"]["skipped"]["arima_dow"]

    only_arima = ForecastConfig(candidates=["arima_dow"])
    out = run(frame, only_arima)
    assert_full_horizon(out, only_arima, frame["date"].max().date())
    assert out["status"].eq("fallback:fit_failed").all() and "singular matrix" in out["error"].iloc[0]
    assert out["mean"].iloc[0] > 0


def test_intermittent_series_get_sensible_count_forecasts(config) -> None:
    for seed in range(4):
        frame = simulated(0.3, seed=seed)
        out = run(frame, config)
        assert_full_horizon(out, config, frame["date"].max().date())
        assert out["status"].eq("ok").all()
        assert 0.05 < out["mean"].mean() < 1.0
        assert out["p10"].eq(0).all() and out["p90"].max() <= 2
        nominal = run(frame, ForecastConfig(distribution={"quantile_methods": ["distribution"]}))
        calibrated = run(frame, ForecastConfig(distribution={"quantile_methods": ["calibrated"]}))
        assert nominal["p90"].max() >= 1 and (calibrated["p90"] <= nominal["p90"]).all()
        assert nominal["mean"].tolist() == calibrated["mean"].tolist() == out["mean"].tolist()


def test_family_follows_the_dispersion_of_the_data(config) -> None:
    steady = {"level_sd": 0.0, "promo_week_share": 0.0}
    poisson = [run(simulated(5.0, seed=s, gamma_shape=np.inf, **steady), config) for s in range(5)]
    overdispersed = [run(simulated(5.0, seed=s, gamma_shape=1.5, **steady), config) for s in range(5)]
    assert sum(out["distribution"].iloc[0] == "poisson" for out in poisson) >= 4
    assert all(out["distribution"].iloc[0] == "negative_binomial" for out in overdispersed)
    nb = overdispersed[0]
    assert (nb["variance"] > nb["mean"]).all()
    assert (nb["p90"] - nb["p10"]).mean() > (poisson[0]["p90"] - poisson[0]["p10"]).mean()


def test_price_is_a_regressor_and_a_price_plan_moves_the_forecast() -> None:
    config = ForecastConfig(candidates=["arima_dow"])
    frame = simulated(20.0, promo_week_share=0.3)
    out = run(frame, config)
    assert out["model"].iloc[0] == "arima(1,0,1)+dow+price"
    assert json.loads(out["model_params"].iloc[0])["fit"]["log_price"] < 0  # elasticity -1.3 .. -0.7
    as_of = frame["date"].max().date()
    promo_plan = pd.DataFrame({"date": pd.date_range(as_of + dt.timedelta(days=1), periods=7), "demand": np.nan})
    promo_plan = promo_plan.assign(price=2.1, store_id="S1", product_id="P1")
    with_plan = run(pd.concat([frame, promo_plan]), config, as_of)
    assert (with_plan["mean"].iloc[:7] > out["mean"].iloc[:7] * 1.1).all()
    np.testing.assert_allclose(with_plan["mean"].iloc[7:], out["mean"].iloc[7:])


def test_arima_parameters_are_recorded(config, monkeypatch) -> None:
    calls = []
    real_fit = arma.fit_regression_arma

    def spy(*args, **kwargs):
        calls.append(args[2:4])
        return real_fit(*args, **kwargs)

    monkeypatch.setattr("lakehouse_inv.forecast.candidates.fit_regression_arma", spy)
    out = run(simulated(10.0), ForecastConfig(candidates=["arima_dow"], arima={"p": [0, 1], "q": [1]}))
    params = json.loads(out["model_params"].iloc[0])
    assert set(calls) == {(0, 1), (1, 1)}
    p, d, q = params["fit"]["order"]
    assert (p, d, q) in {(0, 0, 1), (1, 0, 1)} and len(params["fit"]["dow"]) == 7
    assert out["model"].iloc[0] == f"arima({p},{d},{q})+dow+price"


def test_as_of_may_be_a_timestamp(config) -> None:
    frame = simulated(2.0)
    as_of = frame["date"].max()
    out = forecast_series(frame, config=config, key_cols=KEYS, as_of=as_of)
    assert out["as_of"].iloc[0] == as_of.date() and type(out["target_date"].iloc[0]) is dt.date


def test_key_columns_keep_their_type_and_missing_keys_are_null(config) -> None:
    frame = simulated(2.0).assign(store_id=7)
    out = forecast_series(frame, config=config, key_cols=["store_id", "region"], as_of=frame["date"].max().date())
    assert out["store_id"].dtype == np.int64 and out["store_id"].eq(7).all()
    assert out["region"].isna().all()
