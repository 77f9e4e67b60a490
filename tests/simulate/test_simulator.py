from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.config import SimulatorConfig
from lakehouse_inv.simulate.job import SimulationConflict, simulate

CFG = SimulatorConfig(n_stores=2, n_brands=6, days=30, dirty_row_share=0.0)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "_simulator" not in p.parts
    }


def _read(root: Path, entity: str) -> pd.DataFrame:
    files = sorted((root / entity).glob("*"))
    if files[0].suffix == ".json":
        return pd.concat([pd.read_json(f, lines=True, dtype=False) for f in files if f.stat().st_size > 1])
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])


def test_same_seed_gives_identical_files_and_resuming_equals_one_run(tmp_path):
    simulate(CFG, tmp_path / "a", CFG.end_date)
    simulate(CFG, tmp_path / "b", CFG.end_date)
    simulate(CFG, tmp_path / "c", CFG.start_date + dt.timedelta(days=9))  # 10 days, then resume
    simulate(CFG, tmp_path / "c", CFG.end_date)
    a, b, c = (_digest(tmp_path / x) for x in "abc")
    assert a == b == c
    assert len([f for f in a if f.startswith("sales/")]) == 30


def test_another_seed_gives_other_data(tmp_path):
    simulate(CFG, tmp_path / "a", CFG.start_date + dt.timedelta(days=2))
    other = CFG.model_copy(update={"seed": 7})
    simulate(other, tmp_path / "b", other.start_date + dt.timedelta(days=2))
    assert (
        _digest(tmp_path / "a")["sales/sales_2025-01-01.csv"] != _digest(tmp_path / "b")["sales/sales_2025-01-01.csv"]
    )


def test_changed_settings_refuse_to_mix_with_existing_landing(tmp_path):
    simulate(CFG, tmp_path, CFG.start_date)
    with pytest.raises(SimulationConflict, match="make clean"):
        simulate(CFG.model_copy(update={"n_stores": 3}), tmp_path, CFG.end_date)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sim")
    simulate(CFG.model_copy(update={"days": 90}), root, CFG.start_date + dt.timedelta(days=89))
    return root


def test_sales_are_exactly_the_fulfilled_requests(world):
    requests = _read(world, "demand_requests")
    sales = _read(world, "sales")
    fulfilled = requests[requests["fulfilled"] == "True"]
    assert len(sales) == len(fulfilled)
    assert sorted(sales["transaction_ts"]) == sorted(fulfilled["requested_at"])
    assert (requests["requested_at"].str[11:13].astype(int) >= CFG.open_hour).all()
    assert (requests["requested_at"].str[11:13].astype(int) < CFG.close_hour).all()


def test_stockouts_happen_but_most_demand_is_served(world):
    requests = _read(world, "demand_requests")
    fill_rate = (requests["fulfilled"] == "True").mean()
    assert 0.75 < fill_rate < 0.999


def test_stock_is_never_negative_and_expired_batches_are_gone(world):
    inv = _read(world, "inventory")
    assert (inv["units"].astype(int) >= 0).all()
    dated = inv[inv["expiry_date"] != ""]
    assert len(dated) > 0, "the world should hold perishables"
    assert (pd.to_datetime(dated["expiry_date"]) > pd.to_datetime(dated["snapshot_date"])).all()


def test_orders_respect_supplier_terms_and_deliveries_match_orders(world):
    orders = _read(world, "orders")
    terms = pd.read_csv(next((world / "store_product_suppliers").glob("*.csv")))
    terms = terms[terms["is_primary"]]
    merged = orders.astype({"quantity": int}).merge(terms, on=["store_id", "product_id", "supplier_id"])
    assert len(merged) == len(orders)
    assert (merged["quantity"] % merged["qty_multiple"] == 0).all()
    assert (merged["quantity"] >= merged["min_order_qty"]).all()
    assert (merged["quantity"] <= merged["max_order_qty"]).all()
    deliveries = _read(world, "deliveries")
    assert set(deliveries["order_id"]) <= set(orders["order_id"])
    late = pd.to_datetime(deliveries.merge(orders, on="order_id")["delivery_date"]) > pd.to_datetime(
        deliveries.merge(orders, on="order_id")["expected_arrival_date"]
    )
    assert 0 < late.mean() < 0.5


def test_dirty_rows_are_injected_only_when_asked(tmp_path):
    dirty = CFG.model_copy(update={"dirty_row_share": 0.05})
    simulate(dirty, tmp_path, dirty.start_date + dt.timedelta(days=4))
    sales = _read(tmp_path, "sales")
    assert (sales["units"] == "-1").any() or (sales["store_id"] == "S999").any()
    assert sales["transaction_id"].duplicated().any()
    requests = _read(tmp_path, "demand_requests")
    assert not requests["request_id"].duplicated().any()


def test_a_day_without_a_single_request_simulates_empty_sales_and_requests():
    from lakehouse_inv.simulate.engine import _request_rows
    from lakehouse_inv.simulate.world import build_world

    cfg = SimulatorConfig(n_stores=1, n_brands=2, n_departments=1, n_suppliers=1, n_storage_spaces=1, days=1)
    world = build_world(cfg)
    none = np.zeros(world.n_series, dtype=np.int64)
    requests, sales = _request_rows(
        cfg, world, cfg.start_date, np.random.default_rng(0), none, none, np.ones(world.n_series)
    )
    assert requests.empty and sales.empty
