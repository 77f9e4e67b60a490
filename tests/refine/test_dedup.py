"""Which of several rows with the same key reaches silver: decided by ingestion, file and line, never by the
random ``_record_id``; a row that fails a check never beats one that passes."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.contracts import ERRORS, mark_duplicates, split_valid
from lakehouse_inv.refine.conform import LINE, RAW
from lakehouse_inv.refine.job import describe_record, newest_first

T0 = dt.datetime(2025, 1, 2, 6, 0)
COLUMNS = f"key string, units int, {RAW} string, _source_file string, _ingested_at timestamp, _record_id string"


def _winner(spark, rows, columns=COLUMNS):
    df = spark.createDataFrame(rows, columns).withColumn(ERRORS, F.array().cast("array<string>"))
    marked = mark_duplicates(df, ["key"], newest_first(df.columns), describe_record(df.columns))
    valid, rejected = split_valid(marked)
    return [r.units for r in valid.collect()], [r[ERRORS] for r in rejected.collect()]


def test_the_winner_does_not_depend_on_the_random_record_id(spark):
    f = "file:/landing/sales/sales_2025-01-01.csv"
    a, b = ('{"units":"2"}', f, T0), ('{"units":"3"}', f, T0)
    first = _winner(spark, [("K", 2, *a, "r-aaa"), ("K", 3, *b, "r-zzz")])
    second = _winner(spark, [("K", 2, *a, "r-zzz"), ("K", 3, *b, "r-aaa")])
    assert first[0] == second[0] == [3]
    assert first[1] == [["[unique] duplicate of key key=K; kept the row of sales_2025-01-01.csv"]]


def test_newer_ingestion_then_later_file_then_later_line_wins(spark):
    columns = f"{COLUMNS}, {LINE} int"
    old, new = "file:/l/sales_2025-01-01.csv", "file:/l/sales_2025-01-02.csv"
    later = T0 + dt.timedelta(days=1)
    assert _winner(spark, [("K", 1, "z", new, T0, "r1", 9), ("K", 2, "a", old, later, "r2", 2)], columns)[0] == [2]
    assert _winner(spark, [("K", 1, "z", old, T0, "r1", 9), ("K", 2, "a", new, T0, "r2", 2)], columns)[0] == [2]
    units, errors = _winner(spark, [("K", 1, "z", old, T0, "r1", 3), ("K", 2, "a", old, T0, "r2", 4)], columns)
    assert units == [2]
    assert errors == [["[unique] duplicate of key key=K; kept the row of sales_2025-01-01.csv line 4"]]


def test_a_row_failing_a_check_never_beats_a_passing_one(spark):
    df = spark.createDataFrame(
        [("K", 1, "a", "f", T0, "r1", []), ("K", 2, "z", "f", T0, "r2", ["[finite] price=NaN is not a finite number"])],
        f"{COLUMNS}, {ERRORS} array<string>",
    )
    valid, rejected = split_valid(mark_duplicates(df, ["key"], newest_first(df.columns), describe_record(df.columns)))
    assert [r.units for r in valid.collect()] == [1]
    assert [r[ERRORS] for r in rejected.collect()] == [["[finite] price=NaN is not a finite number"]]
