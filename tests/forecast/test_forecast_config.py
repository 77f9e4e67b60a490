"""ForecastConfig: the shipped YAML is valid, bad values fail with messages naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lakehouse_inv.config import ConfigError, parse_model
from lakehouse_inv.forecast.config import ForecastConfig, load_forecast_config, quantile_column

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


def test_shipped_yaml_states_the_defaults() -> None:
    assert load_forecast_config(CONF_DIR) == ForecastConfig()


def test_unknown_key_is_rejected_with_its_name() -> None:
    with pytest.raises(ConfigError, match="horizn"):
        parse_model(ForecastConfig, {"horizn": 14}, "forecast.yml")
    with pytest.raises(ConfigError, match=r"arima\.order"):
        parse_model(ForecastConfig, {"arima": {"order": [1, 0, 1]}}, "forecast.yml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantiles": [0.9, 0.1]}, "strictly increasing"),
        ({"quantiles": [0.0, 0.5]}, "strictly between 0 and 1"),
        ({"quantiles": [0.1, 0.1000001]}, "duplicate columns"),
        ({"min_history_days": 800}, "exceeds history_days"),
        ({"selection": {"horizon_days": 28}}, "at least selection.horizon_days"),
        ({"arima": {"p": [5]}}, "0..3"),
        ({"candidates": ["arima_dow", "arima_dow"]}, "listed twice"),
        ({"candidates": ["prophet"]}, "candidates"),
        ({"horizon": 0}, "horizon"),
    ],
)
def test_invalid_values_explain_themselves(data: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ForecastConfig.model_validate(data)


def test_quantile_columns() -> None:
    assert [quantile_column(q) for q in (0.1, 0.5, 0.9, 0.975)] == ["p10", "p50", "p90", "p97_5"]


def test_order_grid_is_every_pair() -> None:
    config = ForecastConfig.model_validate({"arima": {"p": [0, 1], "q": [1, 0]}})
    assert config.arima.orders == [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"calendar": {"country": "XX"}}, r"calendar\.country[\s\S]*unknown country 'XX'"),
        ({"calendar": {"country": "US", "regions": ["ZZ"]}}, r"calendar[\s\S]*unknown regions \['ZZ'\]"),
        ({"calendar": {"events_file": "/nonexistent/events.csv"}}, r"calendar[\s\S]*events_file: .*no such file"),
        ({"distribution": {"target_coverage": 1.5}}, r"distribution\.target_coverage"),
    ],
)
def test_bad_calendar_and_calibration_are_rejected_naming_the_field(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_model(ForecastConfig, data, "forecast.yml")


def test_a_bad_event_file_names_its_line(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("date,name\n2025-03-01,Spring sale\n2025-13-01,Typo\n")
    with pytest.raises(ConfigError, match=r"events_file: .*events\.csv:3: date '2025-13-01' is not YYYY-MM-DD"):
        parse_model(ForecastConfig, {"calendar": {"events_file": str(events)}}, "forecast.yml")
    events.write_text("day,label\n2025-03-01,Spring sale\n")
    with pytest.raises(ConfigError, match="needs columns date,name"):
        parse_model(ForecastConfig, {"calendar": {"events_file": str(events)}}, "forecast.yml")


def test_country_none_turns_the_calendar_off() -> None:
    assert ForecastConfig(calendar={"country": None}).calendar.build() is None
    assert ForecastConfig(calendar={"country": "de"}).calendar.country == "DE"
    assert ForecastConfig().calendar.country == "US"
