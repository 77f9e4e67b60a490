from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lakehouse_inv.config import SchemaNames
from lakehouse_inv.lakehouse.catalog import Catalog, table_names
from lakehouse_inv.lakehouse.contracts import (
    ERRORS,
    Check,
    Contract,
    ContractViolation,
    NumberRules,
    TextRules,
    evaluate_checks,
    load_contract,
    mark_duplicates,
    split_valid,
    waits_for_reference,
)

AS_OF = dt.date(2025, 3, 31)

SALES = Contract(
    table="sales",
    layer="silver",
    description="test",
    grain="one row per transaction_id",
    keys=["transaction_id"],
    checks=[
        Check(name="units_positive", column="units", min=1),
        Check(name="not_in_future", not_after_as_of="sale_date"),
        Check(name="known_store", foreign_key={"columns": ["store_id"], "table": "silver.stores"}),
        Check(name="channel_known", column="channel", accepted_values=["pos", "web"]),
        Check(name="price_vs_units", expression="price >= 0", message="price is negative"),
    ],
)


@pytest.fixture
def stores(spark: SparkSession):
    return spark.createDataFrame([("S1",), ("S2",)], "store_id string")


def _errors_by_id(df):
    return df.select("transaction_id", F.array_sort(ERRORS).alias(ERRORS)).orderBy("transaction_id")


def test_each_kind_of_bad_row_gets_a_message_naming_column_and_value(spark, stores):
    rows = spark.createDataFrame(
        [
            ("T1", "S1", 2, dt.date(2025, 3, 30), "pos", 1.0),  # clean
            ("T2", "S1", -3, dt.date(2025, 3, 30), "pos", 1.0),  # negative quantity
            ("T3", "S9", 1, dt.date(2025, 3, 30), "pos", 1.0),  # unknown store
            ("T4", "S1", 1, dt.date(2025, 4, 2), "pos", 1.0),  # future date
            (None, "S1", 1, dt.date(2025, 3, 30), "pos", 1.0),  # null key
            ("T6", "S2", 1, dt.date(2025, 3, 30), "fax", -1.0),  # unknown value + failed expression
        ],
        "transaction_id string, store_id string, units int, sale_date date, channel string, price double",
    )
    checked = evaluate_checks(rows, SALES, as_of=AS_OF, reference=lambda name: stores)
    expected = spark.createDataFrame(
        [
            (None, ["[not_null] transaction_id is null"]),
            ("T1", []),
            ("T2", ["[units_positive] units=-3 below minimum 1"]),
            ("T3", ["[known_store] unknown key in silver.stores: store_id=S9"]),
            ("T4", ["[not_in_future] sale_date=2025-04-02 is after the run date 2025-03-31"]),
            (
                "T6",
                ["[channel_known] channel=fax not in [pos, web]", "[price_vs_units] price is negative (price=-1.0)"],
            ),
        ],
        f"transaction_id string, {ERRORS} array<string>",
    )
    assert_df_equality(_errors_by_id(checked), expected, ignore_nullable=True)


def test_not_null_follows_the_target_schema_so_nullable_keys_are_allowed(spark):
    contract = Contract(table="inv", layer="silver", description="d", grain="g", keys=["store_id", "expiry_date"])
    rows = spark.createDataFrame([("S1", None)], "store_id string, expiry_date date")
    schema = spark.createDataFrame([], "store_id string not null, expiry_date date").schema
    checked = evaluate_checks(rows, contract, as_of=AS_OF, reference=lambda _: None, target_schema=schema)
    assert checked.first()[ERRORS] == []


def test_duplicates_keep_the_first_by_order_and_flag_the_rest(spark):
    rows = spark.createDataFrame(
        [("T1", 1, 10), ("T1", 2, 20), ("T2", 3, 30)], "transaction_id string, seq int, units int"
    ).withColumn(ERRORS, F.array().cast("array<string>"))
    marked = mark_duplicates(rows, ["transaction_id"], [F.col("seq").desc()])
    valid, rejected = split_valid(marked)
    assert sorted((r.transaction_id, r.seq) for r in valid.collect()) == [("T1", 2), ("T2", 3)]
    assert [r[ERRORS] for r in rejected.collect()] == [
        ["[unique] duplicate of key transaction_id=T1 (an earlier/newer row was kept)"]
    ]
    described = mark_duplicates(rows, ["transaction_id"], [F.col("seq").desc()], F.concat(F.lit("seq "), "seq"))
    assert [r[ERRORS] for r in split_valid(described)[1].collect()] == [
        ["[unique] duplicate of key transaction_id=T1; kept seq 2"]
    ]


