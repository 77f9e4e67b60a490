"""``silver.quarantine``: rows a contract rejected, with the reasons, the raw record and the run.

A bronze row that failed only because a row it references is missing (``held``) is checked again by every
refine run (:func:`held_rows`); once valid it is written to its table and its quarantine row is marked released
(``released_run_id``, ``released_at``) rather than deleted, so the wait stays on record and the row can never be
released twice."""

from __future__ import annotations

import datetime as dt

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.contracts import ERRORS, waits_for_reference
from lakehouse_inv.lakehouse.writes import WriteStats, merge_into

QUARANTINE = "quarantine"


def quarantine_rows(
    rejected: DataFrame,
    *,
    source_table: str,
    target_table: str,
    as_of: dt.date,
    run_id: str,
    raw_column: str | None = None,
    record_id_column: str | None = "_record_id",
) -> DataFrame:
    """Shape rejected rows (with ``_errors``) as quarantine rows.

    ``raw_column`` holds the record as received (JSON); without it the row's own columns are serialised.
    Without a ``record_id_column`` a hash of the record identifies it, which keeps re-runs idempotent; such a
    derived row is never held (nothing could re-derive it from its record id).
    """
    data = [c for c in rejected.columns if c != ERRORS and not c.startswith("_")]
    record = F.col(raw_column) if raw_column else F.to_json(F.struct(*data))
    record_id = F.col(record_id_column) if record_id_column else F.sha2(record, 256)
    source_file = F.col("_source_file") if "_source_file" in rejected.columns else F.lit(None).cast("string")
    return rejected.select(
        F.lit(target_table).alias("target_table"),
        record_id.alias("record_id"),
        F.lit(source_table).alias("source_table"),
        F.col(ERRORS).alias("errors"),
        F.concat_ws("; ", F.col(ERRORS)).alias("error"),
        record.alias("record"),
        source_file.alias("source_file"),
        (waits_for_reference(F.col(ERRORS)) if record_id_column else F.lit(False)).alias("held"),
        F.lit(None).cast("string").alias("released_run_id"),
        F.lit(None).cast("timestamp").alias("released_at"),
        F.lit(as_of).alias("as_of"),
        F.lit(run_id).alias("_run_id"),
        F.current_timestamp().alias("_quarantined_at"),
    )


def write_quarantine(
    spark: SparkSession, rows: DataFrame, table: str, run_id: str, row_count: int | None = None
) -> WriteStats:
    """Insert-only on (target_table, record_id): a replayed batch never duplicates quarantine rows."""
    keys = ["target_table", "record_id"]
    return merge_into(spark, rows, table, keys, run_id=run_id, insert_only=True, row_count=row_count)


HOLD_COLUMNS = "held BOOLEAN, released_run_id STRING, released_at TIMESTAMP"


def ensure_hold_columns(spark: SparkSession, table: str) -> None:
    """Add the hold columns to a quarantine table created before they existed (older rows: never held)."""
    if "held" not in spark.table(table).columns:
        spark.sql(f"ALTER TABLE {table} ADD COLUMNS ({HOLD_COLUMNS})")


def held_rows(spark: SparkSession, table: str, target_tables: list[str]) -> DataFrame:
    """``target_table``, ``record_id``, ``errors`` (the missing references) and ``_quarantined_at`` of the rows
    for ``target_tables`` that wait for a reference."""
    return (
        spark.table(table)
        .where(F.col("target_table").isin(target_tables) & F.col("held") & F.col("released_run_id").isNull())
        .select("target_table", "record_id", "errors", "_quarantined_at")
    )


def settle_held(spark: SparkSession, table: str, target_table: str, outcome: DataFrame, run_id: str) -> None:
    """Record what a re-check found (``outcome``: ``_record_id``, ``released``, ``_errors``): a released row gets
    ``released_run_id``/``released_at``; a row that now fails another check (e.g. its order arrived with another
    product) stops being held and gets those reasons. A row still waiting is not touched, so a re-run changes
    nothing."""
    source = outcome.select(
        F.lit(target_table).alias("target_table"),
        F.col("_record_id").alias("record_id"),
        "released",
        F.col(ERRORS).alias("errors"),
        waits_for_reference(F.col(ERRORS)).alias("waiting"),
    ).where(F.col("released") | ~F.col("waiting"))
    (
        DeltaTable.forName(spark, table)
        .alias("t")
        .merge(source.alias("s"), "t.target_table = s.target_table AND t.record_id = s.record_id")
        .whenMatchedUpdate(
            condition="s.released",
            set={"released_run_id": F.lit(run_id), "released_at": F.current_timestamp(), "held": F.lit(False)},
        )
        .whenMatchedUpdate(
            set={"errors": F.col("s.errors"), "error": F.concat_ws("; ", F.col("s.errors")), "held": F.lit(False)}
        )
        .execute()
    )
