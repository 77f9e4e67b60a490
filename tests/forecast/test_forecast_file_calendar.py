"""forecast-file with and without --country, and with stock-out columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.config import ConfigError
from lakehouse_inv.forecast.csv_io import read_demand_csv
from lakehouse_inv.forecast.file_tool import file_config
from lakehouse_inv.forecast.file_tool import main as forecast_file_main

AS_OF = dt.date(2024, 12, 15)


def closed_on_christmas(path: Path) -> Path:
    """One steady series (rate 30) whose stores close on Christmas Day, for three years up to ``AS_OF``."""
    dates = pd.date_range(end=pd.Timestamp(AS_OF), periods=800)
    closed = (dates.month == 12) & (dates.day == 25)
    demand = np.where(closed, 0, np.random.default_rng(0).poisson(30.0, len(dates)))
    pd.DataFrame({"series_id": "A", "date": dates.date, "demand": demand}).to_csv(path, index=False)
    return path


def test_country_option_overrides_the_configured_calendar() -> None:
    assert file_config(None, 28).calendar.country == "US"
    assert file_config(None, 28, "de").calendar.country == "DE"
    assert file_config(None, 28, "none").calendar.build() is None
    with pytest.raises(ConfigError, match=r"--country: unknown country 'Narnia'"):
        file_config(None, 28, "Narnia")


def test_an_unknown_country_exits_2_before_any_forecast(tmp_path: Path, capsys) -> None:
    source = closed_on_christmas(tmp_path / "demand.csv")
    out = tmp_path / "forecasts.csv"
    assert forecast_file_main(["--input", str(source), "--output", str(out), "--country", "XX"]) == 2
    assert "--country: unknown country 'XX'" in capsys.readouterr().err and not out.exists()


def test_stockout_and_lost_requests_columns_are_read(tmp_path: Path) -> None:
    source = tmp_path / "demand.csv"
    source.write_text("series_id,date,demand,stockout,lost_requests\nA,2025-01-01,3,true,2\nA,2025-01-02,4,false,\n")
    demand, bad = read_demand_csv(source)
    assert not bad and demand["stockout"].tolist() == ["true", "false"]
    assert demand["lost_requests"].iloc[0] == 2 and np.isnan(demand["lost_requests"].iloc[1])


def test_forecast_file_with_and_without_country(spark, tmp_path: Path) -> None:
    source = closed_on_christmas(tmp_path / "demand.csv")
    results = {}
    for country in (None, "none"):
        out = tmp_path / f"forecasts-{country}.csv"
        args = ["--input", str(source), "--output", str(out), "--horizon", "14"]
        assert forecast_file_main(args + (["--country", country] if country else [])) == 0
        results[country] = pd.read_csv(out).set_index("date")["mean"]
    christmas, ordinary = "2024-12-25", "2024-12-18"
    assert results[None][christmas] < 0.2 * results["none"][christmas]  # default US calendar: closed
    assert results[None][ordinary] == pytest.approx(results["none"][ordinary], rel=0.1)


def test_forecast_file_with_a_group_column_pools_through_spark(spark, tmp_path: Path) -> None:
    """Same rows as the pandas group function; a blank group_id is the series' own group."""
    from lakehouse_inv.forecast.config import ForecastConfig
    from lakehouse_inv.forecast.distributed import forecast_frame
    from lakehouse_inv.forecast.pooling import forecast_group

    rng = np.random.default_rng(2)
    dates = pd.date_range(end=pd.Timestamp(AS_OF), periods=200)
    shape = np.array([0.6, 0.6, 0.7, 0.8, 1.2, 1.6, 1.5])[dates.weekday]
    frames = [
        pd.DataFrame({"series_id": sid, "date": dates.date, "demand": rng.poisson(rate * shape).astype(float)})
        for sid, rate in [("A", 10.0), ("B", 10.0), ("C", 0.3)]
    ]
    demand = pd.concat(frames, ignore_index=True).assign(group_id="P1")
    config = ForecastConfig(horizon=7, calendar={"country": None})
    history = spark.createDataFrame(demand)
    out = forecast_frame(history, key_cols=["series_id"], config=config, as_of=AS_OF, group_col="group_id").toPandas()
    expected = forecast_group(demand, config=config, key_cols=["series_id"], group_col="group_id", as_of=AS_OF)
    columns = ["series_id", "target_date", "mean", "p10", "p50", "p90", "model"]
    got = out[columns].sort_values(["series_id", "target_date"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected[columns].sort_values(["series_id", "target_date"], ignore_index=True))

    source = tmp_path / "grouped.csv"
    demand.assign(group_id=np.where(demand["series_id"] == "B", "", "P1")).to_csv(source, index=False)
    out_file = tmp_path / "out.csv"
    assert forecast_file_main(["--input", str(source), "--output", str(out_file), "--horizon", "7"]) == 0
    result = pd.read_csv(out_file)
    assert result.groupby("series_id").size().to_dict() == {"A": 7, "B": 7, "C": 7}
    assert result["status"].eq("ok").all()


def test_forecast_file_draws_quantiles_by_the_pooled_selection_of_the_pipeline(spark, tmp_path: Path) -> None:
    """With a group column the file's p10/p50/p90 are those of ``forecast_group`` under the same configuration: the
    quantile method and conformal levels chosen on the group's pooled evidence per segment, as the forecast job."""
    import json

    from lakehouse_inv.forecast.pooling import forecast_group

    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "base" / "forecast.yml").write_text(
        "calendar: {country: null}\ndistribution: {quantile_methods: [conformal, distribution], min_pooled_days: 20}\n"
    )
    rng = np.random.default_rng(5)
    dates = pd.date_range(end=pd.Timestamp(AS_OF), periods=300)
    demand = pd.concat(
        [
            pd.DataFrame({"series_id": f"S{i}", "date": dates.date, "demand": rng.negative_binomial(1, 1 / 2.5, 300)})
            for i in range(4)
        ],
        ignore_index=True,
    ).assign(group_id="P1", demand=lambda f: f["demand"].astype(float))
    source, out_file = tmp_path / "grouped.csv", tmp_path / "out.csv"
    demand.to_csv(source, index=False)
    args = ["--input", str(source), "--output", str(out_file), "--horizon", "7", "--conf-dir", str(conf)]
    assert forecast_file_main(args) == 0
    config = file_config(conf, 7)
    expected = forecast_group(demand, config=config, key_cols=["series_id"], group_col="group_id", as_of=AS_OF)
    chosen = {json.loads(p)["quantiles"]["method"] for p in expected["model_params"]}
    assert all(json.loads(p)["quantiles"]["scores"] for p in expected["model_params"])  # chosen on pooled evidence
    result = pd.read_csv(out_file).sort_values(["series_id", "date"], ignore_index=True)
    expected = expected.sort_values(["series_id", "target_date"], ignore_index=True)
    assert len(chosen) == 1 and result["status"].eq("ok").all()
    np.testing.assert_array_equal(result[["p10", "p50", "p90"]].to_numpy(), expected[["p10", "p50", "p90"]].to_numpy())