def test_a_broken_row_never_shadows_a_valid_duplicate(spark):
    rows = spark.createDataFrame(
        [("T1", 2, ["[type] units='x' is not a valid int"]), ("T1", 1, [])],
        f"transaction_id string, seq int, {ERRORS} array<string>",
    )
    valid, rejected = split_valid(mark_duplicates(rows, ["transaction_id"], [F.col("seq").desc()]))
    assert [r.seq for r in valid.collect()] == [1]
    assert rejected.count() == 1


def test_check_needs_exactly_one_rule():
    with pytest.raises(ValueError, match="exactly one rule"):
        Check(name="bad", column="x", min=1, accepted_values=[1])


@pytest.mark.parametrize("layer", ["bronze", "silver", "gold"])
def test_every_table_has_a_contract_whose_columns_exist_in_its_ddl(spark, layer):
    catalog = Catalog(SchemaNames(bronze="ddl_bronze", silver="ddl_silver", gold="ddl_gold"))
    catalog.ensure_tables(spark, layer)
    for table in table_names(layer):
        contract = load_contract(layer, table)
        columns = set(catalog.schema(spark, layer, table).fieldNames())
        named = set(contract.keys) | set(contract.volatile)
        for check in contract.checks:
            named |= {c for c in [check.column, check.not_after_as_of] if c}
            named |= set(check.not_null or [])
            if check.foreign_key:
                named |= set(check.foreign_key.columns)
                ref_layer, ref_table = check.foreign_key.table.split(".")
                assert ref_table in table_names(ref_layer), f"{layer}.{table}: {check.name} references a missing table"
            if check.agrees_with:
                rule = check.agrees_with
                named |= {*rule.keys, *rule.equal}
                ref_layer, ref_table = rule.table.split(".")
                ref_columns = set(catalog.schema(spark, ref_layer, ref_table).fieldNames())
                assert {*rule.keys, *rule.equal, *rule.columns} <= ref_columns, f"{layer}.{table}: {check.name}"
        assert named <= columns, f"{layer}.{table}: contract names columns missing from the DDL: {named - columns}"


def test_contract_file_errors_name_the_file(tmp_path, monkeypatch):
    (tmp_path / "silver").mkdir()
    (tmp_path / "silver" / "broken.yml").write_text("table: broken\nlayer: silver\ngrain: g\nkeys: []\n")
    monkeypatch.setenv("LAKEHOUSE_INV_PROJECT_ROOT", str(tmp_path))
    from lakehouse_inv import resources

    resources.project_root.cache_clear()
    load_contract.cache_clear()
    try:
        with pytest.raises(ContractViolation, match=r"broken.yml: invalid contract\n  - description: Field required"):
            load_contract("silver", "broken")
    finally:
        monkeypatch.delenv("LAKEHOUSE_INV_PROJECT_ROOT")
        resources.project_root.cache_clear()
        load_contract.cache_clear()


NUMBERS = Contract(
    table="sales",
    layer="silver",
    description="test",
    grain="one row per transaction_id",
    keys=["transaction_id"],
    numbers={"max_abs": 1e9},
    checks=[
        Check(name="price_non_negative", column="price", min=0),
        Check(name="units_plausible", column="units", max=100000),
    ],
)


def test_non_finite_values_fail_every_float_column(spark):
    # Spark orders NaN above every number: `price < 0` never fires, so the min check alone let NaN through
    rows = spark.createDataFrame(
        [
            ("T1", 1, 2.5, 0.5),
            ("T2", 1, float("nan"), 0.5),
            ("T3", 1, float("inf"), 0.5),
            ("T4", 1, 2.5, float("-inf")),
        ],
        "transaction_id string, units bigint, price double, cost double",
    )
    checked = evaluate_checks(
        rows, NUMBERS.model_copy(update={"numbers": NumberRules()}), as_of=AS_OF, reference=lambda _: None
    )
    expected = spark.createDataFrame(
        [
            ("T1", []),
            ("T2", ["[finite] price=NaN is not a finite number"]),
            ("T3", ["[finite] price=Infinity is not a finite number"]),
            ("T4", ["[finite] cost=-Infinity is not a finite number"]),
        ],
        f"transaction_id string, {ERRORS} array<string>",
    )
    assert_df_equality(_errors_by_id(checked), expected, ignore_nullable=True)


def test_implausible_magnitudes_fail_with_the_column_and_value(spark):
    rows = spark.createDataFrame(
        [("T1", 100000, 2.5, 0.5), ("T2", 2000000000, 2.5, 0.5), ("T3", 1, 1e12, -2e9)],
        "transaction_id string, units bigint, price double, cost double",
    )
    checked = evaluate_checks(rows, NUMBERS, as_of=AS_OF, reference=lambda _: None)
    expected = spark.createDataFrame(
        [
            ("T1", []),
            ("T2", ["[units_plausible] units=2000000000 above maximum 100000"]),
            (
                "T3",
                [
                    "[plausible] cost=-2.0E9 is below the plausible bound -1e+09 (numbers.max_abs in silver/sales.yml)",
                    "[plausible] price=1.0E12 is above the plausible bound 1e+09 (numbers.max_abs in silver/sales.yml)",
                ],
            ),
        ],
        f"transaction_id string, {ERRORS} array<string>",
    )
    assert_df_equality(_errors_by_id(checked), expected, ignore_nullable=True)


