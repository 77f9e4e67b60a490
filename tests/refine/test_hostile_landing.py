"""Corrupted landing files of 20 kinds on a tiny world (2 stores x 4 products x 2 days), run day by day as the
daily job does and then once more with ``--full-refresh``.

Every corrupted row is known by its transaction id (``HB..``) or store-product row, and its fate is asserted:
quarantined with a reason naming the column/check, never in silver; every good row (``HG..``) lands with its
values; nothing in bronze is unaccounted for; and the incremental tables equal the full refresh's.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil

import pandas as pd
import pytest
from pyspark.sql import functions as F

from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import resolve
from lakehouse_inv.refine.reconcile import unaccounted_rows

DAYS = [dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
AS_OF = DAYS[-1]
HOSTILE = "sales_2025-01-02_resend.csv"
HEADER = "transaction_id,store_id,product_id,transaction_ts,units,unit_price"
TS = "2025-01-02 10:00:00"

# transaction id -> text every one of its quarantine reasons must contain (the row itself is written below)
BAD = {
    "HB01": "[type] units='abc' is not a valid int",  # non-numeric
    "HB02": "[units_positive] units=-3 below minimum 1",  # negative
    "HB03": "[units_positive] units=0 below minimum 1",  # zero
    "HB04": "[units_plausible] units=2000000000 above maximum 100000",  # huge
    "HB05": "[price_plausible] unit_price=1.0E12 above maximum 1e+06",  # huge price
    "HB06": "[type] unit_price='NaN' is not a finite double",
    "HB07": "[type] unit_price='Infinity' is not a finite double",
    "HB08": "[type] unit_price='1e309' is not a finite double",
    "HB10": "[known_store_product] unknown key in silver.store_product: store_id=S999",
    "HB11": "unknown key in silver.store_product",  # unknown product
    "HB12": "[not_in_future] sale_date=2025-01-03 is after the run date 2025-01-02",
    "HB13": "[type] transaction_ts='2025-02-30 10:00:00' is not a valid timestamp",  # impossible date
    "HB14": "[type] transaction_ts='03/01/2025 10:00' is not a valid timestamp",  # wrong format
    "HB15": "[malformed]",  # an extra column
    "HB16": "[malformed]",  # a missing column
    "HB17": "[malformed]",  # a quoted field holding a line break
    "HB18": "[malformed]",  # a byte that is not UTF-8
    "HB19a": "[units_plausible]",  # two valid-INT sales of 2e9 units: their daily total overflowed INT
    "HB19b": "[units_plausible]",
    "HB20": "[malformed]",  # the file's last line, truncated
}


def _sales_file(s: str, p: str) -> bytes:
    good = [
        f"HG1,{s},{p},2025-01-02 09:00:00,2,1.50",
        f"HG2,{s},{p},2025-01-02 09:05:00,1,2.00",
        f'"HG3,a",{s},{p},2025-01-02 09:10:00,3,1.00',  # a quoted comma: a good row
        f"HDUP,{s},{p},2025-01-02 09:20:00,1,1.00",  # exact duplicate: one lands, one is quarantined
        f"HDUP,{s},{p},2025-01-02 09:20:00,1,1.00",
        f"HSAME,{s},{p},2025-01-02 09:30:00,2,1.00",  # same key, different values: the later line wins
        f"HSAME,{s},{p},2025-01-02 09:30:00,3,1.00",
        f"HNAN,{s},{p},2025-01-02 09:40:00,1,1.00",  # the good row must beat the later NaN row of its key
        f"HNAN,{s},{p},2025-01-02 09:40:00,1,NaN",
    ]
    bad = [
        f"HB01,{s},{p},{TS},abc,1.00",
        f"HB02,{s},{p},{TS},-3,1.00",
        f"HB03,{s},{p},{TS},0,1.00",
        f"HB04,{s},{p},{TS},2000000000,1.00",
        f"HB05,{s},{p},{TS},1,1e12",
        f"HB06,{s},{p},{TS},1,NaN",
        f"HB07,{s},{p},{TS},1,Infinity",
        f"HB08,{s},{p},{TS},1,1e309",
        f",{s},{p},{TS},1,1.00",  # empty key
        f"HB10,S999,{p},{TS},1,1.00",
        f"HB11,{s},P999,{TS},1,1.00",
        f"HB12,{s},{p},2025-01-03 10:00:00,1,1.00",
        f"HB13,{s},{p},2025-02-30 10:00:00,1,1.00",
        f"HB14,{s},{p},03/01/2025 10:00,1,1.00",
        f"HB15,{s},{p},{TS},1,1.00,oops",
        f"HB16,{s},{p},{TS},1",
        f'"HB17\nb",{s},{p},{TS},1,1.00',
        f"HB19a,{s},{p},{TS},2000000000,1.00",
        f"HB19b,{s},{p},{TS},2000000000,1.00",
    ]
    text = "\n".join([HEADER, *good, *bad]) + "\n"
    return (
        text.encode()
        + f"HB18-caf\xe9,{s},{p},{TS},1,1.00\n".encode("latin-1")
        + f"HB20,{s},{p},2025-01-02 1".encode()  # truncated: no newline, fields missing
    )


def _copy_day(staging, landing, day: dt.date) -> None:
    for path in staging.rglob(f"*_{day.isoformat()}.*"):
        target = landing / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


# the derived tables a daily increment and a full refresh must build alike (and the silver table they come from)
SNAPSHOT = (("silver", "sales"), ("silver", "daily_demand"), ("gold", "daily_sales"), ("gold", "inventory_status"))


def _snapshot(ctx) -> dict[str, list]:
    out = {}
    for layer, table in SNAPSHOT:
        df = ctx.read(layer, table)
        business = sorted(c for c in df.columns if not c.startswith("_"))
        out[f"{layer}.{table}"] = sorted(map(repr, df.select(*business).collect()))
    return out


def _run(ctx, steps, day, **options):
    ctx.as_of, ctx.run_id, ctx.options = day, f"hostile-{day}-{len(options)}", options
    reports = run_steps(ctx, resolve(steps), out=lambda *_: None)
    assert all(r.ok for r in reports), [r.error for r in reports]
    return reports


@pytest.fixture(scope="module")
def world(make_context):
    staging = make_context(days=len(DAYS), dirty_row_share=0.0)
    run_steps(staging, resolve(["simulate"]), out=lambda *_: None)
    src = staging.landing_dir
    products = pd.read_csv(src / "store_products" / "store_products_2025-01-01.csv", dtype=str, keep_default_na=False)
    pairs = list(zip(products.store_id, products.product_id, strict=True))
    s, p = pairs[0]

    # Item 4 gets a new shelf price on day 2; without sales on day 1 its avg_price there is the shelf price, which
    # only a rebuild from the series' first date refreshes (no lookback: day 2's run rebuilds day 2 only).
    s4, p4 = pairs[3]
    day1 = src / "sales" / "sales_2025-01-01.csv"
    sales = pd.read_csv(day1, dtype=str, keep_default_na=False)
    sales[~((sales.store_id == s4) & (sales.product_id == p4))].to_csv(day1, index=False)

    changed = products.iloc[[0, 1, 2, 2, 3, 3]].copy()
    changed.iloc[0, changed.columns.get_loc("price")] = "NaN"  # item 1: NaN price
    changed.iloc[1, changed.columns.get_loc("missed_sale_cost")] = "Infinity"  # item 2: infinite cost
    changed.iloc[2, changed.columns.get_loc("price")] = "1e12"  # item 3: an implausible price, then a good row
    new_price = f"{float(products.price.iloc[3]) + 0.5:.2f}"
    changed.iloc[4, changed.columns.get_loc("price")] = new_price  # item 4: a good new price, then a NaN row
    changed.iloc[5, changed.columns.get_loc("price")] = "NaN"
    changed.to_csv(src / "store_products" / "store_products_2025-01-02.csv", index=False)
    (src / "sales" / HOSTILE).write_bytes(_sales_file(s, p))
    (src / "sales" / "sales_2025-01-02_empty.csv").write_bytes(b"")
    (src / "sales" / "sales_2025-01-02_header.csv").write_text(HEADER + "\n")

    ctx = make_context(days=len(DAYS), dirty_row_share=0.0)
    ctx.configs["pipeline"] = ctx.pipeline.model_copy(update={"daily_demand_lookback_days": 0})
    for day in DAYS:
        _copy_day(src, ctx.landing_dir, day)
        if day == AS_OF:
            for name in (HOSTILE, "sales_2025-01-02_empty.csv", "sales_2025-01-02_header.csv"):
                shutil.copy(src / "sales" / name, ctx.landing_dir / "sales" / name)
        ctx.reports = _run(ctx, ["ingest", "refine", "gold"], day)
    ctx.incremental = _snapshot(ctx)
    _run(ctx, ["refine", "gold"], AS_OF, full_refresh=True)
    ctx.full = _snapshot(ctx)
    ctx.pairs, ctx.products, ctx.new_price = pairs, products, float(new_price)
    return ctx


def _quarantined(ctx, table: str) -> list[tuple[str, list[str]]]:
    rows = ctx.read("silver", "quarantine").where(F.col("target_table") == f"silver.{table}").collect()
    return [(r.record, r.errors) for r in rows]


@pytest.fixture(scope="module")
def fates(world):
    """(quarantined sales: transaction id -> [errors of each quarantined row], silver sales by transaction id)."""
    quarantined: dict[str | None, list[list[str]]] = {}
    for record, errors in _quarantined(world, "sales"):
        quarantined.setdefault(json.loads(record).get("transaction_id"), []).append(errors)
    return quarantined, {r.transaction_id: r for r in world.read("silver", "sales").collect()}


def test_the_daily_runs_succeed_and_every_bronze_row_is_in_silver_or_quarantine(world):
    assert {r.step for r in world.reports} == {"ingest", "refine", "gold"}
    for table in ("sales", "store_product"):
        assert unaccounted_rows(world, table).count() == 0, table
    bronze = world.read("bronze", "sales").where(F.col("_source_file").endswith(HOSTILE)).count()
    assert bronze == 9 + 19 + 2  # good + bad lines + the non-UTF-8 and truncated last lines


@pytest.mark.parametrize("tid", sorted(BAD))
def test_each_corrupted_row_is_quarantined_with_its_reason_and_not_in_silver(fates, tid):
    quarantined, silver = fates
    matches = [errors for key, found in quarantined.items() if key and key.startswith(tid) for errors in found]
    assert len(matches) == 1, (tid, matches)
    assert any(BAD[tid] in e for e in matches[0]), (tid, matches[0])
    assert not any(k.startswith(tid) for k in silver)


def test_an_empty_key_is_quarantined(fates):
    errors = fates[0].get(None, [])
    assert len(errors) == 1 and "[not_null] transaction_id is null" in errors[0]


def test_a_line_break_inside_a_quoted_field_never_becomes_a_row_of_its_own(world, fates):
    assert not [k for k in fates[1] if k.startswith("b")]
    assert world.read("bronze", "sales").where(F.col("transaction_id").startswith("b")).count() == 0


def test_a_non_utf8_byte_is_quarantined_with_the_raw_byte_kept(world):
    record = next(r for r, _ in _quarantined(world, "sales") if "HB18" in r)
    assert "\\xe9" in record  # escaped, not replaced
    assert "\ufffd" not in record


def test_good_rows_land_with_their_values(fates):
    sales = fates[1]
    got = {tid: (sales[tid].units, sales[tid].unit_price) for tid in ("HG1", "HG2", "HG3,a", "HDUP", "HSAME", "HNAN")}
    assert got == {
        "HG1": (2, 1.5),
        "HG2": (1, 2.0),
        "HG3,a": (3, 1.0),
        "HDUP": (1, 1.0),
        "HSAME": (3, 1.0),
        "HNAN": (1, 1.0),
    }


def test_duplicates_keep_one_deterministic_winner_and_name_it(fates):
    quarantined = fates[0]
    for tid in ("HDUP", "HSAME"):
        (errors,) = quarantined[tid]
        kept = f"[unique] duplicate of key transaction_id={tid}; kept the row of {HOSTILE}"
        assert len(errors) == 1 and (errors[0] == kept or errors[0].startswith(f"{kept} line ")), errors
    (nan_errors,) = quarantined["HNAN"]  # failed its checks: never competes, so never shadows the good row
    assert "[type] unit_price='NaN' is not a finite double" in nan_errors
    assert not [e for e in nan_errors if e.startswith("[unique]")]


def test_daily_totals_count_every_valid_sale(world):
    s, p = world.pairs[0]
    sales = world.read("silver", "sales").where(
        (F.col("store_id") == s) & (F.col("product_id") == p) & (F.col("sale_date") == F.lit(AS_OF))
    )
    expected = sales.agg(F.sum("units").alias("u"), F.sum("revenue").alias("r"), F.count("*").alias("n")).first()
    key = (F.col("store_id") == s) & (F.col("product_id") == p) & (F.col("date") == F.lit(AS_OF))
    demand = world.read("silver", "daily_demand").where(key).first()
    gold = world.read("gold", "daily_sales").where(key).first()
    assert (demand.units_sold, demand.transactions) == (expected.u, expected.n)
    assert math.isclose(demand.revenue, expected.r, abs_tol=0.005) and demand.revenue > 0
    assert (gold.units, gold.revenue) == (demand.units_sold, demand.revenue)


def test_bad_store_product_rows_are_quarantined_and_the_good_rows_stay(world):
    silver = {(r.store_id, r.product_id): r for r in world.read("silver", "store_product").collect()}
    original = world.products.set_index(["store_id", "product_id"])
    for pair in world.pairs[:3]:
        assert silver[pair].price == float(original.loc[pair, "price"]), pair
        assert silver[pair].missed_sale_cost == float(original.loc[pair, "missed_sale_cost"]), pair
    assert silver[world.pairs[3]].price == world.new_price
    reasons = sorted(e for _, errors in _quarantined(world, "store_product") for e in errors)
    assert reasons == [
        "[price_plausible] price=1.0E12 above maximum 1e+06",
        "[type] missed_sale_cost='Infinity' is not a finite double",
        "[type] price='NaN' is not a finite double",
        "[type] price='NaN' is not a finite double",
    ]


def test_incremental_runs_equal_a_full_refresh(world):
    assert world.incremental == world.full
    s4, p4 = world.pairs[3]
    key = (F.col("store_id") == s4) & (F.col("product_id") == p4) & (F.col("date") == F.lit(DAYS[0]))
    day1 = world.read("silver", "daily_demand").where(key).first()
    assert (day1.units_sold, day1.avg_price) == (0, world.new_price)
