"""The statements of ``gold/grants.sql`` (Unity Catalog privileges) rendered for this deployment's catalog, schemas
and groups."""

from __future__ import annotations

from lakehouse_inv.config import SchemaNames
from lakehouse_inv.lakehouse.catalog import LAYERS
from lakehouse_inv.monitor.config import GovernanceConfig
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
