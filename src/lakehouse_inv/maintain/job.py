"""``maintain`` step (weekly on Databricks, on demand locally): OPTIMIZE then VACUUM the lakehouse's tables
(:mod:`.tables`); neither changes a table's content."""

from __future__ import annotations

from collections.abc import Sequence

from lakehouse_inv.maintain.tables import clustering_columns, maintain_table, maintained_tables
from lakehouse_inv.monitor.config import MaintenanceConfig
from lakehouse_inv.pipeline.context import JobContext, StepResult


def run(ctx: JobContext) -> StepResult:
    config: MaintenanceConfig = ctx.configs["monitoring"].maintenance
    result = StepResult()
    before = after = done = 0
    for layer, table in maintained_tables(config):
        name = ctx.table(layer, table)
        if not ctx.spark.catalog.tableExists(name):
            continue
        files = maintain_table(ctx.spark, name, clustering_columns(layer, table), config.vacuum_retention_hours)
        before, after, done = before + files[0], after + files[1], done + 1
    result.message = (
        f"{done} tables optimized and vacuumed (retain {config.vacuum_retention_hours} h): "
        f"{before:,} -> {after:,} data files"
    )
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["maintain"], argv, prog="lakehouse-inv-maintain")
