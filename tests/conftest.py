"""One Spark + Delta session for the whole test session: local[2], few partitions, UI off, tmp warehouse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyspark.sql import SparkSession

from lakehouse_inv.spark import build_spark


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    warehouse = tmp_path_factory.mktemp("warehouse")
    session = build_spark(
        "lakehouse_inv-tests",
        master="local[2]",
        warehouse_dir=warehouse,
        conf={"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2", "spark.driver.memory": "2g"},
    )
    yield session
    session.stop()
