"""The one MERGE of every silver and gold table: counts, no-op re-sends, scoped deletes, the rounding that makes a
re-run compare published values, and the plain appends it takes when no key can match."""

from __future__ import annotations

import itertools

import pytest

from lakehouse_inv.lakehouse.writes import merge_into

_ids = itertools.count()
SCHEMA = "k string, v double"


@pytest.fixture
def table(spark):
    name = f"default.merge_{next(_ids)}"
    spark.sql(f"CREATE TABLE {name} (k STRING NOT NULL, v DOUBLE, _run_id STRING, _updated_at TIMESTAMP) USING delta")
    yield name
    spark.sql(f"DROP TABLE {name}")


def _rows(spark, table: str) -> list[tuple]:
    return sorted((r.k, r.v, r._run_id) for r in spark.table(table).collect())


@pytest.mark.parametrize("counted", [False, True])
def test_a_first_load_appends_and_counts_its_rows_read_from_history_or_given(spark, table, counted):
    df = spark.createDataFrame([("a", 1.0), ("b", 2.0)], SCHEMA)
    stats = merge_into(spark, df, table, ["k"], run_id="r1", row_count=2 if counted else None)
    assert (stats.inserted, stats.updated, stats.deleted) == (2, 0, 0)
    assert _rows(spark, table) == [("a", 1.0, "r1"), ("b", 2.0, "r1")]


def test_resent_rows_change_nothing_and_a_changed_value_rewrites_its_row_only(spark, table):
    merge_into(spark, spark.createDataFrame([("a", 1.0), ("b", 2.0)], SCHEMA), table, ["k"], run_id="r1")
    # 1.0000000001 rounds to the published 1.0: the same value, so the row keeps its run id
    again = spark.createDataFrame([("a", 1.0000000001), ("b", 3.0)], SCHEMA)
    stats = merge_into(spark, again, table, ["k"], run_id="r2")
    assert (stats.inserted, stats.updated) == (0, 1)
    assert _rows(spark, table) == [("a", 1.0, "r1"), ("b", 3.0, "r2")]


def test_a_scope_deletes_the_rows_the_source_no_longer_produces_even_when_it_is_empty(spark, table):
    merge_into(spark, spark.createDataFrame([("a", 1.0), ("b", 2.0)], SCHEMA), table, ["k"], run_id="r1")
    stats = merge_into(
        spark, spark.createDataFrame([], SCHEMA), table, ["k"], run_id="r2", scope="t.k = 'b'", row_count=0
    )
    assert stats.deleted == 1 and _rows(spark, table) == [("a", 1.0, "r1")]


def test_no_rows_and_no_scope_run_no_spark_job(spark, table):
    merge_into(spark, spark.createDataFrame([("a", 1.0)], SCHEMA), table, ["k"], run_id="r1")
    tracker, group = spark.sparkContext.statusTracker(), f"noop-{table}"
    spark.sparkContext.setJobGroup(group, "an empty write")
    try:
        stats = merge_into(spark, spark.createDataFrame([], SCHEMA), table, ["k"], run_id="r2", row_count=0)
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert stats.written == 0 and tracker.getJobIdsForGroup(group) == []
    assert _rows(spark, table) == [("a", 1.0, "r1")]


def test_rows_with_new_keys_are_appended_and_a_known_key_is_still_merged(spark, table):
    """``keys_usually_new`` (one gold.job_runs row per run and step): new keys take a plain append, and a key
    already there (the same run id retried) is updated in place, never written twice."""
    merge_into(spark, spark.createDataFrame([("a", 1.0)], SCHEMA), table, ["k"], run_id="r1")
    new = merge_into(
        spark, spark.createDataFrame([("b", 2.0)], SCHEMA), table, ["k"], run_id="r2", keys_usually_new=True
    )
    assert new.inserted == 1 and _last_operation(spark, table) == "WRITE"
    again = spark.createDataFrame([("b", 5.0)], SCHEMA)
    retried = merge_into(spark, again, table, ["k"], run_id="r3", keys_usually_new=True)
    assert (retried.inserted, retried.updated) == (0, 1) and _last_operation(spark, table) == "MERGE"
    assert _rows(spark, table) == [("a", 1.0, "r1"), ("b", 5.0, "r3")]


def test_rows_known_to_be_new_are_appended_without_a_lookup(spark, table):
    merge_into(spark, spark.createDataFrame([("a", 1.0)], SCHEMA), table, ["k"], run_id="r1")
    stats = merge_into(spark, spark.createDataFrame([("b", 2.0)], SCHEMA), table, ["k"], run_id="r2", keys_new=True)
    assert stats.inserted == 1 and _last_operation(spark, table) == "WRITE"
    assert _rows(spark, table) == [("a", 1.0, "r1"), ("b", 2.0, "r2")]


