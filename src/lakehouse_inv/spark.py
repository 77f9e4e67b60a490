"""Spark session construction: local Spark + Delta on a laptop, the ambient session on Databricks.

No module-level session: jobs call :func:`build_spark` once in ``main()`` and pass the session down.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pyspark.sql import SparkSession

DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}

# Settings that make a 2-core laptop pleasant: few shuffle partitions, no UI, Arrow on, quiet progress.
LOCAL_DEFAULTS = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "6g",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.databricks.delta.schema.autoMerge.enabled": "false",
    "spark.sql.sources.partitionOverwriteMode": "static",
    # Delta's VACUUM lists the table in this many tasks (Spark's default: 10,000): 47 s for a 3-file table on
    # two cores, 3 s with 4
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "4",
    # plan strings are for logs and the SQL tab: cap them so a deep plan never fills the driver's heap printing
    "spark.sql.maxPlanStringLength": "200000",
    # refine runs independent tables at once; at 100,000 store-products the fact tables keep both cores busy for
    # minutes, and a foreign-key check's broadcast queued behind their tasks failed the step at the 300-s default
    # though nothing hung
    "spark.sql.broadcastTimeout": "3600",
}


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def build_spark(
    app_name: str = "lakehouse_inv",
    *,
    master: str = "local[*]",
    warehouse_dir: str | Path = "warehouse",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """Return a Spark session with Delta enabled.

    On Databricks the cluster's session is returned unchanged (Delta is built in). Locally a ``local[*]``
    session is started with the Delta jars either from ``LAKEHOUSE_INV_JARS`` / ``./.jars`` (filled by
    ``make jars`` when Ivy cannot resolve them) or resolved from Maven by ``configure_spark_with_delta_pip``.
    """
    if on_databricks():
        return SparkSession.builder.getOrCreate()

    # Executors must run the same interpreter (and venv) as the driver, or pandas UDFs miss pyarrow.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

    builder = SparkSession.builder.master(master).appName(app_name)
    settings = {**LOCAL_DEFAULTS, **DELTA_CONF, "spark.sql.warehouse.dir": str(Path(warehouse_dir).absolute())}
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)

    jars = _local_delta_jars()
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    else:
        from delta import configure_spark_with_delta_pip

        builder = configure_spark_with_delta_pip(builder)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def delta_jars() -> list[str]:
    """The Delta jars on disk that :func:`build_spark` puts on ``spark.jars``, resolving them first if needed.

    The SQL endpoint also needs them on the driver's class path (``spark.driver.extraClassPath``), which is read
    when the JVM starts, so they must exist before the session: on a fresh machine a short throw-away session
    resolves them from Maven into the Ivy cache.
    """
    jars = _local_delta_jars()
    if not jars:
        import subprocess

        resolve = "from lakehouse_inv.spark import build_spark as b; b('lakehouse_inv-jars', master='local[1]').stop()"
        subprocess.run([sys.executable, "-c", resolve], check=True)
        jars = _local_delta_jars()
    if not jars:
        raise RuntimeError("Delta jars not found after resolving them; put them in ./.jars or $LAKEHOUSE_INV_JARS")
    return jars


def _local_delta_jars() -> list[str]:
    """Delta jars already on disk: ``$LAKEHOUSE_INV_JARS`` / ``./.jars``, else the Ivy cache of an earlier run.

    Reusing Ivy's resolved jars skips a dependency resolution (and its console noise) on every start;
    the first run on a fresh machine resolves them from Maven through ``configure_spark_with_delta_pip``.
    """
    folder = os.environ.get("LAKEHOUSE_INV_JARS", ".jars")
    jars = sorted(glob.glob(os.path.join(folder, "*.jar")))
    if jars:
        return jars
    delta = metadata.version("delta-spark")
    ivy = Path.home() / ".ivy2.5.2" / "jars"
    wanted = [ivy / f"io.delta_delta-spark_2.13-{delta}.jar", ivy / f"io.delta_delta-storage-{delta}.jar"]
    antlr = sorted(ivy.glob("org.antlr_antlr4-runtime-*.jar"))
    if all(p.is_file() for p in wanted) and antlr:
        return [str(p) for p in [*wanted, antlr[-1]]]
    return []


@dataclass
class SparkWork:
    """Spark jobs run and rows read from data files while a :func:`spark_work` block ran (every thread of the
    session). Counts, unlike seconds, do not depend on what else the machine runs: the benchmarks and the tests
    compare them."""

    jobs: int = 0
    rows_read: int = 0


@contextmanager
def spark_work(spark: SparkSession) -> Iterator[SparkWork]:
    """Count the work of the block: jobs from the scheduler's job counter (exact), rows read as the input records
    of the block's stages from Spark's status store (``spark.ui.retainedStages`` bounds how many it keeps)."""
    context = spark.sparkContext._jsc.sc()
    scheduler = context.dagScheduler()
    first_job, first_stage = scheduler.nextJobId(), scheduler.nextStageId()  # AtomicIntegers, read as ints by py4j
    work = SparkWork()
    try:
        yield work
    finally:
        context.listenerBus().waitUntilEmpty()  # the status store is fed by the listener bus, asynchronously
        work.jobs = scheduler.nextJobId() - first_job
        jvm = spark.sparkContext._jvm
        stages = (
            context.statusStore().store().view(jvm.java.lang.Class.forName("org.apache.spark.status.StageDataWrapper"))
        )
        rows = 0
        kept = stages.iterator()  # the stages the status store keeps (their StageData)
        while kept.hasNext():
            info = kept.next().info()
            if info.stageId() >= first_stage:
                rows += info.inputRecords()
        work.rows_read = rows
