"""Write rows that carry contract results (``_errors``): valid rows MERGE, the rest go to quarantine."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.catalog import Catalog
from lakehouse_inv.lakehouse.contracts import ERRORS, evaluate_checks, load_contract, split_valid
from lakehouse_inv.lakehouse.quarantine import QUARANTINE, quarantine_rows, write_quarantine
from lakehouse_inv.lakehouse.writes import merge_into


@dataclass(frozen=True)
class CheckedWrite:
    rows_in: int
    written: int
    quarantined: int


def write_checked(
    spark: SparkSession,
    checked: DataFrame,
    *,
    table: str,
    keys: list[str],
    quarantine_table: str,
    source_label: str,
    target_label: str,
    as_of: dt.date,
    run_id: str,
    scope: str | None = None,
    raw_column: str | None = None,
    record_id_column: str | None = None,
    quarantine_lock: threading.Lock | None = None,
    volatile: Sequence[str] = (),
    renewal: str | None = None,
) -> CheckedWrite:
    """Materialise ``checked`` once, MERGE its valid rows into ``table`` and quarantine the others.

    ``quarantine_lock`` serialises commits to the shared quarantine table when several streaming
    queries write at the same time. ``renewal``: see :func:`~lakehouse_inv.lakehouse.writes.merge_into`.
    """
    checked = checked.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        sizes = dict(checked.groupBy(F.size(ERRORS) > 0).count().collect())
        valid, rejected = split_valid(checked)
        written = merge_into(
            spark,
            valid,
            table,
            keys,
            run_id=run_id,
            scope=scope,
            volatile=volatile,
            row_count=sizes.get(False, 0),
            renewal=renewal,
        )
        quarantined = 0
        if sizes.get(True, 0):
            rows = quarantine_rows(
                rejected,
                source_table=source_label,
                target_table=target_label,
                as_of=as_of,
                run_id=run_id,
                raw_column=raw_column,
                record_id_column=record_id_column,
            )
            with quarantine_lock or contextlib.nullcontext():
                quarantined = write_quarantine(spark, rows, quarantine_table, run_id, row_count=sizes[True]).inserted
        return CheckedWrite(sum(sizes.values()), written.written, quarantined)
    finally:
        checked.unpersist()


def check_and_write(
    spark: SparkSession,
    catalog: Catalog,
    layer: str,
    table: str,
    rows: DataFrame,
    *,
    as_of: dt.date,
    run_id: str,
    scope: str | None,
    source: str,
    quarantine_lock: threading.Lock | None = None,
    renewal: str | None = None,
) -> CheckedWrite:
    """Check ``rows`` against ``<layer>/<table>.yml`` and MERGE them into ``<layer>.<table>`` (``scope``: the
    target rows this write replaces); rejected rows go to ``silver.quarantine`` labelled with ``source``."""
    contract = load_contract(layer, table)
    target = catalog.name(layer, table)
    checked = evaluate_checks(
        rows,
        contract,
        as_of=as_of,
        reference=lambda name: spark.table(catalog.name(*name.split("."))),
        target_schema=spark.table(target).schema,
    )
    return write_checked(
        spark,
        checked,
        table=target,
        keys=contract.keys,
        volatile=contract.volatile,
        quarantine_table=catalog.name("silver", QUARANTINE),
        source_label=source,
        target_label=f"{layer}.{table}",
        as_of=as_of,
        run_id=run_id,
        scope=scope,
        quarantine_lock=quarantine_lock,
        renewal=renewal,
    )
