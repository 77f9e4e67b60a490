"""``grants`` step: apply ``gold/grants.sql`` (Unity Catalog privileges) with this deployment's catalog, schemas
and groups. Spark's local catalog has no privileges, so locally the statements are rendered and not run."""

from __future__ import annotations

from collections.abc import Sequence

from lakehouse_inv.config import SchemaNames
from lakehouse_inv.lakehouse.catalog import LAYERS
from lakehouse_inv.monitor.config import GovernanceConfig
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.resources import layer_dir

GRANTS_FILE = "grants.sql"


def grant_statements(schemas: SchemaNames, groups: GovernanceConfig, catalog: str | None = None) -> list[str]:
    """The statements of ``gold/grants.sql`` with ``${catalog}``, ``${bronze|silver|gold}`` (qualified
    schemas), ``${engineers}`` and ``${analysts}`` filled in; comments dropped."""
    text = "\n".join(
        line
        for line in (layer_dir("gold") / GRANTS_FILE).read_text().splitlines()
        if not line.lstrip().startswith("--")
    )
    values = {"catalog": catalog or schemas.catalog or "spark_catalog", "engineers": groups.engineers_group}
    values |= {"analysts": groups.analysts_group} | {layer: schemas.qualified(layer) for layer in LAYERS}
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return [" ".join(s.split()) for s in text.split(";") if s.strip()]


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
