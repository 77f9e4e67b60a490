import datetime as dt

from lakehouse_inv.lakehouse.increments import rebuild_window

D = dt.date
T = dt.datetime
AS_OF = D(2025, 3, 31)


def _frame(spark, rows, date_column):
    return spark.createDataFrame(rows, f"{date_column} date, _updated_at timestamp")


def test_window_starts_at_the_earliest_changed_date_of_any_source(spark):
    target = spark.createDataFrame([(T(2025, 3, 30, 6),)], "_updated_at timestamp")
    sales = _frame(spark, [(D(2025, 3, 1), T(2025, 3, 1, 6)), (D(2025, 3, 20), T(2025, 3, 31, 6))], "sale_date")
    counts = _frame(spark, [(D(2025, 2, 1), T(2025, 3, 31, 7)), (D(2025, 4, 2), T(2025, 3, 31, 7))], "snapshot_date")
    untouched = _frame(spark, [(D(2025, 1, 1), T(2025, 1, 1, 6))], "request_date")
    sources = [(sales, "sale_date"), (counts, "snapshot_date"), (untouched, "request_date")]
    # a changed stock count of Feb 1 reaches furthest back; rows after the as-of and rows older than the target's
    # last write do not count
    assert rebuild_window(target, sources, as_of=AS_OF, lookback_days=3) == (D(2025, 2, 1), AS_OF)


def test_window_always_covers_the_lookback_and_is_none_without_any_data(spark):
    empty_target = spark.createDataFrame([], "_updated_at timestamp")
    nothing = _frame(spark, [], "sale_date")
    assert rebuild_window(empty_target, [(nothing, "sale_date")], as_of=AS_OF, lookback_days=3) is None
    target = spark.createDataFrame([(T(2025, 3, 30, 6),)], "_updated_at timestamp")
    old = _frame(spark, [(D(2025, 3, 1), T(2025, 3, 1, 6))], "sale_date")
    assert rebuild_window(target, [(old, "sale_date")], as_of=AS_OF, lookback_days=3) == (D(2025, 3, 28), AS_OF)
    # full refresh: every row counts, however old its last change
    assert rebuild_window(target, [(old, "sale_date")], as_of=AS_OF, lookback_days=3, full_refresh=True) == (
        D(2025, 3, 1),
        AS_OF,
    )
