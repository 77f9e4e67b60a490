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

from lakehouse_inv.lakehouse.writes import merge_into
from lakehouse_inv.pipeline.options import RunOptions
from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import resolve
from lakehouse_inv.refine.job import RefineRun
from lakehouse_inv.refine.job import run as refine_step
from lakehouse_inv.refine.reconcile import unaccounted_rows
from lakehouse_inv.refine.tables import SPECS
from lakehouse_inv.spark import spark_work

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
    "HB21": "[type] unit_price='1e-400' is not zero but rounds to 0 as a double (underflow)",
    "HB22": "[length] transaction_id='HB22xxx",  # a 100 KB id
    "HB23": "[malformed]",  # an unclosed quote: costs its own line only (HG4 after it lands)
    "HB24": "[malformed]",  # a NUL byte: costs its own line only (HG5 after it lands)
    "HB25": "[plausible_date] sale_date=1900-01-01 is more than 3650 days before the run date 2025-01-02",
    "HB26": "[known_store] unknown key in silver.stores: store_id=S999",
    "HB27": "[plausible_date] sale_date=2024-12-31 is before store ",  # before its store's open_date
    "HB28": "[not_in_future] sale_date=2025-01-03",  # 00:30 local on the day after --as-of
}
LATE_PRODUCT = "P-LATE"  # in the master data of day 2 only; a day-1 sale of it waits in quarantine until then
TZ = "America/New_York"  # the first store's time zone (the other store has none: the chain's, UTC)


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
        f"HG6,{s},{p},2025-01-01T22:30:00-05:00,1,1.00",  # 03:30 UTC on 01-02, but 01-01 in the store
        f"HG7,{s},{p},2025-01-02T23:30:00-05:00,1,1.00",  # after midnight UTC of --as-of, local --as-of: not future
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
        f"HB21,{s},{p},{TS},1,1e-400",
        f"HB22{'x' * 100_000},{s},{p},{TS},1,1.00",
        f'"HB23,{s},{p},{TS},1,1.00',
        f"HG4,{s},{p},2025-01-02 11:00:00,1,1.00",
        f"HB24,{s},{p}\x00,{TS},1,1.00",
        f"HG5,{s},{p},2025-01-02 11:05:00,1,1.00",
        f"HB25,{s},{p},1900-01-01 10:00:00,1,1.00",
        f"HB26,S999,{p},{TS},1,1.00",
        f"HB27,{s},{p},2024-12-31 10:00:00,1,1.00",
        f"HB28,{s},{p},2025-01-03T05:30:00+00:00,1,1.00",
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
    ctx.as_of, ctx.run_id, ctx.options = day, f"hostile-{day}-{len(options)}", RunOptions(**options)
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

    # Master data: the first store has its own time zone and an open date; the other store neither.
    stores_file = src / "stores" / "stores_2025-01-01.csv"
    stores = pd.read_csv(stores_file, dtype=str, keep_default_na=False)
    stores["open_date"] = ["2025-01-01" if sid == s else "" for sid in stores.store_id]
    stores["timezone"] = [TZ if sid == s else "" for sid in stores.store_id]
    stores.to_csv(stores_file, index=False)
    # A product whose master rows arrive on day 2, after a day-1 sale of it.
    catalog = pd.read_csv(src / "products" / "products_2025-01-01.csv", dtype=str, keep_default_na=False)
    late = catalog[catalog.product_id == p].assign(product_id=LATE_PRODUCT)
    late.to_csv(src / "products" / "products_2025-01-02.csv", index=False)

    # Item 4 gets a new shelf price on day 2; without sales on day 1 its avg_price there is the shelf price, which
    # only a rebuild from the series' first date refreshes (no lookback: day 2's run rebuilds day 2 only).
    s4, p4 = pairs[3]
    day1 = src / "sales" / "sales_2025-01-01.csv"
    sales = pd.read_csv(day1, dtype=str, keep_default_na=False)
    sales = sales[~((sales.store_id == s4) & (sales.product_id == p4))]
    held = dict.fromkeys(sales.columns, "") | {
        "transaction_id": "HL1",
        "store_id": s,
        "product_id": LATE_PRODUCT,
        "transaction_ts": "2025-01-01 12:00:00",
        "units": "1",
        "unit_price": "1.00",
    }
    pd.concat([sales, pd.DataFrame([held])]).to_csv(day1, index=False)

    # Facts wrong against other tables: an order of the first item, deliveries disagreeing with it, a stock count
    # of a batch that expired before the count.
    terms = pd.read_csv(
        src / "store_product_suppliers" / "store_product_suppliers_2025-01-01.csv", dtype=str, keep_default_na=False
    )
    v = terms[(terms.store_id == s) & (terms.product_id == p)].supplier_id.iloc[0]
    order = {"order_id": "OH1", "store_id": s, "product_id": p, "supplier_id": v, "order_date": "2025-01-02"}
    order |= {"quantity": "5", "unit_cost": "1.0", "expected_arrival_date": "2025-01-03"}
    (src / "orders" / "orders_2025-01-02.hostile.json").write_text(json.dumps(order) + "\n")
    delivery = {"store_id": s, "product_id": p, "supplier_id": v, "order_id": "OH1", "quantity_received": "5"}
    deliveries = [
        delivery | {"delivery_id": "DG1", "delivery_date": "2025-01-02"},
        delivery | {"delivery_id": "DB1", "delivery_date": "2025-01-02", "product_id": pairs[1][1]},
        delivery | {"delivery_id": "DB2", "delivery_date": "2025-01-02", "store_id": "S999"},
        delivery | {"delivery_id": "DB3", "delivery_date": "2025-01-01"},
    ]
    text = "".join(json.dumps(d) + "\n" for d in deliveries)
    (src / "deliveries" / "deliveries_2025-01-02.hostile.json").write_text(text)
    counts = pd.read_csv(src / "inventory" / "inventory_2025-01-01.csv", dtype=str, keep_default_na=False).head(1)
    expired = counts.assign(store_id=s, product_id=p, snapshot_date="2025-01-02", expiry_date="2024-12-01")
    expired.to_csv(src / "inventory" / "inventory_2025-01-02.hostile.csv", index=False)

    changed = products.iloc[[0, 1, 2, 2, 3, 3, 0]].copy()
    changed.iloc[6, changed.columns.get_loc("product_id")] = LATE_PRODUCT
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
    ctx.run_id, ctx.options = "hostile-nothing-new", RunOptions()
    with spark_work(ctx.spark) as work:  # the step alone: run_steps would add the gold.job_runs row's write
        ctx.nothing_new = refine_step(ctx)
    ctx.nothing_new_work, ctx.after_nothing_new = work, _snapshot(ctx)
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
    for table in ("sales", "store_product", "deliveries", "inventory_snapshot"):
        assert unaccounted_rows(world, table).count() == 0, table
    bronze = world.read("bronze", "sales").where(F.col("_source_file").endswith(HOSTILE)).count()
    assert bronze == 11 + 2 + 27 + 2  # good + good after broken lines + bad + the non-UTF-8 and truncated last lines


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
    assert {tid: sales[tid].units for tid in ("HG4", "HG5")} == {"HG4": 1, "HG5": 1}  # after broken lines
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


