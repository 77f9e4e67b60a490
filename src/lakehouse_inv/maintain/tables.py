"""What the ``maintain`` step does to one table: add the clustering its DDL declares, OPTIMIZE, then VACUUM.

OPTIMIZE compacts small files (the daily MERGEs leave many) and, on tables whose DDL declares
``CLUSTER BY``, clusters them; a table created before its DDL declared clustering gets it first
(``ALTER TABLE ... CLUSTER BY``). VACUUM then removes files no version within the retention needs; the
retention is never below Delta's safe 168 hours (enforced by :class:`MaintenanceConfig`). Neither changes a
table's content.
"""

from __future__ import annotations

import re

from pyspark.sql import SparkSession

from lakehouse_inv.lakehouse.catalog import ddl_text, table_names
from lakehouse_inv.monitor.config import MaintenanceConfig

_CLUSTER_BY = re.compile(r"^\s*CLUSTER\s+BY\s*\(([^)]*)\)", re.I | re.M)
LAYERS = ("silver", "gold")


def clustering_columns(layer: str, table: str) -> list[str]:
    """The ``CLUSTER BY`` columns of a table's DDL file (empty when it declares none)."""
    match = _CLUSTER_BY.search(ddl_text(layer, table))
    return [c.strip().strip("`") for c in match.group(1).split(",")] if match else []


def maintained_tables(config: MaintenanceConfig) -> list[tuple[str, str]]:
    if config.tables:
        return [tuple(t.split(".", 1)) for t in config.tables]  # type: ignore[misc]
    return [(layer, table) for layer in LAYERS for table in table_names(layer)]


def maintain_table(spark: SparkSession, name: str, clustering: list[str], retention_hours: int) -> tuple[int, int]:
    """OPTIMIZE and VACUUM one table; (files before, files after)."""
    detail = spark.sql(f"DESCRIBE DETAIL {name}").first()
    if clustering and list(detail["clusteringColumns"] or []) != clustering:
        spark.sql(f"ALTER TABLE {name} CLUSTER BY ({', '.join(clustering)})")
    spark.sql(f"OPTIMIZE {name}")
    spark.sql(f"VACUUM {name} RETAIN {retention_hours} HOURS")
    return int(detail["numFiles"]), int(spark.sql(f"DESCRIBE DETAIL {name}").first()["numFiles"])
