"""``lakehouse-inv sql`` output (pure): the text table and the CSV."""

from __future__ import annotations

import datetime as dt
import io

from lakehouse_inv.serve.query import format_table, run_statement, write_csv


def test_table_aligns_numbers_right_text_left_and_shows_null() -> None:
    rows = [("S01", 3, 2.5, True, dt.date(2025, 3, 10)), ("S002", 12, None, False, None)]
    text = format_table(["store_id", "units", "price", "open", "date"], rows)
    assert text.splitlines() == [
        "store_id  units  price  open   date",
        "--------  -----  -----  -----  ----------",
        "S01           3    2.5  true   2025-03-10",
        "S002         12   NULL  false  NULL",
    ]


def test_csv_has_a_header_empty_nulls_and_quotes_commas() -> None:
    out = io.StringIO()
    written = write_csv(["id", "reason", "qty"], [("O1", "raised to MOQ 12, multiple 6", 12.0), ("O2", None, 0.0)], out)
    assert written == 2
    assert out.getvalue() == 'id,reason,qty\nO1,"raised to MOQ 12, multiple 6",12.0\nO2,,0.0\n'


def test_run_statement_prints_a_view_as_a_table_in_the_current_schema(spark, world_catalog, capsys) -> None:
    session = spark.newSession()
    session.catalog.setCurrentDatabase(world_catalog.schemas.gold)
    out = io.StringIO()
    query = "SELECT order_id, is_open FROM v_order_book WHERE is_open ORDER BY order_id;"
    assert run_statement(session, query, out=out) == 0
    assert out.getvalue().splitlines() == [
        "order_id             is_open",
        "-------------------  -------",
        "RS-S02-P02-20250220  true",
        "sQ-S01-P01-20250310  true",
        "2 rows",
    ]


def test_run_statement_reports_a_bad_query_on_stderr_and_exits_1(spark, world_catalog, capsys) -> None:
    session = spark.newSession()
    session.catalog.setCurrentDatabase(world_catalog.schemas.gold)
    assert run_statement(session, "SELECT nope FROM v_order_book", out=io.StringIO()) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "nope" in errors[0]
