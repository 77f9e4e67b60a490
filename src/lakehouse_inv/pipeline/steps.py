"""The pipeline's steps in DAG order. Each points at a ``run(ctx) -> StepResult`` imported on demand."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from lakehouse_inv.pipeline.context import JobContext, StepResult


@dataclass(frozen=True)
class Step:
    name: str
    target: str  # "module:function"
    description: str
    reads_run_records: bool = False  # reads this run's gold.job_runs rows: they are written before it starts

    def load(self) -> Callable[[JobContext], StepResult]:
        module, function = self.target.split(":")
        return getattr(importlib.import_module(module), function)


STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step("simulate", "lakehouse_inv.simulate.job:run", "simulate the store chain up to --as-of into landing/"),
        Step("ingest", "lakehouse_inv.ingest.job:run", "landing files -> bronze (incremental, lineage columns)"),
        Step("refine", "lakehouse_inv.refine.job:run", "bronze -> silver (types, dedup, contracts, quarantine)"),
        Step("gold", "lakehouse_inv.gold.job:run", "silver -> gold daily_sales, inventory_status + views"),
        Step(
            "forecast",
            "lakehouse_inv.forecast.job:run",
            "ARIMA-family forecast per store x product -> gold.demand_forecast",
        ),
        Step(
            "backtest",
            "lakehouse_inv.backtest.job:run",
            "rolling-origin accuracy vs seasonal naive -> gold.forecast_accuracy",
        ),
        Step(
            "optimize",
            "lakehouse_inv.optimize.job:run",
            "solve due policies, one Pyomo model per partition -> gold.policy_parameters",
        ),
        Step(
            "evaluate",
            "lakehouse_inv.evaluate.job:run",
            "walk-forward and replay evaluation on true demand -> gold.policy_metrics, gold.policy_recommendation",
        ),
        Step(
            "generate_orders",
            "lakehouse_inv.generate_orders.job:run",
            "apply policies to inventory positions, mark the recommended order per item -> gold.orders",
        ),
        Step(
            "monitor",
            "lakehouse_inv.monitor.job:run",
            "data quality, forecast drift, demand anomalies, alert rules -> gold.data_quality ... gold.alerts",
            reads_run_records=True,
        ),
    )
}

# Steps run only when named (not part of `--steps all`): weekly upkeep and governance on Databricks.
OPTIONAL_STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step("maintain", "lakehouse_inv.maintain.job:run", "OPTIMIZE (clustering) and VACUUM silver/gold tables"),
        Step("grants", "lakehouse_inv.grants.job:run", "apply gold/grants.sql (Unity Catalog privileges)"),
    )
}


def resolve(names: list[str] | None) -> list[Step]:
    if not names or names == ["all"]:
        return list(STEPS.values())
    known = STEPS | OPTIONAL_STEPS
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown step(s) {unknown}; choose from {list(known)}")
    return [known[n] for n in known if n in names]  # DAG order, whatever order they were given in