# Spark jobs a refine may run when nothing changed since the last run: every stream, the held-row re-check and the
# daily_demand rebuild are skipped after a listing of each table's Delta log. Measured: see the test.
NOTHING_NEW_JOBS = 2


def test_a_refine_with_nothing_new_runs_almost_no_spark_job_and_changes_nothing(world):
    assert world.nothing_new.rows_in == 0 and world.nothing_new.rows_out == 0, world.nothing_new
    assert world.nothing_new_work.jobs <= NOTHING_NEW_JOBS, world.nothing_new_work
    assert world.after_nothing_new == world.full


def test_incremental_runs_equal_a_full_refresh(world):
    assert world.incremental == world.full
    s4, p4 = world.pairs[3]
    key = (F.col("store_id") == s4) & (F.col("product_id") == p4) & (F.col("date") == F.lit(DAYS[0]))
    day1 = world.read("silver", "daily_demand").where(key).first()
    assert (day1.units_sold, day1.avg_price) == (0, world.new_price)


def test_a_sale_whose_product_arrives_later_is_held_then_lands_exactly_once(world):
    """HL1 (day 1) names a product whose master rows land on day 2: held for the missing references on day 1,
    re-checked and released by day 2's run; the full-refresh run after it changes nothing."""
    sales = world.read("silver", "sales").where(F.col("transaction_id") == "HL1").collect()
    assert [(r.product_id, r.sale_date) for r in sales] == [(LATE_PRODUCT, DAYS[0])]
    (held,) = world.read("silver", "quarantine").where(F.col("record").contains('"HL1"')).collect()
    assert held.target_table == "silver.sales" and held._run_id == f"hostile-{DAYS[0]}-0"
    assert any("[known_product] unknown key in silver.products" in e for e in held.errors), held.errors
    assert (held.held, held.released_run_id) == (False, f"hostile-{AS_OF}-0")
    rechecked = [r for r in world.reports if r.step == "refine"]
    assert "1 released" in rechecked[-1].result.message, rechecked[-1].result.message


