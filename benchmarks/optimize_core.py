"""Throughput of the exact policy solvers, without Spark.

Measures, in one run:

* sQ SKU-policies per second through ``optimize_partition`` (partitions of 20 SKUs, uncoupled and with one
  shelf-space coupling at 80 % of the unconstrained need) against ``naive_solve_sq`` (one Pyomo model per SKU over
  the whole unpruned (s,Q) box), on random realistic SKUs;
* the solve time of every policy type on demo-sized instances (20 products, T = 28 periods for ww/clsp).

Prints a table and writes ``benchmarks/results/optimize_core.json``. Single-threaded like a Spark UDF.

    python benchmarks/optimize_core.py [--skus 200] [--naive-skus 12] [--seed 7]
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.naive_sq import naive_solve_sq  # noqa: E402
from lakehouse_inv.optimize import CouplingSpec, PartitionSpec, optimize_partition  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "optimize_core.json"
PARTITION_SIZE = 20
DEMO_PRODUCTS = 20
DEMO_PERIODS = 28
DEMO_TIME_LIMIT_S = 120.0


def random_skus(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Realistic SKUs: a 0.2–30/day, L 1–14 days, h = unit cost × 25 %/year, K 5–50 per order, π 1–20 per unit."""
    unit_cost = rng.uniform(2.0, 80.0, n)
    return pd.DataFrame(
        {
            "store_id": np.repeat(np.arange(n // PARTITION_SIZE + 1), PARTITION_SIZE)[:n],
            "product_id": np.arange(n),
            "a": rng.uniform(0.2, 30.0, n).round(2),
            "L": rng.integers(1, 15, n),
            "h": (unit_cost * 0.25 / 365.0).round(5),
            "K": rng.uniform(5.0, 50.0, n).round(1),
            "pi": rng.uniform(1.0, 20.0, n).round(1),
            "W": unit_cost.round(2),
            "life": rng.integers(3, 30, n),
            "volume": rng.uniform(0.5, 3.0, n).round(2),
        }
    )


def timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def partitions(skus: pd.DataFrame) -> list[pd.DataFrame]:
    return [group for _, group in skus.groupby("store_id", sort=True)]


def run_partitions(skus: pd.DataFrame, spec_for: Any) -> tuple[pd.DataFrame, float]:
    frames, seconds = [], 0.0
    for group in partitions(skus):
        frame, elapsed = timed(optimize_partition, group, spec_for(group))
        frames.append(frame)
        seconds += elapsed
    return pd.concat(frames, ignore_index=True), seconds


def sq_throughput(skus: pd.DataFrame, naive_skus: int) -> dict[str, Any]:
    keys = ("store_id", "product_id")
    sq_columns = ["store_id", "product_id", "a", "L", "h", "K", "pi", "volume"]
    sq = skus[sq_columns]
    run_partitions(sq.head(PARTITION_SIZE), lambda g: PartitionSpec("sQ", key_columns=keys))  # warm-up
    free, free_seconds = run_partitions(sq, lambda g: PartitionSpec("sQ", key_columns=keys))
    need = (free["reorder_point"] + free["order_quantity"]) * sq["volume"].to_numpy()
    need_by_store = need.groupby(free["store_id"]).sum()

    def coupled_spec(group: pd.DataFrame) -> PartitionSpec:
        capacity = 0.8 * float(need_by_store[group["store_id"].iloc[0]])
        return PartitionSpec("sQ", couplings=(CouplingSpec("peak", capacity, "volume"),), key_columns=keys)

    coupled, coupled_seconds = run_partitions(sq, coupled_spec)
    sample = sq.head(naive_skus)
    naive_seconds, agree, cells = 0.0, 0, []
    for (_, item), (_, row) in zip(sample.iterrows(), free.head(naive_skus).iterrows(), strict=True):
        result, elapsed = timed(naive_solve_sq, item.to_dict())
        naive_seconds += elapsed
        cells.append(result["n_cells"])
        agree += int(result["s"] == row["reorder_point"] and result["Q"] == row["order_quantity"])
    n = len(sq)
    return {
        "skus": n,
        "partition_size": PARTITION_SIZE,
        "uncoupled": {
            "seconds": free_seconds,
            "sku_per_s": n / free_seconds,
            "all_optimal": bool((free["status"] == "optimal").all()),
        },
        "coupled_peak_80pct": {
            "seconds": coupled_seconds,
            "sku_per_s": n / coupled_seconds,
            "all_optimal": bool((coupled["status"] == "optimal").all()),
            "median_partition_ms": float(coupled.groupby("store_id")["solve_ms"].first().median()),
            "max_partition_ms": float(coupled.groupby("store_id")["solve_ms"].first().max()),
        },
        "naive_per_sku": {
            "skus": len(sample),
            "seconds": naive_seconds,
            "sku_per_s": len(sample) / naive_seconds,
            "median_cells": float(np.median(cells)),
            "decisions_equal_to_partition_path": f"{agree}/{len(sample)}",
        },
        "speedup_uncoupled_vs_naive": (n / free_seconds) / (len(sample) / naive_seconds),
        "speedup_coupled_vs_naive": (n / coupled_seconds) / (len(sample) / naive_seconds),
    }


def demo_instances(skus: pd.DataFrame, rng: np.random.Generator) -> dict[str, tuple[pd.DataFrame, PartitionSpec]]:
    demo = skus.head(DEMO_PRODUCTS).reset_index(drop=True)
    base = ["product_id", "a", "L", "h", "K", "pi"]
    lam = demo["a"].to_numpy() * 365.0
    unit_cost = demo["W"].to_numpy()
    ceoq = pd.DataFrame({"product_id": demo["product_id"], "lam": lam, "K": demo["K"], "C": 0.25 * unit_cost})
    eoq_storage = float(np.sum(0.25 * unit_cost * np.sqrt(2 * lam * demo["K"] / (0.25 * unit_cost)) / 2))
    daily_mean = rng.uniform(2.0, 40.0, DEMO_PRODUCTS)
    nvbudget = pd.DataFrame(
        {"product_id": demo["product_id"], "d": 7 * daily_mean, "h": 0.3 * unit_cost, "b": unit_cost, "c": unit_cost}
    )
    budget = 0.8 * float(np.sum(unit_cost * 7 * daily_mean))
    weekly = rng.poisson(np.repeat(7 * daily_mean, DEMO_PERIODS)).reshape(DEMO_PRODUCTS, DEMO_PERIODS)
    weekly[rng.random(weekly.shape) < 0.15] = 0
    periods = pd.DataFrame(
        {
            "product_id": np.repeat(demo["product_id"], DEMO_PERIODS),
            "t": np.tile(np.arange(1, DEMO_PERIODS + 1), DEMO_PRODUCTS),
            "d": weekly.ravel(),
            "K": np.repeat(demo["K"] * 4, DEMO_PERIODS),
            "h": np.repeat(7 * demo["h"] * 10, DEMO_PERIODS),
        }
    )
    capacity = float(weekly.sum(axis=0).max())  # binding: the unconstrained plans need more in some weeks
    return {
        "sQ": (demo[base], PartitionSpec("sQ")),
        "sQ_perishable": (demo[[*base, "W", "life"]], PartitionSpec("sQ_perishable")),
        "RS": (demo[base], PartitionSpec("RS")),
        "ceoq": (ceoq, PartitionSpec("ceoq", b=0.5 * eoq_storage)),
        "ww": (periods, PartitionSpec("ww")),
        "clsp": (periods, PartitionSpec("clsp", C=capacity, time_limit_s=DEMO_TIME_LIMIT_S)),
        "nvbudget": (nvbudget, PartitionSpec("nvbudget", V=budget)),
    }


def per_type(skus: pd.DataFrame, rng: np.random.Generator) -> dict[str, Any]:
    results = {}
    for type_id, (items, spec) in demo_instances(skus, rng).items():
        out, seconds = timed(optimize_partition, items, spec)
        results[type_id] = {
            "items": len(out),
            "ms": seconds * 1e3,
            "status": sorted(set(out["status"])),
            "objective": float(out["objective"].iloc[0]) if out["objective"].notna().any() else None,
            "gap": float(out["gap"].iloc[0]) if out["gap"].notna().any() else None,
        }
    return results


def print_table(report: dict[str, Any]) -> None:
    sq = report["sq_throughput"]
    print(f"sQ throughput on {sq['skus']} SKUs, partitions of {sq['partition_size']} (single thread)")
    print(f"  {'path':<34}{'SKU/s':>10}{'seconds':>10}  notes")
    for name, key, note in (
        ("optimize_partition, uncoupled", "uncoupled", f"all optimal: {sq['uncoupled']['all_optimal']}"),
        (
            "optimize_partition, shelf 80 %",
            "coupled_peak_80pct",
            f"all optimal: {sq['coupled_peak_80pct']['all_optimal']}, "
            f"median partition {sq['coupled_peak_80pct']['median_partition_ms']:.0f} ms",
        ),
        (
            "naive_solve_sq (one model per SKU)",
            "naive_per_sku",
            f"{sq['naive_per_sku']['skus']} SKUs, median {sq['naive_per_sku']['median_cells']:.0f} binaries, "
            f"same decision {sq['naive_per_sku']['decisions_equal_to_partition_path']}",
        ),
    ):
        print(f"  {name:<34}{sq[key]['sku_per_s']:>10.1f}{sq[key]['seconds']:>10.2f}  {note}")
    print(
        f"  speed-up vs naive: uncoupled {sq['speedup_uncoupled_vs_naive']:.0f}x, "
        f"coupled {sq['speedup_coupled_vs_naive']:.0f}x"
    )
    print(f"\nPer type, demo size ({DEMO_PRODUCTS} products, T = {DEMO_PERIODS} for ww/clsp)")
    print(f"  {'type':<16}{'items':>6}{'ms':>10}  status")
    for type_id, row in report["per_type"].items():
        print(f"  {type_id:<16}{row['items']:>6}{row['ms']:>10.1f}  {', '.join(row['status'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--naive-skus", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    skus = random_skus(args.skus, rng)
    report = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "seed": args.seed,
        "sq_throughput": sq_throughput(skus, args.naive_skus),
        "per_type": per_type(skus, rng),
    }
    print_table(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