def test_a_value_that_does_not_fit_the_target_type_fails_instead_of_overflowing_the_write(spark):
    rows = spark.createDataFrame(
        [("T1", 2147483647, 1.0), ("T2", 4000000000, 1.0)], "transaction_id string, units bigint, price double"
    )
    schema = spark.createDataFrame([], "transaction_id string not null, units int, price decimal(6,2)").schema
    checked = evaluate_checks(
        rows.union(spark.createDataFrame([("T3", 1, 1e5)], rows.schema)),
        NUMBERS.model_copy(update={"numbers": NumberRules(), "checks": []}),
        as_of=AS_OF,
        reference=lambda _: None,
        target_schema=schema,
    )
    expected = spark.createDataFrame(
        [
            ("T1", []),
            ("T2", ["[fits_type] units=4000000000 does not fit int of silver.sales"]),
            ("T3", ["[fits_type] price=100000.0 does not fit decimal(6,2) of silver.sales"]),
        ],
        f"transaction_id string, {ERRORS} array<string>",
    )
    assert_df_equality(_errors_by_id(checked), expected, ignore_nullable=True)


def test_silver_contracts_bound_every_numeric_column():
    for table in table_names("silver"):
        contract = load_contract("silver", table)
        assert contract.numbers.finite, table
        if contract.source and "bronze" in contract.source:
            assert contract.numbers.max_abs == 1e9, f"silver/{table}.yml: numbers.max_abs"
    sales = {c.column: c.max for c in load_contract("silver", "sales").checks if c.max is not None}
    assert sales == {"units": 100000, "unit_price": 1000000}


def test_cross_table_checks_name_the_check_and_the_offending_values(spark):
    """A delivery must reference a known order and agree with it: same store, product and supplier, not earlier.
    Only a row whose sole failures are missing references waits for them (is held)."""
    orders = spark.createDataFrame(
        [("O1", "S1", "P1", "V1", dt.date(2025, 3, 10))],
        "order_id string, store_id string, product_id string, supplier_id string, order_date date",
    )
    contract = Contract(
        table="deliveries",
        layer="silver",
        description="d",
        grain="g",
        keys=["delivery_id"],
        text=TextRules(max_length=8),
        checks=[
            Check(name="known_order", foreign_key={"columns": ["order_id"], "table": "silver.orders"}),
            Check(
                name="same_as_order",
                agrees_with={"table": "silver.orders", "keys": ["order_id"], "equal": ["store_id", "product_id"]},
            ),
            Check(
                name="after_order",
                agrees_with={
                    "table": "silver.orders",
                    "keys": ["order_id"],
                    "columns": ["order_date"],
                    "expression": "delivery_date >= ref_order_date",
                },
                message="delivered before ordered",
            ),
        ],
    )
    rows = spark.createDataFrame(
        [
            ("D1", "O1", "S1", "P1", dt.date(2025, 3, 12)),  # agrees
            ("D2", "O1", "S1", "P2", dt.date(2025, 3, 12)),  # another product
            ("D3", "O1", "S1", "P1", dt.date(2025, 3, 9)),  # before its order
            ("D4", "O9", "S1", "P1", dt.date(2025, 3, 9)),  # unknown order: waits for it
            ("D5" + "x" * 100_000, "O1", "S1", "P1", dt.date(2025, 3, 12)),  # a 100 KB id
        ],
        "delivery_id string, order_id string, store_id string, product_id string, delivery_date date",
    )
    checked = evaluate_checks(rows, contract, as_of=AS_OF, reference=lambda _: orders)
    assert sorted(checked.columns) == sorted([*rows.columns, ERRORS])
    found = {
        r.delivery_id[:2]: (r[ERRORS], r.waiting)
        for r in checked.withColumn("waiting", waits_for_reference(F.col(ERRORS))).collect()
    }
    assert found["D1"] == ([], False)
    assert found["D2"] == (
        ["[same_as_order] product_id=P2 differs from silver.orders product_id=P1 for order_id=O1"],
        False,
    )
    assert found["D3"] == (
        [
            "[after_order] delivered before ordered against silver.orders "
            "(delivery_date=2025-03-09, ref_order_date=2025-03-10; order_id=O1)"
        ],
        False,
    )
    assert found["D4"] == (["[known_order] unknown key in silver.orders: order_id=O9"], True)
    assert found["D5"] == (
        [
            f"[length] delivery_id='D5{'x' * 38}...' is 100002 characters, more than 8 "
            "(text.max_length in silver/deliveries.yml)"
        ],
        False,
    )
