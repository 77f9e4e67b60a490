"""export-orders: malformed requests end with one ``error:`` line and exit 2, never a partial or stale-looking file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lakehouse_inv.generate_orders.export import main, run_export

DAY = dt.date(2025, 12, 1)


def args(output: Path, start: str = "2025-12-01", end: str = "2025-12-31", store: str = "S01") -> list[str]:
    return ["--store", store, "--from", start, "--to", end, "--output", str(output)]


@pytest.mark.parametrize("bad", ["2025-13-01", "20251201", "2025-12-1", "yesterday"])
def test_a_bad_date_names_the_option_and_the_value(tmp_path: Path, capsys, bad: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(args(tmp_path / "orders.csv", start=bad))
    assert stopped.value.code == 2
    assert f"argument --from: not a YYYY-MM-DD date: '{bad}'" in capsys.readouterr().err
    assert not (tmp_path / "orders.csv").exists()


def test_from_after_to_and_empty_store_list_exit_2(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(args(tmp_path / "orders.csv", start="2025-12-31", end="2025-12-01"))
    assert stopped.value.code == 2 and "--to 2025-12-01 is before --from 2025-12-31" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        main(args(tmp_path / "orders.csv", store=" , "))
    assert stopped.value.code == 2 and "--store: no store id" in capsys.readouterr().err


def test_an_unwritable_output_is_reported_before_any_work(tmp_path: Path, capsys) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    assert main(args(tmp_path / "a-file" / "orders.csv")) == 2
    assert capsys.readouterr().err == f"error: cannot write {tmp_path / 'a-file' / 'orders.csv'}: " + (
        f"{tmp_path / 'a-file'} is not a directory\n"
    )
    assert main(args(tmp_path)) == 2
    assert capsys.readouterr().err == f"error: cannot write {tmp_path}: is a directory\n"


# ----- against a tiny warehouse --------------------------------------------------------------------------------------


def _order(ctx, store: str, product: str, day: dt.date, policy: str = "sQ", recommended: bool = True) -> dict:
    return {
        "order_id": f"{policy}-{store}-{product}-{day}",
        "policy_id": policy,
        "store_id": store,
        "product_id": product,
        "supplier_id": "V1",
        "order_date": day,
        "need": 4.0,
        "quantity": 4.0,
        "unit_cost": 2.5,
        "order_value": 10.0,
        "lead_time_days": 2,
        "expected_arrival_date": day + dt.timedelta(days=2),
        "status": "placed",
        "reason": None,
        "inventory_position": 1.0,
        "on_hand": 1.0,
        "on_order": 0.0,
        "parameters_as_of": day,
        "recommended": recommended,
        "_run_id": ctx.run_id,
        "_updated_at": dt.datetime(2025, 12, 1),
    }


@pytest.fixture(scope="module")
def warehouse_ctx(make_context):
    """gold.orders with three recommended sQ orders (S01 twice, S02 once) and one RS order of S01 that is not
    recommended, and silver.stores with S01, S02."""
    ctx = make_context()
    spark = ctx.spark
    ctx.catalog.ensure_tables(spark, "gold", ["orders"])
    ctx.catalog.ensure_tables(spark, "silver", ["stores"])
    orders = [
        _order(ctx, "S01", "P1", DAY),
        _order(ctx, "S01", "P2", DAY + dt.timedelta(days=3)),
        _order(ctx, "S02", "P1", DAY),
        _order(ctx, "S01", "P1", DAY, policy="RS", recommended=False),
    ]
    schema = ctx.catalog.schema(spark, "gold", "orders")
    spark.createDataFrame([tuple(o[f.name] for f in schema) for o in orders], schema).write.insertInto(
        ctx.table("gold", "orders")
    )
    spark.sql(f"INSERT INTO {ctx.table('silver', 'stores')} (store_id) VALUES ('S01'), ('S02')")
    return ctx


def test_missing_tables_are_named(make_context, tmp_path: Path, capsys) -> None:
    ctx = make_context()  # its schemas hold no table
    output = tmp_path / "orders.csv"
    assert run_export(ctx, ["S01"], DAY, DAY, None, output) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: table {ctx.table('gold', 'orders')} does not exist in the warehouse")
    assert err.count("\n") == 1 and not output.exists()


def test_an_unknown_store_exits_2_and_keeps_the_previous_file(warehouse_ctx, tmp_path: Path, capsys) -> None:
    output = tmp_path / "orders.csv"
    output.write_text("previous export\n")
    assert run_export(warehouse_ctx, ["S01", "S77"], DAY, DAY + dt.timedelta(days=30), None, output) == 2
    assert capsys.readouterr().err.startswith("error: unknown store id(s) S77 (not in ")
    assert output.read_text() == "previous export\n"


def test_a_good_request_replaces_the_file_with_the_selected_orders(warehouse_ctx, tmp_path: Path) -> None:
    output = tmp_path / "orders.csv"
    output.write_text("previous export\n")
    assert run_export(warehouse_ctx, ["S01"], DAY, DAY + dt.timedelta(days=2), None, output) == 0
    lines = output.read_text().splitlines()
    assert lines[0].startswith("order_id,policy_id,store_id,product_id")
    assert [line.split(",")[0] for line in lines[1:]] == ["sQ-S01-P1-2025-12-01"]  # the recommended order only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv"]


def test_named_policies_export_their_orders_recommended_or_not(warehouse_ctx, tmp_path: Path) -> None:
    output = tmp_path / "orders.csv"
    assert run_export(warehouse_ctx, ["S01"], DAY, DAY, ["RS"], output) == 0
    assert [line.split(",")[0] for line in output.read_text().splitlines()[1:]] == ["RS-S01-P1-2025-12-01"]
    assert run_export(warehouse_ctx, ["S01"], DAY, DAY, ["RS", "sQ"], output) == 0
    assert len(output.read_text().splitlines()) == 3
