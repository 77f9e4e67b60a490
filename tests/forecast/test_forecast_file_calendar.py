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
