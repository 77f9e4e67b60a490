"""``gold.data_quality``: per run, table and check, the rows checked, failed and the failure rate.

Rows checked for a table = rows its contract passed in the run (written: inserted or changed, from
``gold.job_runs.tables_json``) + rows it rejected (``silver.quarantine`` rows of the run). Re-sent rows that
changed nothing are not counted, so a re-run that finds nothing new checks (and fails) nothing.
``check_name = 'all'`` is the table's row: rows failing any check.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

ALL_CHECKS = "all"
COLUMNS = ["run_id", "as_of", "table_name", "check_name", "rows_checked", "rows_failed", "failure_rate"]
NOT_CHECKED = {"silver.quarantine"}


def written_per_table(tables_json: Iterable[str | None]) -> dict[str, int]:
    """Rows written per silver/gold table over the run's ``gold.job_runs.tables_json`` values."""
    written: dict[str, int] = {}
    for text in tables_json:
        for table, rows in json.loads(text or "{}").items():
            if table.split(".")[0] in {"silver", "gold"} and table not in NOT_CHECKED:
                written[table] = written.get(table, 0) + int(rows)
    return written


def quarantine_failures(quarantine: DataFrame, run_id: str) -> DataFrame:
    """Rows of ``silver.quarantine`` rejected in ``run_id`` per table and failed check (``all``: any check):
    ``table_name``, ``check_name``, ``rows_failed``. The check is the ``[name]`` each message starts with."""
    rows = quarantine.where(F.col("_run_id") == run_id)
    messages = rows.select(F.col("target_table").alias("table_name"), "record_id", F.explode("errors").alias("e"))
    name = F.regexp_extract("e", r"^\[([A-Za-z0-9_]+)\]", 1)
    checks = messages.select(
        "table_name", "record_id", F.when(name == "", "unknown").otherwise(name).alias("check_name")
    )
    per_check = checks.groupBy("table_name", "check_name").agg(F.countDistinct("record_id").alias("rows_failed"))
    per_table = rows.groupBy(F.col("target_table").alias("table_name")).agg(
        F.lit(ALL_CHECKS).alias("check_name"), F.countDistinct("record_id").alias("rows_failed")
    )
    return per_check.unionByName(per_table)


def data_quality(written: dict[str, int], failed: pd.DataFrame, *, run_id: str, as_of: dt.date) -> pd.DataFrame:
    """:data:`COLUMNS` from the rows written per table and :func:`quarantine_failures` (as pandas). Every table
    written or failed gets an ``all`` row; each failed check its own row."""
    failed_any = failed[failed["check_name"] == ALL_CHECKS].set_index("table_name")["rows_failed"].to_dict()
    tables = sorted(set(written) | set(failed_any))
    checked = {t: int(written.get(t, 0)) + int(failed_any.get(t, 0)) for t in tables}
    rows = [(t, ALL_CHECKS, checked[t], int(failed_any.get(t, 0))) for t in tables]
    per_check = failed[(failed["check_name"] != ALL_CHECKS) & failed["table_name"].isin(tables)]
    rows += [(r.table_name, r.check_name, checked[r.table_name], int(r.rows_failed)) for r in per_check.itertuples()]
    out = pd.DataFrame(rows, columns=["table_name", "check_name", "rows_checked", "rows_failed"])
    rate = out["rows_failed"] / out["rows_checked"].where(out["rows_checked"] > 0)
    out["failure_rate"] = rate.fillna(0.0).astype(float).round(6)
    out.insert(0, "as_of", as_of)
    out.insert(0, "run_id", run_id)
    return out[COLUMNS].sort_values(["table_name", "check_name"], ignore_index=True)
