"""Write the simulated exports to ``landing/<entity>/`` the way a retailer's systems would drop them.

Master data arrive as CSV snapshots, daily facts as one CSV (POS, stock count, demand log) or JSON-lines
(ERP orders and deliveries) file per day. A small, seeded share of rows is deliberately damaged
(bad numbers, unknown ids, impossible timestamps, future dates, duplicates) so the quarantine has work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lakehouse_inv.simulate.engine import DayOutput
from lakehouse_inv.simulate.world import World

DIRTY_STREAM = 4


@dataclass(frozen=True)
class LandingEntity:
    name: str
    fmt: str  # "csv" | "json"
    daily: bool


MASTER_ENTITIES = (
    LandingEntity("stores", "csv", False),
    LandingEntity("store_storage", "csv", False),
    LandingEntity("departments", "csv", False),
    LandingEntity("brands", "csv", False),
    LandingEntity("products", "csv", False),
    LandingEntity("store_products", "csv", False),
    LandingEntity("suppliers", "csv", False),
    LandingEntity("store_product_suppliers", "csv", False),
)
DAILY_ENTITIES = (
    LandingEntity("sales", "csv", True),
    LandingEntity("inventory", "csv", True),
    LandingEntity("demand_requests", "csv", True),
    LandingEntity("orders", "json", True),
    LandingEntity("deliveries", "json", True),
)
# The simulator's ground truth is never damaged: evaluation relies on it.
DAMAGE = {
    "sales": {"units": "-1", "store_id": "S999", "transaction_ts": "2025-02-30 25:61:00", "unit_price": "n/a"},
    "inventory": {"units": "twelve", "product_id": ""},
    "orders": {"quantity": "-5", "product_id": "P999"},
    "deliveries": {"quantity_received": "x"},
}


def landing_file(root: Path, entity: LandingEntity, day: dt.date) -> Path:
    suffix = "json" if entity.fmt == "json" else "csv"
    return root / entity.name / f"{entity.name}_{day.isoformat()}.{suffix}"


def _write(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    """Write atomically (temp file + rename) so a streaming reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "json":
        frame.to_json(tmp, orient="records", lines=True, date_format="iso")
    else:
        frame.to_csv(tmp, index=False)
    tmp.replace(path)


def write_master(root: Path, world: World, as_of: dt.date) -> list[Path]:
    paths = []
    for entity in MASTER_ENTITIES:
        path = landing_file(root, entity, as_of)
        _write(getattr(world, entity.name), path, entity.fmt)
        paths.append(path)
    return paths


def damage_rows(frame: pd.DataFrame, entity: str, share: float, rng: np.random.Generator) -> pd.DataFrame:
    """Return ``frame`` with about ``share`` of its rows damaged and as many rows duplicated."""
    damage = DAMAGE.get(entity)
    if damage is None or share <= 0 or frame.empty:
        return frame
    out = frame.astype(object).copy()
    n_bad = rng.binomial(len(out), share)
    if n_bad:
        rows = rng.choice(len(out), n_bad, replace=False)
        columns = list(damage)
        for row in rows:
            column = columns[rng.integers(len(columns))]
            out.iat[row, out.columns.get_loc(column)] = damage[column]
    n_dup = rng.binomial(len(out), share)
    if n_dup:
        out = pd.concat([out, out.iloc[rng.choice(len(out), n_dup, replace=False)]], ignore_index=True)
    date_cols = [c for c in ("transaction_ts", "order_date") if c in out.columns]
    n_future = rng.binomial(len(out), share / 2)
    if date_cols and n_future:
        col = date_cols[0]
        for row in rng.choice(len(out), n_future, replace=False):
            value = str(out.iat[row, out.columns.get_loc(col)])
            if value[:4].isdigit():
                out.iat[row, out.columns.get_loc(col)] = str(int(value[:4]) + 2) + value[4:]
    return out


def write_day(root: Path, output: DayOutput, seed: int, dirty_share: float) -> list[Path]:
    rng = np.random.default_rng([seed, DIRTY_STREAM, output.day.toordinal()])
    paths = []
    for entity in DAILY_ENTITIES:
        frame = damage_rows(getattr(output, entity.name), entity.name, dirty_share, rng)
        path = landing_file(root, entity, output.day)
        _write(frame, path, entity.fmt)
        paths.append(path)
    return paths
