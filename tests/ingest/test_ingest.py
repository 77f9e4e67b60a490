from __future__ import annotations

import pytest

from lakehouse_inv.ingest.job import ingest_tables, parse_json_lines

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


def test_a_changed_export_header_fails_loudly_and_loses_nothing(make_context):
    ctx = make_context()
    _write(
        ctx.landing_dir / "sales" / "sales_2025-01-01.csv",
        "transaction_id,product_id,store_id,transaction_ts,units,unit_price\nT1,P1,S1,x,1,1\n",
    )
    with pytest.raises(RuntimeError, match="sales"):
        ingest_tables(ctx, ["sales"])
    assert ctx.read("bronze", "sales").count() == 0
