"""One Spark + Delta session for the whole test session (local[1], one shuffle partition, UI off, tmp warehouse),
and a factory for job contexts that keep each test's tables in their own schemas.

``make test`` runs the suite on two pytest-xdist workers, whole files per worker (``--dist loadfile``): one Spark
session per worker. The Delta jars are resolved once, before the workers start, so two JVMs never race on the Ivy
cache of a fresh machine."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse_inv.config import PipelineConfig, SchemaNames, SimulatorConfig
from lakehouse_inv.pipeline.configs import load_configs
from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.spark import build_spark, delta_jars
from spark_settings import TEST_MASTER, TEST_SPARK_CONF

_schema_ids = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist): resolve the jars once
        delta_jars()


PROJECT_CONF = Path(__file__).resolve().parents[1] / "conf"
TESTS = Path(__file__).resolve().parent

# The modules that build a whole simulated world, costliest first (seconds of one worker in a full run, 2 cores): they
# start first so that the two xdist workers finish together (longest processing time first). xdist's default order,
# most tests first, started the end-to-end module, a third of the suite's work, after 205 s of small modules, and one
# worker then idled for the last 40 s. ``make test`` turns that order off (``--no-loadscope-reorder``); the other
# modules follow in their collection order.
RUN_FIRST = (
    "pipeline/test_end_to_end.py",  # the DAG and its re-run in a second process: ~300 s
    "ingest/test_ingest_kill.py",  # two killed pipeline processes and the recovery: ~140 s
    "refine/test_hostile_landing.py",  # two daily runs and a full refresh: ~95 s
    "evaluate/test_walk_forward.py",  # 63 days, two evaluations (the second extends the first) and a from-scratch one
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [m for m in RUN_FIRST if not (TESTS / m).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py RUN_FIRST names modules that do not exist: {missing}")
    rank = {str(TESTS / m): i for i, m in enumerate(RUN_FIRST)}
    items.sort(key=lambda item: rank.get(str(item.path), len(RUN_FIRST)))  # stable: the rest keep their order


TINY_WORLD = {"n_stores": 2, "n_brands": 4, "n_departments": 2, "n_suppliers": 2, "n_storage_spaces": 2, "days": 14}


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    warehouse = tmp_path_factory.mktemp("warehouse")
    session = build_spark(
        "lakehouse_inv-tests",
        master=TEST_MASTER,
        warehouse_dir=warehouse,
        conf=TEST_SPARK_CONF,
    )
    yield session
    session.stop()


ContextFactory = Callable[..., JobContext]


@pytest.fixture(scope="session")
def make_context(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> ContextFactory:
    """Build a JobContext on the shared session with its own schemas, landing and checkpoint folders."""

    def factory(as_of: dt.date | None = None, run_id: str | None = None, **simulator: object) -> JobContext:
        prefix = f"t{next(_schema_ids)}"
        root = tmp_path_factory.mktemp(prefix)
        sim = SimulatorConfig(**{**TINY_WORLD, **simulator})
        pipeline = PipelineConfig(
            landing_dir=str(root / "landing"),
            checkpoint_dir=str(root / "checkpoints"),
            schemas=SchemaNames(bronze=f"{prefix}_bronze", silver=f"{prefix}_silver", gold=f"{prefix}_gold"),
            mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        )
        return JobContext(
            configs={**load_configs(PROJECT_CONF), "pipeline": pipeline, "simulator": sim},
            conf_dir=Path("conf"),
            as_of=as_of or sim.end_date,
            run_id=run_id or f"test-{prefix}",
            spark_session=spark,
        )

    return factory
