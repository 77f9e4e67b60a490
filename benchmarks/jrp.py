"""Joint replenishment (``jrp``) solve time per store x supplier partition and per item, without Spark.

The partitions are the simulated chain's own (``build_world`` of ``conf/base/simulator.yml``): the demo world
(6 stores x 20 products = 120 store-products) and the same chain at 10,000 store-products (500 stores). Each
store x supplier is solved by :func:`~lakehouse_inv.optimize.partition.optimize_partition`, the pandas function the
optimize step's grouped UDF runs, from the world's true mean demand per day (Poisson; a stand-in for the forecast,
which needs the whole pipeline), the primary supplier's terms (its lead time as the demand lead time L − 1, as the
optimize step passes it), lead-time spread and service level, the store's
costs, shelf lives and max inventory, and the supplier's shipment cost, delivery rhythm and shipment limits.

Reports per size: partitions, items, statuses, the candidate review periods scanned, wall seconds in all, per
partition (median, p90, max) and per item, and the 1-minute load average at its start and end. Single-threaded
like a Spark UDF. Writes ``benchmarks/results/jrp.json``
(``--output`` elsewhere, e.g. for a smoke run).

    python -m benchmarks.jrp [--sizes 120,10000] [--output path.json]
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.common import RESULTS, load_1min, machine, table  # noqa: E402
from lakehouse_inv.config import SimulatorConfig, load_config  # noqa: E402
from lakehouse_inv.optimize import PartitionSpec, optimize_partition  # noqa: E402
from lakehouse_inv.simulate.world import build_world  # noqa: E402

KEYS = ("store_id", "supplier_id", "product_id")
DEFAULT_SIZES = (120, 10_000)


def world_items(store_products: int) -> pd.DataFrame:
    """One row per store-product of the simulated chain with ``store_products`` store-products, in the jrp
    partition frame's columns."""
    cfg = load_config(SimulatorConfig, "simulator")
    per_store = cfg.n_brands * cfg.products_per_brand
    cfg = cfg.model_copy(update={"n_stores": max(1, round(store_products / per_store))})
    world = build_world(cfg)
    sp = world.store_products
    terms = world.store_product_suppliers[world.store_product_suppliers["is_primary"]].reset_index(drop=True)
    products = world.products.set_index("product_id").loc[sp["product_id"]]
    suppliers = world.suppliers.set_index("supplier_id").loc[terms["supplier_id"]]
    life = world.shelf_life.astype(float)

    def limit(column: str) -> np.ndarray:
        values = suppliers[column].to_numpy(dtype=float)
        return np.where(values > 0, values, np.nan)

    return pd.DataFrame(
        {
            "store_id": sp["store_id"].to_numpy(),
            "supplier_id": terms["supplier_id"].to_numpy(),
            "product_id": sp["product_id"].to_numpy(),
            "a": world.base_rate.round(4),
            "L": np.maximum(world.lead_time.astype(int), 1) - 1,  # the demand lead time the optimize step passes
            "L_ci": world.lead_time_ci.astype(int),
            "alpha": terms["service_level"].to_numpy(dtype=float),
            "h": sp["storage_cost"].to_numpy(dtype=float),
            "pi": sp["missed_sale_cost"].to_numpy(dtype=float),
            "W": (terms["unit_cost"] + sp["disposal_cost"]).to_numpy(dtype=float),
            "life": np.where(life > 0, life, np.nan),
            "min_inventory": sp["min_inventory"].to_numpy(dtype=float),
            "max_inventory": sp["max_inventory"].to_numpy(dtype=float),
            "product_volume": products["product_volume"].to_numpy(dtype=float),
            "unit_cost": terms["unit_cost"].to_numpy(dtype=float),
            "shipment_cost": suppliers["shipping_cost"].to_numpy(dtype=float),
            "delivery_every": world.review_days.astype(int),
            "min_shipment_volume": limit("min_shipping_volume"),
            "max_shipment_volume": limit("max_shipping_volume"),
            "max_shipment_value": limit("purchase_cost_budget"),
        }
    )


def run_size(store_products: int) -> dict[str, Any]:
    items = world_items(store_products)
    spec = PartitionSpec("jrp", key_columns=KEYS, time_limit_s=60.0)
    seconds: list[float] = []
    sizes: list[int] = []
    frames = []
    for _, group in items.groupby(["store_id", "supplier_id"], sort=True):
        started = time.perf_counter()
        frames.append(optimize_partition(group.reset_index(drop=True), spec))
        seconds.append(time.perf_counter() - started)
        sizes.append(len(group))
    result = pd.concat(frames, ignore_index=True)
    per_partition = np.array(seconds)
    total = float(per_partition.sum())
    return {
        "store_products": len(items),
        "partitions": len(seconds),
        "items_per_partition_median": float(np.median(sizes)),
        "statuses": result["status"].value_counts().to_dict(),
        "review_periods": result["review_period"].value_counts().sort_index().to_dict(),
        "seconds": total,
        "partition_ms_median": 1e3 * float(np.median(per_partition)),
        "partition_ms_p90": 1e3 * float(np.quantile(per_partition, 0.9)),
        "partition_ms_max": 1e3 * float(per_partition.max()),
        "item_ms": 1e3 * total / len(items),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.jrp", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="store-products per world")
    parser.add_argument("--output", type=Path, default=RESULTS / "jrp.json")
    args = parser.parse_args(argv)
    runs = []
    for size in args.sizes.split(","):
        load = load_1min()  # the figures hold only for a quiet machine: each size records the load it ran under
        runs.append(
            {"size": int(size), **run_size(int(size)), "load_1min_at_start": load, "load_1min_at_end": load_1min()}
        )
    columns = [
        ("store_products", "store-products", ","),
        ("partitions", "partitions", ","),
        ("seconds", "seconds", ".1f"),
        ("partition_ms_median", "ms/partition p50", ".1f"),
        ("partition_ms_p90", "p90", ".1f"),
        ("partition_ms_max", "max", ".1f"),
        ("item_ms", "ms/item", ".2f"),
        ("load_1min_at_start", "load start", ".2f"),
        ("load_1min_at_end", "load end", ".2f"),
    ]
    print(table(runs, columns))
    for run in runs:
        print(f"{run['store_products']:,} store-products: statuses {run['statuses']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "jrp",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "runs": runs,
    }
    args.output.write_text(json.dumps(payload, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
