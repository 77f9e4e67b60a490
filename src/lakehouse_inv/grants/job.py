"""``grants`` step: apply ``gold/grants.sql`` (Unity Catalog privileges) with this deployment's catalog, schemas
and groups (:mod:`.statements`). Spark's local catalog has no privileges, so locally the statements are rendered
and not run."""

from __future__ import annotations

from collections.abc import Sequence

from lakehouse_inv.grants.statements import grant_statements
from lakehouse_inv.monitor.config import GovernanceConfig
from lakehouse_inv.pipeline.context import JobContext, StepResult


def run(ctx: JobContext) -> StepResult:
    groups: GovernanceConfig = ctx.configs["monitoring"].governance
    schemas = ctx.pipeline.schemas
    statements = grant_statements(schemas, groups)
    result = StepResult()
    if not schemas.catalog:
        result.message = f"{len(statements)} grants rendered, not applied: the local catalog has no privileges"
        return result
    for statement in statements:
        ctx.spark.sql(statement)
    result.message = f"{len(statements)} grants applied to {groups.engineers_group} and {groups.analysts_group}"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["grants"], argv, prog="lakehouse-inv-grants")
