"""Exact sums do not depend on how rows are grouped or ordered, in one stage or two."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.numeric import EXACT_LIMIT, exact_parts, exact_subtotal, exact_sum, exact_total


def _values(seed: int, n: int = 2000) -> list[float]:
    rng = np.random.default_rng(seed)
    # magnitudes far apart, where a double sum depends on the order of its terms
    return [float(v) for v in rng.choice([1e-6, 1.0, 1e9], n) * rng.normal(size=n)]


@pytest.mark.parametrize("special", [None, float("nan"), 2 * EXACT_LIMIT])
@pytest.mark.parametrize("stages", [2, 3])
def test_staged_exact_sum_equals_the_one_stage_sum(spark, special, stages):
    values = _values(5)
    rows = [("g1" if i % 3 else "g2", i % 7, v) for i, v in enumerate(values)]
    rows += [("g3", 0, None), ("g3", 1, None)]  # a group without a value sums to null
    if special is not None:
        rows.append(("g2", 3, special))
    frame = spark.createDataFrame(rows, "g string, part int, v double")
    one = {r.g: r.v for r in frame.groupBy("g").agg(exact_sum("v").alias("v")).collect()}
    for partitions in (1, 4):
        parts = frame.repartition(partitions, "part").groupBy("g", "part").agg(*exact_parts("v", "v"))
        if stages == 3:  # the parts of groups of groups
            parts = parts.groupBy("g", (F.col("part") % 2).alias("half")).agg(*exact_subtotal("v"))
        two = {r.g: r.v for r in parts.groupBy("g").agg(exact_total("v").alias("v")).collect()}
        assert one.keys() == two.keys() and two["g3"] is None
        assert two["g1"] == one["g1"]  # exact: the same double, not only close
        if special is None:
            assert two["g2"] == one["g2"]
        elif math.isnan(special):
            assert math.isnan(two["g2"]) and math.isnan(one["g2"])
        else:
            assert two["g2"] == pytest.approx(one["g2"]) and two["g2"] >= EXACT_LIMIT


def test_exact_total_of_many_groups_is_independent_of_their_order(spark):
    values = _values(11)
    frame = spark.createDataFrame([(i % 50, v) for i, v in enumerate(values)], "part int, v double")
    parts = frame.groupBy("part").agg(*exact_parts("v", "v"))
    totals = {parts.orderBy(order).coalesce(1).agg(exact_total("v")).first()[0] for order in ("part", F.desc("part"))}
    assert len(totals) == 1