def test_facts_that_disagree_with_their_order_or_count_are_quarantined_with_the_values(world):
    reasons = {}
    for table in ("deliveries", "inventory_snapshot"):
        for record, errors in _quarantined(world, table):
            reasons[json.loads(record).get("delivery_id", table)] = errors
    s, p = world.pairs[0]
    other = world.pairs[1][1]
    assert (
        f"[same_as_order] product_id={other} differs from silver.orders product_id={p} for order_id=OH1"
        in (reasons["DB1"])
    )
    assert "[known_store] unknown key in silver.stores: store_id=S999" in reasons["DB2"]
    assert (
        "[same_as_order] store_id=S999 differs from silver.orders store_id=" + s + " for order_id=OH1"
        in (reasons["DB2"])
    )
    assert reasons["DB3"] == [
        "[delivered_after_order] delivery_date is before the order's order_date against silver.orders "
        "(delivery_date=2025-01-01, ref_order_date=2025-01-02; order_id=OH1)"
    ]
    assert reasons["inventory_snapshot"] == [
        "[expiry_not_before_count] the counted batch expired before the count "
        "(expiry_date=2024-12-01, snapshot_date=2025-01-02)"
    ]
    assert [r.delivery_id for r in world.read("silver", "deliveries").where(F.col("order_id") == "OH1").collect()] == [
        "DG1"
    ]


def test_business_dates_are_local_and_zero_filling_starts_at_the_plausible_first_day(world, fates):
    sales = fates[1]
    assert (sales["HG6"].sale_date, str(sales["HG6"].transaction_ts)) == (DAYS[0], "2025-01-01 22:30:00")
    assert sales["HG7"].sale_date == AS_OF  # 04:30 UTC on the next day, 23:30 on --as-of in the store
    s, p = world.pairs[0]
    first = (
        world.read("silver", "daily_demand")
        .where((F.col("store_id") == s) & (F.col("product_id") == p))
        .agg(F.min("date"))
        .first()[0]
    )
    assert first == DAYS[0]  # not 1900 (HB25) nor the day before the store opened (HB27)
    assert world.read("silver", "daily_demand").where(F.col("date") < F.lit(DAYS[0])).count() == 0


# Last in the module: it writes a row into silver.store_product.
def test_held_rows_are_checked_again_only_when_a_key_they_miss_arrives(world):
    """HB10 waits for store S999's assortment row. Other store_product rows written after it was held (day 2's
    changes) do not make its re-check due; that key's row does. Until a table the sales reference commits again,
    the held sales are not even looked at; deliveries reference the orders, which did not change either."""
    tables = list(SPECS)
    (hb10,) = [r for r in _quarantined(world, "sales") if '"HB10"' in r[0] or "HB10," in r[0]]
    assert any("unknown key in silver.store_product: store_id=S999" in e for e in hb10[1]), hb10
    settled = RefineRun(world, tables)
    assert not settled.recheck_due("sales")
    assert not any(settled.parents_moved(t) for t in ("sales", "deliveries", "store_storage"))
    product = json.loads(hb10[0])["product_id"] if hb10[0].startswith("{") else hb10[0].split(",")[2]
    arrived = (
        world.read("silver", "store_product")
        .limit(1)
        .withColumns({"store_id": F.lit("S999"), "product_id": F.lit(product)})
        .drop("_run_id", "_updated_at")
    )
    merge_into(world.spark, arrived, world.table("silver", "store_product"), ["store_id", "product_id"], run_id="x")
    moved = RefineRun(world, tables)
    assert moved.parents_moved("sales") and moved.parents_moved("deliveries") and moved.recheck_due("sales")
    assert not moved.parents_moved("store_storage")  # its parent, the stores, did not change
