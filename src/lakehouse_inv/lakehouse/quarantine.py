"""``silver.quarantine``: rows a contract rejected, with the reasons, the raw record and the run."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.contracts import ERRORS
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
    Without a ``record_id_column`` a hash of the record identifies it, which keeps re-runs idempotent.
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
