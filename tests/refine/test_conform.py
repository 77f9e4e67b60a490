from __future__ import annotations

from chispa import assert_df_equality
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.contracts import ERRORS
from lakehouse_inv.refine.conform import ConformSpec, conform
from lakehouse_inv.refine.tables import SPECS

BRONZE_COLUMNS = "_rescued_data string, _source_file string, _ingested_at timestamp, _run_id string, _record_id string"


def _bronze(spark, rows, columns):
    schema = f"{columns}, {BRONZE_COLUMNS}"
    return spark.createDataFrame([(*r, None, "f.csv", None, "run", f"r{i}") for i, r in enumerate(rows)], schema)


def test_unparseable_values_become_null_and_are_reported_with_the_raw_text(spark):
    bronze = _bronze(
        spark, [("T1", "3", " 2.50 "), ("T2", "twelve", "1"), ("T3", "", "x")], "id string, units string, price string"
    )
    out = conform(bronze, ConformSpec("t", {"units": "int", "price": "double"}))
    expected = spark.createDataFrame(
        [
            ("T1", 3, 2.5, []),
            ("T2", None, 1.0, ["[type] units='twelve' is not a valid int"]),
            ("T3", None, None, ["[type] price='x' is not a valid double"]),
        ],
        f"id string, units int, price double, {ERRORS} array<string>",
    )
    assert_df_equality(out.select("id", "units", "price", ERRORS).orderBy("id"), expected, ignore_nullable=True)


def test_durations_and_minus_one_sentinels(spark):
    bronze = _bronze(
        spark,
        [
            ("P1", "3 days", "-1"),
            ("P2", "1 week", "500"),
            ("P3", "", "-1"),
            ("P4", "soon", "7"),
            ("P5", "2 Weeks", "1"),
        ],
        "id string, shelf_life string, max_qty string",
    )
    spec = ConformSpec("t", {"max_qty": "int"}, durations={"days": "shelf_life"}, minus_one_is_null=("max_qty",))
    rows = {r.id: (r.days, r.max_qty, r[ERRORS]) for r in conform(bronze, spec).collect()}
    assert rows["P1"] == (3, None, [])
    assert rows["P2"] == (7, 500, [])
    assert rows["P3"] == (None, None, [])
    assert rows["P4"][0] is None and "is not a duration" in rows["P4"][2][0]
    assert rows["P5"][0] == 14


def test_rescued_records_are_reported_as_malformed(spark):
    bronze = _bronze(spark, [("T1", "1")], "id string, units string").withColumn("_rescued_data", F.lit("T1,1,extra"))
    out = conform(bronze, ConformSpec("t", {"units": "int"})).first()
    assert out[ERRORS] == ["[malformed] record does not match the export layout: T1,1,extra"]


def test_sales_derive_date_and_revenue(spark):
    bronze = _bronze(
        spark,
        [("T1", "S1", "P1", "2025-03-01 09:15:00", "2", "1.25")],
        "transaction_id string, store_id string, product_id string, transaction_ts string, units string, "
        "unit_price string",
    )
    row = conform(bronze, SPECS["sales"]).first()
    assert (str(row.sale_date), row.revenue, row[ERRORS]) == ("2025-03-01", 2.5, [])
    assert "_raw" in conform(bronze, SPECS["sales"]).columns


def test_non_finite_numbers_are_type_errors_not_values(spark):
    bronze = _bronze(
        spark,
        [("T1", "2.5"), ("T2", "NaN"), ("T3", "Infinity"), ("T4", "1e309"), ("T5", "-inf"), ("T6", "1e308")],
        "id string, price string",
    )
    rows = {r.id: (r.price, r[ERRORS]) for r in conform(bronze, ConformSpec("t", {"price": "double"})).collect()}
    assert rows["T1"] == (2.5, []) and rows["T6"] == (1e308, [])
    for key, text in {"T2": "NaN", "T3": "Infinity", "T4": "1e309", "T5": "-inf"}.items():
        assert rows[key] == (None, [f"[type] price='{text}' is not a finite double"]), key


def test_a_non_zero_number_that_rounds_to_zero_is_a_type_error_like_overflow(spark):
    texts = {"T1": "1e-400", "T2": "-0.00001e-330", "T3": "0", "T4": "0.0e-400", "T5": "-0", "T6": "4.9e-324"}
    bronze = _bronze(spark, list(texts.items()), "id string, price string")
    rows = {r.id: (r.price, r[ERRORS]) for r in conform(bronze, ConformSpec("t", {"price": "double"})).collect()}
    for key in ("T1", "T2"):
        assert rows[key] == (None, [f"[type] price='{texts[key]}' is not zero but rounds to 0 as a double (underflow)"])
    assert {k: rows[k] for k in ("T3", "T4", "T5")} == {"T3": (0.0, []), "T4": (0.0, []), "T5": (0.0, [])}
    assert rows["T6"] == (5e-324, [])  # the smallest subnormal is still a number, not zero


def test_a_timestamp_with_an_offset_is_the_stores_local_time_and_its_date_the_local_date(spark):
    from lakehouse_inv.refine.conform import localize

    rows = [
        ("T1", "S1", "2025-02-02T22:30:00-05:00"),  # New York store: 22:30 on 02-02 (03:30 UTC on 02-03)
        ("T2", "S2", "2025-02-02T22:30:00-05:00"),  # no zone of its own: the chain's (Europe/Berlin), 04:30 on 02-03
        ("T3", "S1", "2025-02-02 23:59:00"),  # no offset: already local wall-clock time
    ]
    bronze = _bronze(
        spark,
        [(t, s, ts, "1", "1.0") for t, s, ts in rows],
        "transaction_id string, store_id string, transaction_ts string, units string, unit_price string",
    )
    zones = spark.createDataFrame([("S1", "America/New_York"), ("S2", None)], "store_id string, timezone string")
    spec = SPECS["sales"]
    local = localize(conform(bronze, spec), spec, zones, "Europe/Berlin")
    got = {r.transaction_id: (str(r.transaction_ts), str(r.sale_date)) for r in local.collect()}
    assert got == {
        "T1": ("2025-02-02 22:30:00", "2025-02-02"),
        "T2": ("2025-02-03 04:30:00", "2025-02-03"),
        "T3": ("2025-02-02 23:59:00", "2025-02-02"),
    }
    assert not [c for c in local.columns if c.startswith("_offset_") or c == "_zone"]
