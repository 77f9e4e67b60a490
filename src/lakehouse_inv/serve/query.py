"""``lakehouse-inv sql "SELECT ..."``: run one statement on the local warehouse and print a table (or CSV).

The session is the SQL endpoint's (every table and analyst view registered, current schema ``gold``) and, like the
endpoint, has its guard (:mod:`.guard`: no writes, DDL, reads by path, reflection or settings off the allow-list)
unless ``--allow-writes``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TextIO

from pyspark.sql import SparkSession

from lakehouse_inv.config import ConfigError
from lakehouse_inv.serve.compiled import classes_dir
from lakehouse_inv.serve.guard import GUARDED_CONF, GuardPolicy, install_read_only_guard
from lakehouse_inv.serve.session import ServeError, add_config_arguments, load_pipeline, serving_session

DEFAULT_MAX_ROWS = 200


def cell_text(value: object) -> str:
    """One value as SQL clients print it: NULL, true/false, ISO dates, shortest exact float."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return repr(value) if isinstance(value, float) else str(value)
    return str(value)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: numbers right-aligned, everything else left-aligned, a rule under the header."""
    texts = [[cell_text(v) for v in row] for row in rows]
    numeric = [all(_is_number(row[i]) for row in rows if row[i] is not None) for i in range(len(columns))]
    widths = [max([len(c), *(len(r[i]) for r in texts)]) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        padded = (c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(columns), "  ".join("-" * w for w in widths), *(line(r) for r in texts)])


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[object]], out: TextIO) -> int:
    """CSV with a header; NULL is an empty field. Returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else cell_text(v) for v in row])
        count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lakehouse-inv sql",
        description="Run one SQL statement on the local warehouse (schemas bronze, silver, gold; current: gold).",
    )
    parser.add_argument("query", help="the statement, e.g. \"SELECT * FROM v_order_book\" ('-': read it from stdin)")
    parser.add_argument("--csv", action="store_true", help="print every row as CSV (default: a table)")
    parser.add_argument(
        "--max-rows", type=int, default=DEFAULT_MAX_ROWS, help=f"rows shown in a table (default {DEFAULT_MAX_ROWS})"
    )
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    query = sys.stdin.read() if args.query == "-" else args.query
    if not query.strip():
        print("error: empty query", file=sys.stderr)
        return 2

    spark = None
    try:
        pipeline = load_pipeline(args)
        guarded = not args.allow_writes
        spark, warehouse = serving_session(
            pipeline,
            "lakehouse_inv-sql-query",
            conf=GUARDED_CONF if guarded else None,
            extra_class_path=[str(classes_dir())] if guarded else None,
        )
        spark.sparkContext.setLogLevel("FATAL")  # a failed statement is reported once, below, not also by log4j
        if guarded:
            install_read_only_guard(spark, GuardPolicy(str(warehouse.path)))
        session = spark.newSession()  # built after the guard, so the guard applies to it
        session.catalog.setCurrentDatabase(pipeline.schemas.gold)
        return run_statement(session, query, as_csv=args.csv, max_rows=args.max_rows)
    except (ConfigError, ServeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if spark is not None:
            spark.stop()


def run_statement(
    session: SparkSession,
    query: str,
    *,
    as_csv: bool = False,
    max_rows: int = DEFAULT_MAX_ROWS,
    out: TextIO | None = None,
) -> int:
    """Run ``query``, print its rows to ``out`` (default stdout: a table, or CSV) and errors to stderr; 0 if it ran,
    1 if Spark refused or failed it."""
    out = out or sys.stdout
    try:
        frame = session.sql(query.strip().rstrip(";"))
        columns = frame.columns
        if as_csv:
            write_csv(columns, frame.toLocalIterator(), out)
            return 0
        rows = frame.limit(max_rows + 1).collect()
    except Exception as exc:  # Spark's parse / analysis / runtime errors, and the read-only refusal
        print(f"error: {statement_error(exc)}", file=sys.stderr)
        return 1
    print(format_table(columns, rows[:max_rows]), file=out)
    shown = min(len(rows), max_rows)
    more = " (more not shown: --max-rows N, or --csv for all)" if len(rows) > max_rows else ""
    print(f"{shown} row{'s' if shown != 1 else ''}{more}", file=out)
    return 0


def statement_error(exc: Exception) -> str:
    """The JVM's message without py4j's wrapping (``An error occurred while calling o42.sql``)."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        return str(java.toString())
    return str(exc).strip()


if __name__ == "__main__":
    sys.exit(main())
