"""The Spark session that serves SQL over the local warehouse: configuration, tables and views attached."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

from lakehouse_inv.config import PipelineConfig, load_config
from lakehouse_inv.lakehouse.catalog import LAYERS, Catalog
from lakehouse_inv.spark import build_spark, delta_jars, on_databricks


class ServeError(RuntimeError):
    """The SQL endpoint cannot start or run a statement; the message says why."""


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--conf-dir", type=Path, help="configuration folder holding base/ (default: ./conf)")
    parser.add_argument("--env", help="configuration overlay folder under --conf-dir")
    parser.add_argument(
        "--allow-writes", action="store_true", help="accept INSERT/MERGE/DDL too (default: read-only, they are refused)"
    )


def load_pipeline(args: argparse.Namespace) -> PipelineConfig:
    return load_config(PipelineConfig, "pipeline", args.conf_dir, args.env)


@dataclass(frozen=True)
class Warehouse:
    """What a serving session sees: the warehouse folder and the tables and views of each layer."""

    path: Path
    objects: dict[str, list[str]]  # schema -> tables and views
    failed_views: dict[str, str]  # view -> why it could not be created (e.g. a warehouse older than the view)
    seconds: dict[str, float]  # start-up phases: spark (session), attach (tables and views)

    @property
    def count(self) -> int:
        return sum(len(names) for names in self.objects.values())

    def describe(self) -> str:
        if not self.count:
            return f"no tables under {self.path} yet (run `make demo` or `lakehouse-inv run` first)"
        text = ", ".join(f"{schema} ({len(names)})" for schema, names in self.objects.items())
        for view, error in sorted(self.failed_views.items()):
            text += f"\n  view {view} not created: {error}"
        return text


def serving_session(
    pipeline: PipelineConfig,
    app_name: str,
    *,
    conf: dict[str, str] | None = None,
    driver_class_path: bool = False,
    extra_class_path: list[str] | None = None,
) -> tuple[SparkSession, Warehouse]:
    """A local session over ``pipeline.warehouse_dir`` with every Delta table and analyst view registered.

    ``driver_class_path`` also puts Delta's jars on the driver's class path: the Thrift server runs each JDBC
    session on its own threads, whose class loader does not see ``spark.jars``, so without it every connection
    fails with ``ClassNotFoundException: ...DeltaCatalog``. ``extra_class_path``: more driver class path entries
    (the guard's compiled classes).
    """
    if on_databricks():
        raise ServeError("on Databricks, query the tables through a SQL warehouse; this serves the local warehouse")
    settings = dict(pipeline.spark_conf)
    entries = [*(delta_jars() if driver_class_path else []), *(extra_class_path or [])]
    if entries:
        extra = settings.get("spark.driver.extraClassPath")
        settings["spark.driver.extraClassPath"] = os.pathsep.join([*entries, *([extra] if extra else [])])
    settings.update(conf or {})
    started = time.perf_counter()
    spark = build_spark(app_name, master=pipeline.spark_master, warehouse_dir=pipeline.warehouse_dir, conf=settings)
    seconds = {"spark": time.perf_counter() - started}
    failed_views: dict[str, str] = {}
    Catalog(pipeline.schemas).attach_existing(spark, failed_views=failed_views)  # tables, then the analyst views
    objects = {}
    for layer in LAYERS:
        schema = pipeline.schemas.qualified(layer)
        objects[schema] = sorted(row.tableName for row in spark.sql(f"SHOW TABLES IN {schema}").collect())
    seconds["attach"] = time.perf_counter() - started - seconds["spark"]
    return spark, Warehouse(Path(pipeline.warehouse_dir).absolute(), objects, failed_views, seconds)
