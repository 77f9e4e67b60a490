"""What is new since the last run: the dates a derived table must rebuild (those whose source rows changed since its
last write), and whether a piece of work's inputs changed at all (:class:`InputMemo`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from functools import reduce
from pathlib import Path
from urllib.parse import urlparse

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def rebuild_window(
    target: DataFrame,
    sources: Sequence[tuple[DataFrame, str]],
    *,
    as_of: dt.date,
    lookback_days: int,
    full_refresh: bool = False,
) -> tuple[dt.date, dt.date] | None:
    """(start, end) of the dates to rebuild, or None when the sources hold no data at all.

    ``sources`` are (frame with ``_updated_at``, its business-date column). The window reaches back to
    the earliest date of any source row changed after the target's newest row (everything on the first
    run or with ``full_refresh``), and always covers the last ``lookback_days`` before ``as_of`` so the
    new day exists even when nothing was sold.
    """
    last_write = None if full_refresh else target.agg(F.max("_updated_at")).first()[0]
    # one query for every source (a union of one-row aggregates): a Spark job per source cost ~1 s each
    firsts = [
        (frame if last_write is None else frame.where(F.col("_updated_at") > F.lit(last_write)))
        .where(F.col(date_column) <= F.lit(as_of))
        .agg(F.min(date_column).cast("date").alias("first"))
        for frame, date_column in sources
    ]
    starts = [row["first"] for row in reduce(DataFrame.unionAll, firsts).collect() if row["first"] is not None]
    if last_write is None and not starts:
        return None
    start = min([*starts, as_of - dt.timedelta(days=lookback_days)])
    return start, as_of


COMMIT_FILE = re.compile(r"^(\d{20})\.json$")


def latest_commit(spark: SparkSession, table: str) -> dict[str, object] | None:
    """The table's newest Delta commit, ``{"version": v, "modified": t}``, from a listing of its ``_delta_log``
    folder: no Spark job (``DESCRIBE HISTORY`` costs two). The commit file's modification time tells a table dropped
    and re-created at the same version apart. None when the log cannot be listed (e.g. a catalog this cannot
    resolve): the caller then does its work."""
    try:
        commits = _commits(spark, _delta_log(spark, table))
    except Exception:  # any failure only means "cannot tell": the work runs
        return None
    if not commits:
        return None
    name, modified = max(commits)
    return {"version": int(name[:20]), "modified": modified}


def never_written(spark: SparkSession, table: str) -> bool | None:
    """Whether the table holds only its creation (commit 0, adding no data file), read from the local Delta log
    without a Spark job; None when that cannot be told this way (a remote file system or a catalog this cannot
    resolve), and the caller asks Delta."""
    try:
        log = _delta_log(spark, table)
        if not log.startswith("file:"):
            return None
        commits = _commits(spark, log)
    except Exception:
        return None
    if not commits:
        return None
    if max(commits)[0] != f"{0:020d}.json":
        return False
    with open(Path(urlparse(log).path) / f"{0:020d}.json") as first:
        return not any(line.startswith('{"add"') for line in first)


def _delta_log(spark: SparkSession, table: str) -> str:
    session = spark._jsparkSession
    identifier = session.sessionState().sqlParser().parseTableIdentifier(table)
    location = str(session.sessionState().catalog().getTableMetadata(identifier).location().toString())
    return location.rstrip("/") + "/_delta_log"


def _commits(spark: SparkSession, log: str) -> list[tuple[str, int]]:
    """(file name, modification time) of the commit files in the ``_delta_log`` folder ``log``."""
    if log.startswith("file:"):  # local: one scandir instead of a py4j call per file
        with os.scandir(urlparse(log).path) as entries:
            return [(e.name, e.stat().st_mtime_ns) for e in entries if COMMIT_FILE.match(e.name)]
    path = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(log)
    statuses = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).listStatus(path)
    return [
        (s.getPath().getName(), s.getModificationTime()) for s in statuses if COMMIT_FILE.match(s.getPath().getName())
    ]


class InputMemo:
    """What a piece of work last ran on (e.g. the commits of the tables it read, its as-of), in a JSON file beside
    its checkpoint: the same inputs again mean the same output, so the work can be skipped without a Spark job.

    :meth:`remember` is called only after the work completed, so a run stopped midway does it again."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def unchanged(self, inputs: dict[str, object]) -> bool:
        if _unknown(inputs):
            return False
        return self.recall() == as_json(inputs)

    def recall(self) -> object:
        """What :meth:`remember` last wrote (as JSON gives it back), or None when nothing readable is there."""
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def remember(self, inputs: dict[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(inputs, default=str, sort_keys=True))
        os.replace(tmp, self.path)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def as_json(value: object) -> object:
    """``value`` as it reads back from a memo (dates as text, tuples as lists): what to compare
    :meth:`InputMemo.recall` with."""
    return json.loads(json.dumps(value, default=str))


def _unknown(value: object) -> bool:
    """True when any part of ``value`` is None (e.g. a commit :func:`latest_commit` could not read)."""
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_unknown(v) for v in value.values())
    return False
