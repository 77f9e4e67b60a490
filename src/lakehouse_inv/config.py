"""Runtime configuration: ``conf/base/*.yml`` validated with pydantic before anything runs.

Each YAML file maps to one model. An environment overlay (``conf/<env>/*.yml``) is deep-merged over
``conf/base``. Any problem raises :class:`ConfigError` naming the file and the field, so a bad config
is rejected before a single table is written.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from croniter import croniter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lakehouse_inv.resources import default_conf_dir


class ConfigError(ValueError):
    """A configuration file is missing, unreadable or invalid; the message names file and field."""


def duplicates(values: Iterable[str]) -> list[str]:
    """The values that occur more than once, sorted (for "duplicate id" configuration errors)."""
    counts = Counter(values)
    return sorted(v for v, n in counts.items() if n > 1)


def _valid_cron(expression: str) -> str:
    if not croniter.is_valid(expression):
        raise ValueError(f"not a valid cron expression: {expression!r} (e.g. '0 2 * * 1' = Mondays 02:00)")
    return expression


Cron = Annotated[str, AfterValidator(_valid_cron)]
"""A cron schedule (minute hour day month weekday) of a step that need not run every day; it runs on the days the
expression has a firing time (:func:`fires_on`)."""


def fires_on(schedule: str, day: dt.date) -> bool:
    """True when the cron ``schedule`` has a firing time on ``day``."""
    return next_firing(schedule, day) == day


def next_firing(schedule: str, day: dt.date) -> dt.date:
    """The first day on or after ``day`` on which the cron ``schedule`` fires."""
    start = dt.datetime.combine(day, dt.time.min) - dt.timedelta(seconds=1)
    return croniter(schedule, start).get_next(dt.datetime).date()


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchemaNames(StrictModel):
    """Where each layer lives: ``<catalog>.<schema>`` on Unity Catalog, a plain schema locally."""

    catalog: str | None = None
    bronze: str = "bronze"
    silver: str = "silver"
    gold: str = "gold"

    def qualified(self, layer: str) -> str:
        schema = getattr(self, layer)
        return f"{self.catalog}.{schema}" if self.catalog else schema


class PipelineConfig(StrictModel):
    """Paths and engine settings shared by every job (``conf/base/pipeline.yml``)."""

    mode: str = Field("demo", pattern="^(demo|production)$")
    landing_dir: str = "landing"
    warehouse_dir: str = "warehouse"
    checkpoint_dir: str = "checkpoints"
    schemas: SchemaNames = SchemaNames()
    spark_master: str = "local[*]"
    spark_conf: dict[str, str] = Field(default_factory=dict)
    mlflow_tracking_uri: str = "sqlite:///mlruns.db"
    mlflow_experiment: str = "lakehouse_inv"
    daily_demand_lookback_days: int = Field(7, ge=0)
    timezone: str = "UTC"  # the chain's time zone: a store without its own (stores.timezone) keeps business days in it

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin")
        return value


class SimulatorConfig(StrictModel):
    """Size and behaviour of the simulated retailer (``conf/base/simulator.yml``)."""

    seed: int = 42
    start_date: dt.date = dt.date(2025, 1, 1)
    days: int = Field(365, ge=1)
    n_stores: int = Field(6, ge=1)
    n_departments: int = Field(4, ge=1)
    n_brands: int = Field(20, ge=1)
    products_per_brand: int = Field(1, ge=1)
    n_suppliers: int = Field(5, ge=1)
    n_storage_spaces: int = Field(4, ge=1)
    perishable_share: float = Field(0.3, ge=0, le=1)
    backup_supplier_share: float = Field(0.2, ge=0, le=1)
    open_hour: int = Field(7, ge=0, le=23)
    close_hour: int = Field(21, ge=1, le=24)
    promo_week_share: float = Field(0.06, ge=0, le=1)
    late_delivery_share: float = Field(0.1, ge=0, le=1)
    short_shipment_share: float = Field(0.03, ge=0, le=1)
    dirty_row_share: float = Field(0.0002, ge=0, le=0.5)
    # A harder world (both off by default, so the demo's data stay as they were):
    holiday_country: str | None = Field(None, description="US retail holiday effects on demand (closed Christmas...)")
    sparse_item_share: float = Field(0.0, ge=0, le=1, description="share of store-products selling 3-15% as much")

    @field_validator("holiday_country")
    @classmethod
    def _known_country(cls, country: str | None) -> str | None:
        if country is None:
            return None
        import holidays

        if country.strip().upper() not in holidays.list_supported_countries():
            raise ValueError(f"unknown country {country!r}: expected an ISO 3166 code such as US")
        return country.strip().upper()

    @model_validator(mode="after")
    def _hours(self) -> SimulatorConfig:
        if self.close_hour <= self.open_hour:
            raise ValueError(f"close_hour ({self.close_hour}) must be after open_hour ({self.open_hour})")
        return self

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days - 1)

    @property
    def n_products(self) -> int:
        return self.n_brands * self.products_per_brand


ModelT = TypeVar("ModelT", bound=BaseModel)


def _deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML file; ``${VAR}`` in it is replaced from the environment (e.g. the catalog a Databricks job
    cluster sets), and an unset variable is an error rather than an empty string."""
    text = path.read_text()
    missing = sorted({name for name in re.findall(r"\$\{(\w+)\}", text) if name not in os.environ})
    if missing:
        raise ConfigError(f"{path}: environment variable(s) {', '.join(missing)} not set")
    try:
        data = yaml.safe_load(os.path.expandvars(text)) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_raw(name: str, conf_dir: Path | str | None = None, env: str | None = None) -> dict[str, Any]:
    """Read ``<conf_dir>/base/<name>.yml`` deep-merged with ``<conf_dir>/<env>/<name>.yml`` for each overlay in
    ``env`` (comma-separated, applied in order; default ``$LAKEHOUSE_INV_ENV``)."""
    root = Path(conf_dir) if conf_dir is not None else default_conf_dir()
    base = root / "base" / f"{name}.yml"
    data = _read_yaml(base) if base.exists() else {}
    env = env or os.environ.get("LAKEHOUSE_INV_ENV")
    for overlay_env in filter(None, (e.strip() for e in (env or "").split(","))):
        overlay = root / overlay_env / f"{name}.yml"
        if overlay.exists():
            data = _deep_merge(data, _read_yaml(overlay))
    return data


def describe_validation_error(source: str, exc: ValidationError, what: str = "configuration") -> str:
    lines = [f"{source}: invalid {what}"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = err.get("input")
        suffix = f" (got {got!r})" if got is not None and not isinstance(got, dict | list) else ""
        lines.append(f"  - {where}: {err['msg']}{suffix}")
    return "\n".join(lines)


def parse_model(model: type[ModelT], data: dict[str, Any], source: str) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(source, exc)) from exc


def load_config(model: type[ModelT], name: str, conf_dir: Path | str | None = None, env: str | None = None) -> ModelT:
    return parse_model(model, load_raw(name, conf_dir, env), f"{name}.yml")
