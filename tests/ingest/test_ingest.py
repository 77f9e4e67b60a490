from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from lakehouse_inv.ingest import job as ingest_job
from lakehouse_inv.ingest.files import HeldBack, json_lines, parse_csv
from lakehouse_inv.ingest.job import ingest_tables, parse_json_lines
from lakehouse_inv.pipeline.context import StepResult
from lakehouse_inv.pipeline.runner import StepReport, record_step, summary
from lakehouse_inv.refine.conform import conform
from lakehouse_inv.refine.tables import SPECS

SALES_HEADER = "transaction_id,store_id,product_id,transaction_ts,units,unit_price\n"


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_files_are_ingested_once_with_lineage_and_rescued_lines(make_context):
    ctx = make_context()
    sales_dir = ctx.landing_dir / "sales"
    _write(
        sales_dir / "sales_2025-01-01.csv",
        SALES_HEADER + "T1,S01,P01,2025-01-01 10:00:00,1,2.5\nT2,S01,P01,2025-01-01 11:00:00,1,2.5,oops\n",
    )
    first = ingest_tables(ctx, ["sales"])
    assert first.tables == {"bronze.sales": 2}

    rows = {r.transaction_id: r for r in ctx.read("bronze", "sales").collect()}
    assert rows["T1"]._rescued_data is None and rows["T1"].units == "1"
    assert rows["T2"]._rescued_data == "T2,S01,P01,2025-01-01 11:00:00,1,2.5,oops"
    assert rows["T1"]._source_file.endswith("sales/sales_2025-01-01.csv")
    assert {r._run_id for r in rows.values()} == {ctx.run_id}
    assert len({r._record_id for r in rows.values()}) == 2

    assert ingest_tables(ctx, ["sales"]).tables == {"bronze.sales": 0}  # nothing new: nothing read twice
    _write(sales_dir / "sales_2025-01-02.csv", SALES_HEADER + "T3,S01,P02,2025-01-02 09:00:00,2,1.0\n")
    assert ingest_tables(ctx, ["sales"]).tables == {"bronze.sales": 1}
    assert ctx.read("bronze", "sales").count() == 3


def test_json_lines_keep_unknown_keys_and_broken_lines(spark):
    lines = spark.createDataFrame(
        [('{"order_id": "O1", "quantity": 5}',), ('{"order_id": "O2", "quantity": 1, "promo": "x"}',), ("{not json",)],
        "value string",
    )
    out = {r.order_id: r for r in parse_json_lines(lines, ["order_id", "quantity"]).collect()}
    assert out["O1"].quantity == "5" and out["O1"]._rescued_data is None
    assert out["O2"]._rescued_data == '{"order_id": "O2", "quantity": 1, "promo": "x"}'
    assert out[None]._rescued_data == "{not json"


