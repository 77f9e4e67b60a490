"""What the ``forecast`` and ``backtest`` jobs share: the source they read and the MLflow run each logs."""

from __future__ import annotations

import pandas as pd

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.tracking import log_run
from lakehouse_inv.pipeline.context import JobContext

SOURCE = "silver.daily_demand"


def log_step_run(
    ctx: JobContext, name: str, config: ForecastConfig, metrics: dict[str, float], tables: dict[str, pd.DataFrame]
) -> str:
    """One MLflow run per step and origin (``<step>-<as_of>``), the step's configuration as its params, tagged with
    the pipeline run; returns the MLflow run id the step's message names."""
    return log_run(
        tracking_uri=ctx.pipeline.mlflow_tracking_uri,
        experiment=ctx.pipeline.mlflow_experiment,
        run_name=f"{name}-{ctx.as_of}",
        params={"as_of": ctx.as_of, "run_id": ctx.run_id, **config.model_dump(mode="json", exclude={"distribution"})},
        metrics=metrics,
        tables=tables,
        tags={"job": name, "pipeline_run_id": ctx.run_id},
    )