def test_a_table_created_with_its_rows_is_merged_into_not_appended_to(spark):
    """Only a table whose log holds an empty creation takes the first-load append: one created with rows in its
    first commit (``saveAsTable``) is merged into, so a key it holds is updated, not written twice."""
    name = f"default.merge_{next(_ids)}"
    spark.createDataFrame([("a", 1.0, "r0", None)], f"{SCHEMA}, _run_id string, _updated_at timestamp").write.format(
        "delta"
    ).saveAsTable(name)
    try:
        stats = merge_into(spark, spark.createDataFrame([("a", 2.0)], SCHEMA), name, ["k"], run_id="r1")
        assert (stats.inserted, stats.updated) == (0, 1)
        assert _rows(spark, name) == [("a", 2.0, "r1")]
    finally:
        spark.sql(f"DROP TABLE {name}")


def _last_operation(spark, table: str) -> str:
    return spark.sql(f"DESCRIBE HISTORY {table} LIMIT 1").first().operation


STAMPED = "k string, stamp string, part string, v double"


@pytest.fixture
def stamped(spark):
    name = f"default.merge_{next(_ids)}"
    spark.sql(
        f"CREATE TABLE {name} (k STRING NOT NULL, stamp STRING, part STRING, v DOUBLE, _run_id STRING, "
        "_updated_at TIMESTAMP) USING delta"
    )
    yield name
    spark.sql(f"DROP TABLE {name}")


def _stamped_rows(spark, table: str) -> list[tuple]:
    return sorted((r.k, r.stamp, r.part, r.v, r._run_id) for r in spark.table(table).collect())


def _history(spark, table: str) -> list[str]:
    return [r.operation for r in spark.sql(f"DESCRIBE HISTORY {table}").orderBy("version").collect()]


def test_a_renewal_replaces_its_scope_in_one_write_with_the_merges_result(spark, stamped):
    first = [("a", "d1", "x", 1.0), ("b", "d1", "x", 2.0), ("c", "d1", "y", 3.0)]
    merge_into(spark, spark.createDataFrame(first, STAMPED), stamped, ["k"], run_id="r1")
    # a new stamp for part x: a changes, b goes, d comes; part y is outside the scope and stays
    renewed = spark.createDataFrame([("a", "d2", "x", 1.0), ("d", "d2", "x", 4.0)], STAMPED)
    stats = merge_into(
        spark, renewed, stamped, ["k"], run_id="r2", scope="t.part = 'x'", renewal="t.stamp = 'd2'", row_count=2
    )
    assert stats.written == 2
    assert _stamped_rows(spark, stamped) == [
        ("a", "d2", "x", 1.0, "r2"),
        ("c", "d1", "y", 3.0, "r1"),
        ("d", "d2", "x", 4.0, "r2"),
    ]
    assert _history(spark, stamped)[-1] == "WRITE"  # one overwrite, not a MERGE


def test_a_rerun_for_the_same_stamp_merges_and_keeps_the_unchanged_rows_audit(spark, stamped):
    rows = [("a", "d1", "x", 1.0), ("b", "d1", "x", 2.0)]
    scope, renewal = "t.part = 'x'", "t.stamp = 'd1'"
    merge_into(spark, spark.createDataFrame(rows, STAMPED), stamped, ["k"], run_id="r1")
    again = spark.createDataFrame([("a", "d1", "x", 1.0), ("b", "d1", "x", 2.5)], STAMPED)
    stats = merge_into(spark, again, stamped, ["k"], run_id="r2", scope=scope, renewal=renewal)
    assert (stats.inserted, stats.updated) == (0, 1) and _history(spark, stamped)[-1] == "MERGE"
    assert _stamped_rows(spark, stamped) == [("a", "d1", "x", 1.0, "r1"), ("b", "d1", "x", 2.5, "r2")]


def test_a_replacement_refuses_rows_outside_its_scope(spark, stamped):
    merge_into(spark, spark.createDataFrame([("a", "d1", "x", 1.0)], STAMPED), stamped, ["k"], run_id="r1")
    outside = spark.createDataFrame([("a", "d2", "y", 1.0)], STAMPED)
    with pytest.raises(Exception, match=r"(?i)replaceWhere|REPLACE WHERE|does not conform|constraint"):
        merge_into(spark, outside, stamped, ["k"], run_id="r2", scope="t.part = 'x'", renewal="t.stamp = 'd2'")
    assert _stamped_rows(spark, stamped) == [("a", "d1", "x", 1.0, "r1")]


def test_unqualified_drops_the_target_alias_outside_string_literals():
    from lakehouse_inv.lakehouse.writes import unqualified

    assert unqualified("t.as_of = DATE'2025-03-03' AND t.evaluation = 'replay'") == (
        "as_of = DATE'2025-03-03' AND evaluation = 'replay'"
    )
    assert unqualified("t.`date` BETWEEN DATE'2025-01-01' AND DATE'2025-01-31'") == (
        "`date` BETWEEN DATE'2025-01-01' AND DATE'2025-01-31'"
    )
    assert unqualified("t.name = 'it''s t.x' OR at.y = 1") == "name = 'it''s t.x' OR at.y = 1"
