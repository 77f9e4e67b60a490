"""MLflow tracking of forecast and backtest runs: params, aggregate metrics and a small summary artifact.

Locally the store is ``sqlite:///mlruns.db`` (no server needed); on Databricks the pipeline config sets
``mlflow_tracking_uri: databricks``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd


def log_run(
    *,
    tracking_uri: str,
    experiment: str,
    run_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tables: Mapping[str, pd.DataFrame],
    tags: Mapping[str, str] | None = None,
) -> str:
    """Log one run and return its MLflow run id. ``tables`` are saved as CSV artifacts."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name, tags=dict(tags or {})) as run:
        mlflow.log_params({k: _param(v) for k, v in params.items()})
        mlflow.log_metrics({_metric_name(k): float(v) for k, v in metrics.items() if pd.notna(v)})
        for name, table in tables.items():
            mlflow.log_text(table.to_csv(index=False), f"{name}.csv")
        return run.info.run_id


def _metric_name(name: str) -> str:
    """MLflow accepts alphanumerics, ``_ - . : /`` and spaces; model names like ``arima(1,0,1)+dow`` need mapping."""
    return re.sub(r"[^A-Za-z0-9_\-.:/ ]", "_", name)


def _param(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:500]  # MLflow rejects long parameter values
