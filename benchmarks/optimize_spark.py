"""(s,Q) policy optimization through Spark: SKU-policies per second of the optimize path vs a naive baseline.

* ours: the job's path, ``optimize_frame`` (grouped pandas UDF, one Pyomo model per partition of 20 SKUs, exact
  candidate costs in numpy), uncoupled and with a binding shelf-space coupling per store;
* per-SKU models: the same code with one partition per SKU (one Pyomo model per SKU);
* naive: one Pyomo model per SKU over the full (s, Q) grid (``naive_solve_sq``), on a sample, single process.

Targets: >= 200 SKU-policies/s on 2 cores and >= 10x the naive baseline.

    .venv/bin/python -m benchmarks.optimize_spark [--skus 4000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import force, spark_session, table, timed, write_result
from benchmarks.naive_sq import naive_solve_sq
from benchmarks.optimize_core import random_skus
from lakehouse_inv.optimize.config import PolicyConfig
from lakehouse_inv.optimize.distributed import optimize_frame

SQ_COLUMNS = ["store_id", "product_id", "a", "L", "h", "K", "pi", "volume"]


def peak_volume(rows, skus):
    merged = rows.merge(skus[["store_id", "product_id", "product_volume"]], on=["store_id", "product_id"])
    return (
        ((merged["reorder_point"] + merged["order_quantity"]) * merged["product_volume"])
        .groupby(merged["store_id"])
        .sum()
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=4000)
    parser.add_argument("--naive-skus", type=int, default=8)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(7)
    skus = random_skus(args.skus, rng)[SQ_COLUMNS].astype({"store_id": str, "product_id": str})
    skus = skus.rename(columns={"volume": "product_volume"})
    skus["storage_id"] = "ST1"
    spark = spark_session(Path(tempfile.mkdtemp()) / "warehouse")
    frame = spark.createDataFrame(skus).persist()
    frame.count()

    per_store = PolicyConfig(id="sQ", type="sQ", partition_fields=["store_id"])
    per_sku = PolicyConfig(id="sQ", type="sQ", partition_fields=["store_id", "product_id"])
    coupled = PolicyConfig(
        id="sQ",
        type="sQ",
        partition_fields=["store_id", "storage_id"],
        couplings=[{"usage": "peak", "capacity": 1.0, "weight": "product_volume"}],
    )
    force(optimize_frame(frame.limit(200), per_store))  # warm the Python workers
    _, store_s = timed(lambda: force(optimize_frame(frame, per_store)))
    _, sku_s = timed(lambda: force(optimize_frame(frame, per_sku)))
    # a binding shelf: 80 % of the volume the unconstrained decisions would need
    need = peak_volume(optimize_frame(frame, per_store).toPandas(), skus)
    capped = frame.join(spark.createDataFrame((0.8 * need).rename("_cap0").reset_index()), "store_id")
    coupled_rows, coupled_s = timed(lambda: optimize_frame(capped, coupled).toPandas())

    sample = skus.head(args.naive_skus)
    _, naive_s = timed(lambda: [naive_solve_sq(row) for row in sample.to_dict("records")])
    spark.stop()

    n = len(skus)
    naive_rate = len(sample) / naive_s
    rows = [
        {
            "path": "spark, 20 SKUs per model",
            "skus": n,
            "seconds": store_s,
            "sku_per_s": n / store_s,
            "vs_naive": n / store_s / naive_rate,
        },
        {
            "path": "spark, 1 SKU per model",
            "skus": n,
            "seconds": sku_s,
            "sku_per_s": n / sku_s,
            "vs_naive": n / sku_s / naive_rate,
        },
        {
            "path": "spark, coupled shelf (80%)",
            "skus": n,
            "seconds": coupled_s,
            "sku_per_s": n / coupled_s,
            "vs_naive": n / coupled_s / naive_rate,
        },
        {
            "path": "naive full-grid model per SKU",
            "skus": len(sample),
            "seconds": naive_s,
            "sku_per_s": naive_rate,
            "vs_naive": 1.0,
        },
    ]
    print(
        table(
            rows,
            [
                ("path", "path", "s"),
                ("skus", "SKUs", "d"),
                ("seconds", "seconds", ".1f"),
                ("sku_per_s", "SKU/s", ".1f"),
                ("vs_naive", "x naive", ".0f"),
            ],
        )
    )
    used = peak_volume(coupled_rows, skus)
    result = {
        "rows": rows,
        "coupled_all_optimal": bool((coupled_rows["status"] == "optimal").all()),
        "coupled_stores_at_capacity": int((used >= 0.999 * 0.8 * need.reindex(used.index)).sum()),
        "stores": len(used),
    }
    print(f"-> {write_result('optimize_spark', result)}")
    return result


if __name__ == "__main__":
    main()