def test_a_bad_file_is_held_back_alone_named_in_one_line_and_ingested_once_fixed(make_context):
    ctx = make_context()
    sales, orders = ctx.landing_dir / "sales", ctx.landing_dir / "orders"
    reordered = "transaction_id,product_id,store_id,transaction_ts,units,unit_price\nT9,P1,S1,x,1,1\n"
    _write(sales / "sales_2025-01-01.csv", SALES_HEADER + "T1,S01,P01,2025-01-01 10:00:00,1,2.5\n")
    _write(sales / "sales_2025-01-02.csv", reordered)
    _write(sales / "sales_2025-01-03.csv", "")  # empty: no rows, not an error
    _write(sales / "sales_2025-01-04.csv", SALES_HEADER)  # header only: no rows
    (sales / "sales_2025-01-05.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _write(orders / "orders_2025-01-01.json", '{"order_id": "O1"}\n')

    result = ingest_tables(ctx, ["sales", "orders"])

    assert result.tables == {"bronze.sales": 1, "bronze.orders": 1}  # the good files and the other table go on
    assert result.status == "partial" and len(result.errors) == 2
    header, binary = sorted(result.errors)
    assert "\n" not in header and "sales/sales_2025-01-02.csv" in header
    assert "same columns in another order" in header
    assert (
        "expected transaction_id,store_id,product_id," in header
        and "found transaction_id,product_id,store_id," in header
    )
    assert "sales/sales_2025-01-05.csv" in binary and "binary" in binary

    _write(sales / "sales_2025-01-02.csv", SALES_HEADER + "T9,S1,P1,x,1,1\n")  # fixed: ingested on the next run
    again = ingest_tables(ctx, ["sales"])
    assert again.tables == {"bronze.sales": 1} and len(again.errors) == 1  # the binary file is still held back
    assert sorted(r.transaction_id for r in ctx.read("bronze", "sales").collect()) == ["T1", "T9"]


def test_a_renamed_column_is_named(tmp_path):
    with pytest.raises(HeldBack, match=r"^sales/x.csv: header .*missing store_id; unexpected shop_id"):
        parse_csv(SALES_HEADER.replace("store_id", "shop_id").encode(), SALES_HEADER.strip().split(","), "sales/x.csv")


def test_damage_stays_on_its_line_an_unclosed_quote_or_a_nul_byte_costs_one_record():
    good = "2025-01-01 10:00:00,1,2.5"
    lines = [
        f"T1,S01,P01,{good}",
        f'"B1,S01,P01,{good}',  # unclosed quote: would swallow every line up to the next quote character
        f"T2,S01,P01,{good}",
        f"B2,S01,P01\x00,{good}",  # a NUL byte
        f"T3,S01,P01,{good}",
        f'B3,"S01",P01,"{good}',  # unclosed quote in a later field that a later quote "closes"
        f"T4,S01,P01,{good}",
        f'T5,"S01",P01,{good}',
        f'"T6\nstill T6",S01,P01,{good}',  # a quoted line break that closes: one (rescued) record
        f"T7,S01,P01,{good}",
    ]
    rows = parse_csv((SALES_HEADER + "\n".join(lines) + "\n").encode(), SALES_HEADER.strip().split(","), "s.csv")
    landed = [r[0] for r in rows if r[6] is None]
    rescued = {r[7]: r[6] for r in rows if r[6] is not None}
    assert landed == ["T1", "T2", "T3", "T4", "T5", "T7"]
    assert rescued == {3: lines[1], 5: lines[3].replace("\x00", "\\x00"), 7: lines[5], 10: lines[8]}


def test_a_nul_byte_in_a_json_line_rescues_that_line_and_a_binary_file_is_still_held_back():
    lines = json_lines(b'{"order_id": "O1"}\n{"order_id": "O\x002"}\n{"order_id": "O3"}\n', "orders/o.json")
    assert [(text, bad) for text, bad, _ in lines] == [
        ('{"order_id": "O1"}', False),
        ('{"order_id": "O\\x002"}', True),
        ('{"order_id": "O3"}', False),
    ]
    with pytest.raises(HeldBack, match="binary"):
        json_lines(b"\x00\x01\x02\n\x00\n", "orders/o.json")
    with pytest.raises(HeldBack, match="binary"):
        parse_csv(b"\x89PNG\r\n\x00\x00IHDR", SALES_HEADER.strip().split(","), "sales/x.csv")


def test_files_not_ingested_are_reported_by_name(make_context):
    ctx = make_context()
    sales = ctx.landing_dir / "sales"
    first = sales / "sales_2025-01-01.csv"
    _write(first, SALES_HEADER + "T1,S01,P01,2025-01-01 10:00:00,1,2.5\n")
    assert ingest_tables(ctx, ["sales"]).warnings == []

    first.write_text(first.read_text() + "T2,S01,P01,2025-01-01 11:00:00,1,2.5\n")  # appended after ingest
    for name in ("_x.csv", ".x.csv", "late/sales_2025-01-02.csv"):
        _write(sales / name, SALES_HEADER + "T3,S01,P01,2025-01-01 12:00:00,1,2.5\n")
    _write(sales / "sales_2025-01-03.csv", SALES_HEADER + "T4,S01,P01,2025-01-03 12:00:00,1,2.5\n")

    result = ingest_tables(ctx, ["sales"])

    assert result.tables == {"bronze.sales": 1} and result.status == "succeeded"
    changed, ignored = sorted(result.warnings)
    assert "sales/sales_2025-01-01.csv" in changed and "NOT ingested" in changed
    assert "3 file(s) not ingested" in ignored
    assert all(name in ignored for name in ("_x.csv", ".x.csv", "late/sales_2025-01-02.csv"))
    assert "sales: 4 new files" not in result.message


def test_a_line_break_in_a_field_or_a_byte_that_is_not_utf8_rescues_the_whole_record(make_context):
    ctx = make_context()
    data = (
        SALES_HEADER
        + "T1,S01,P01,2025-01-01 10:00:00,1,2.5\n"
        + 'T2,S01,"P01 with a\nnewline",2025-01-01 10:00:00,1,2.5\n'
        + "T3,S01,P01,2025-01-01 10:00:00,1,2.5\n"
    ).encode() + b"XB21-caf\xe9,S01,P01,2025-01-01 10:00:00,1,2.5\n"
    (ctx.landing_dir / "sales").mkdir(parents=True)
    (ctx.landing_dir / "sales" / "sales_2025-01-01.csv").write_bytes(data)

    assert ingest_tables(ctx, ["sales"]).tables == {"bronze.sales": 4}

    bronze = ctx.read("bronze", "sales")
    rescued = {r.transaction_id: r._rescued_data for r in bronze.collect()}
    assert rescued == {
        "T1": None,
        "T2": 'T2,S01,"P01 with a\nnewline",2025-01-01 10:00:00,1,2.5',
        "T3": None,
        "XB21-caf\\xe9": "XB21-caf\\xe9,S01,P01,2025-01-01 10:00:00,1,2.5",
    }
    errors = {r.transaction_id: r._errors for r in conform(bronze, SPECS["sales"]).collect()}
    assert errors["T1"] == [] and errors["T3"] == []
    assert errors["T2"][0].startswith("[malformed]") and errors["XB21-caf\\xe9"][0].startswith("[malformed]")


@pytest.mark.parametrize("point", ["after_intent", "after_append"])
def test_a_run_stopped_between_intent_and_commit_is_finished_exactly_once(make_context, monkeypatch, point):
    ctx = make_context()
    sales = ctx.landing_dir / "sales"
    _write(sales / "sales_2025-01-01.csv", SALES_HEADER + "T1,S01,P01,2025-01-01 10:00:00,1,2.5\n")

    def crash(at, table):
        if at == point:
            raise KeyboardInterrupt(at)

    monkeypatch.setattr(ingest_job, "failpoint", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest_tables(ctx, ["sales"])
    monkeypatch.undo()
    _write(sales / "sales_2025-01-02.csv", SALES_HEADER + "T2,S01,P01,2025-01-02 10:00:00,1,2.5\n")

    ingest_tables(ctx, ["sales"])

    assert sorted(r.transaction_id for r in ctx.read("bronze", "sales").collect()) == ["T1", "T2"]
    assert ingest_tables(ctx, ["sales"]).tables == {"bronze.sales": 0}


def test_a_large_landing_is_appended_in_bounded_batches_each_exactly_once(make_context, monkeypatch):
    """Whole files of up to BATCH_ROWS records per commit (the driver never holds a whole year of landing); a run
    stopped after the second batch's append resumes with the third and writes nothing twice."""
    ctx = make_context()
    sales = ctx.landing_dir / "sales"
    for day, ids in {1: ["T1"], 2: ["T2", "T3"], 3: ["T4"]}.items():
        lines = "".join(f"{t},S01,P01,2025-01-0{day} 10:00:00,1,2.5\n" for t in ids)
        _write(sales / f"sales_2025-01-0{day}.csv", SALES_HEADER + lines)
    monkeypatch.setattr(ingest_job, "BATCH_ROWS", 2)
    appended = []

    def crash(at, table):
        if at == "after_append":
            appended.append(table)
            if len(appended) == 2:
                raise KeyboardInterrupt(at)

    monkeypatch.setattr(ingest_job, "failpoint", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest_tables(ctx, ["sales"])
    assert sorted(r.transaction_id for r in ctx.read("bronze", "sales").collect()) == ["T1", "T2", "T3"]

    monkeypatch.setattr(ingest_job, "failpoint", lambda *_: None)
    assert ingest_tables(ctx, ["sales"]).tables == {"bronze.sales": 1}  # the appended batch is committed, not redone
    assert sorted(r.transaction_id for r in ctx.read("bronze", "sales").collect()) == ["T1", "T2", "T3", "T4"]
    ledger = ctx.checkpoint("bronze", "sales", "ledger")
    assert sorted(p.name for p in Path(ledger).iterdir()) == ["0.json", "1.json", "2.json"]


def test_a_table_ingested_before_the_ledger_existed_is_not_read_again(make_context):
    ctx = make_context()
    _write(ctx.landing_dir / "sales" / "sales_2025-01-01.csv", SALES_HEADER + "T1,S01,P01,2025-01-01 10:00:00,1,2.5\n")
    ingest_tables(ctx, ["sales"])
    shutil.rmtree(ctx.checkpoint("bronze", "sales"))  # e.g. the stream checkpoint of an older version

    assert ingest_tables(ctx, ["sales"]).tables == {"bronze.sales": 0}
    assert ctx.read("bronze", "sales").count() == 1


def test_held_back_files_and_warnings_reach_job_runs(make_context):
    ctx = make_context()
    result = StepResult(errors=["bronze.sales: held back sales/x.csv: binary content"], warnings=["w"])
    record_step(ctx, "ingest", dt.datetime(2025, 1, 1), 1.0, result, None)
    row = ctx.read("gold", "job_runs").collect()[0]
    assert row.status == "partial"
    assert row.notes == "ERROR: bronze.sales: held back sales/x.csv: binary content\nWARNING: w"


def test_the_run_summary_marks_the_step_partial_and_repeats_what_needs_attention():
    result = StepResult(errors=["bronze.sales: held back sales/x.csv: binary content"], warnings=["bronze.sales: w"])
    text = summary([StepReport("ingest", 1.0, result)])
    assert "PARTIAL" in text
    assert "ingest: ERROR: bronze.sales: held back sales/x.csv: binary content" in text
    assert "ingest: WARNING: bronze.sales: w" in text


def test_optional_columns_may_be_absent_from_the_header_and_land_as_null():
    columns = ["store_id", "store_name", "open_date", "timezone"]
    both = parse_csv(
        b"store_id,store_name,open_date,timezone\nS1,A,2024-05-01,Europe/Berlin\n",
        columns,
        "s.csv",
        ["open_date", "timezone"],
    )
    assert both == [("S1", "A", "2024-05-01", "Europe/Berlin", None, 2)]
    one = parse_csv(b"store_id,store_name,timezone\nS1,A,Europe/Berlin\n", columns, "s.csv", ["open_date", "timezone"])
    assert one == [("S1", "A", None, "Europe/Berlin", None, 2)]
    none = parse_csv(b"store_id,store_name\nS1,A\nS2,B,extra\n", columns, "s.csv", ["open_date", "timezone"])
    assert none[0] == ("S1", "A", None, None, None, 2) and none[1][4] == "S2,B,extra"
    with pytest.raises(HeldBack, match="missing store_name"):
        parse_csv(b"store_id,timezone\nS1,UTC\n", columns, "s.csv", ["open_date", "timezone"])
