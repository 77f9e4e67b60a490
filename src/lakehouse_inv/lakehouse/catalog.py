"""Table names and DDL: every table is created from its ``<layer>/<table>.sql`` file, never from code.

DDL files reference schemas as ``${bronze}``, ``${silver}``, ``${gold}``; they are replaced by the
configured (optionally catalog-qualified) schema names, so the same files serve a laptop's
``./warehouse/silver.db/...`` and a Unity Catalog ``main.inv_silver``.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from lakehouse_inv.config import SchemaNames
from lakehouse_inv.resources import layer_dir

LAYERS = ("bronze", "silver", "gold")
VIEW_PREFIX = "v_"
_REFERENCE = re.compile(r"\$\{(bronze|silver|gold)\}\.(\w+)")
_CREATE = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?\$\{(\w+)\}\.(\w+)", re.I)


@dataclass(frozen=True)
class Catalog:
    """Resolves logical ``layer.table`` names to the physical names of this deployment."""

    schemas: SchemaNames

    def name(self, layer: str, table: str) -> str:
        return f"{self.schemas.qualified(layer)}.{table}"

    def render(self, sql: str) -> str:
        for layer in LAYERS:
            sql = sql.replace("${" + layer + "}", self.schemas.qualified(layer))
        return sql

    def ensure_schemas(self, spark: SparkSession) -> None:
        for layer in LAYERS:
            spark.sql(f"CREATE SCHEMA IF NOT EXISTS {self.schemas.qualified(layer)}")

    def attach_existing(self, spark: SparkSession, *, failed_views: dict[str, str] | None = None) -> int:
        """Re-register the warehouse's Delta tables in a fresh local session.

        Local Spark keeps its catalog in memory, so a new session does not know the tables (and views) an
        earlier one created under ``<warehouse>/<schema>.db/<table>``. Unity Catalog (``schemas.catalog`` set)
        persists them itself and is left alone. ``failed_views``: see :meth:`ensure_views`.
        """
        if self.schemas.catalog:
            return 0
        warehouse = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
        self.ensure_schemas(spark)
        statements = []
        for layer in LAYERS:
            schema = self.schemas.qualified(layer)
            folder = warehouse / f"{schema}.db"
            known = {row.tableName for row in spark.sql(f"SHOW TABLES IN {schema}").collect()}
            statements += [
                f"CREATE TABLE IF NOT EXISTS {schema}.{location.parent.name} USING DELTA LOCATION '{location.parent}'"
                for location in sorted(folder.glob("*/_delta_log"))
                if location.parent.name not in known
            ]
        # each statement reads its table's Delta log: four at a time, 3.7 s instead of 6.7 s for the demo's 43
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="attach") as pool:
            list(pool.map(spark.sql, statements))
        if statements:  # views live in the session catalog too
            self.ensure_views(spark, "gold", failed=failed_views)
        return len(statements)

    def ensure_tables(self, spark: SparkSession, layer: str, tables: list[str] | None = None) -> list[str]:
        """Run the layer's table DDL (``CREATE TABLE IF NOT EXISTS``) for ``tables`` (default: all)."""
        self.ensure_schemas(spark)
        existing = {row.tableName for row in spark.sql(f"SHOW TABLES IN {self.schemas.qualified(layer)}").collect()}
        created = []
        for table in tables or table_names(layer):
            if table in existing:
                continue
            spark.sql(self.render(ddl_text(layer, table)))
            created.append(table)
        return created

    def ensure_views(
        self, spark: SparkSession, layer: str = "gold", *, failed: dict[str, str] | None = None
    ) -> list[str]:
        """(Re)create the layer's analyst views whose tables exist (the others wait for their tables).

        A view whose SQL fails raises, unless ``failed`` is given: then the error is recorded there (view -> message)
        and the other views are still created (a reader serving an older warehouse, e.g. ``serve-sql``).
        """
        created = []
        for view in sorted(p.stem for p in layer_dir(layer).glob(f"{VIEW_PREFIX}*.sql")):
            sql = ddl_text(layer, view)
            needed = {self.name(lay, table) for lay, table in _REFERENCE.findall(sql)} - {self.name(layer, view)}
            if all(spark.catalog.tableExists(name) for name in needed):
                try:
                    spark.sql(self.render(sql))
                except Exception as exc:
                    if failed is None:
                        raise
                    failed[view] = str(exc).strip().splitlines()[0]
                    continue
                created.append(view)
        return created

    def schema(self, spark: SparkSession, layer: str, table: str) -> StructType:
        return spark.table(self.name(layer, table)).schema


NOT_TABLES = {"grants"}  # gold/grants.sql: Unity Catalog privileges (lakehouse_inv.grants)


def table_names(layer: str) -> list[str]:
    """Tables (not views, not grants) declared in a layer folder, in file-name order."""
    stems = (p.stem for p in layer_dir(layer).glob("*.sql"))
    return sorted(s for s in stems if not s.startswith(VIEW_PREFIX) and s not in NOT_TABLES)


@cache
def ddl_text(layer: str, table: str) -> str:
    path: Path = layer_dir(layer) / f"{table}.sql"
    text = path.read_text()
    match = _CREATE.search(text)
    if not match or match.group(1) != layer or match.group(2) != table:
        raise ValueError(
            f"{path}: expected 'CREATE ... ${{{layer}}}.{table}', found {match.group(0) if match else None}"
        )
    return text
