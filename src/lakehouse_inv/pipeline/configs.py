"""Every configuration file the jobs read, validated together before any step runs."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import Any

from lakehouse_inv.config import ConfigError, load_config

# file name (conf/base/<name>.yml) -> "module:Model"; imported lazily so a job only pays for what it uses
CONFIG_MODELS: dict[str, str] = {
    "pipeline": "lakehouse_inv.config:PipelineConfig",
    "simulator": "lakehouse_inv.config:SimulatorConfig",
    "forecast": "lakehouse_inv.forecast.config:ForecastConfig",
    "policies": "lakehouse_inv.optimize.config:PoliciesConfig",
    "evaluate": "lakehouse_inv.evaluate.config:EvaluateConfig",
    "monitoring": "lakehouse_inv.monitor.config:MonitoringConfig",
}


def _model(target: str) -> type:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def load_configs(conf_dir: Path | str | None = None, env: str | None = None) -> dict[str, Any]:
    """Load and validate all configuration files; raise one ConfigError listing every problem."""
    loaded, problems = {}, []
    for name, target in CONFIG_MODELS.items():
        try:
            loaded[name] = load_config(_model(target), name, conf_dir, env)
        except ConfigError as exc:
            problems.append(str(exc))
    if not problems:
        problems = cross_file_problems(loaded)
    if problems:
        raise ConfigError("\n".join(problems))
    return loaded


def cross_file_problems(configs: dict[str, Any]) -> list[str]:
    """Rules that involve two files."""
    problems = []
    planning, horizon = configs["policies"].planning_horizon_days, configs["forecast"].horizon
    if planning > horizon:
        problems.append(f"policies.yml: planning_horizon_days ({planning}) exceeds forecast.yml horizon ({horizon})")
    window = configs["monitoring"].drift.window_days
    if window > horizon:
        problems.append(f"monitoring.yml: drift.window_days ({window}) exceeds forecast.yml horizon ({horizon})")
    return problems


def default_as_of(configs: dict[str, Any]) -> dt.date:
    """Demo mode: the last simulated day. Production: today."""
    if configs["pipeline"].mode == "demo":
        return configs["simulator"].end_date
    return dt.date.today()
