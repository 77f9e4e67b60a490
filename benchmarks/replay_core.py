"""Speed of the pandas/numpy replay core (no Spark): a year of daily demand for 1,000 store-products.

Random store-products (Poisson demand 0.1–30/day, lead time 1–7 days, MOQ / multiple / maximum / storage limits,
40 % perishable with a 3–14 day shelf life) are replayed under a reorder-point rule (s = lead-time demand + 1.65σ,
Q = EOQ, capped at the shelf life's sales for perishables) and the "replace last week's sales" baseline, the way
the Spark job calls :func:`~lakehouse_inv.replenishment.replay.replay`: one call per group (a store: its products under
both rules). Also timed: the whole set in one call, and the metrics of every policy × store × period.

Single-threaded like a Spark UDF. Prints the timings and writes ``benchmarks/results/replay_core.json``;
``--profile`` adds the top functions of a cProfile run of the grouped replay.

    .venv/bin/python benchmarks/replay_core.py [--stores 50] [--products 20] [--days 365] [--profile]
"""

from __future__ import annotations

from lakehouse_inv.threads import pin_blas_threads_env

pin_blas_threads_env()

import argparse  # noqa: E402 - BLAS threads must be pinned before numpy is imported
import cProfile  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lakehouse_inv.evaluate.metrics import PERIODS, metrics_by_period  # noqa: E402
from lakehouse_inv.replenishment.replay import replay  # noqa: E402
from lakehouse_inv.replenishment.rules import rule_from_decision  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "replay_core.json"
START = dt.date(2025, 1, 1)
Z_95 = 1.65


def store_products(n_stores: int, n_products: int, rng: np.random.Generator) -> pd.DataFrame:
    """Terms and costs per store-product, plus the forecast rate ``a`` the rules are built from."""
    n = n_stores * n_products
    unit_cost = rng.uniform(1.0, 20.0, n).round(2)
    perishable = rng.random(n) < 0.4
    maybe = lambda values: np.where(rng.random(n) < 0.5, values, np.nan)  # noqa: E731 - half the terms are absent
    return pd.DataFrame(
        {
            "store_id": np.repeat([f"S{s:03d}" for s in range(n_stores)], n_products),
            "product_id": np.tile([f"P{p:03d}" for p in range(n_products)], n_stores),
            "a": np.exp(rng.uniform(np.log(0.1), np.log(30.0), n)),
            "L": rng.integers(1, 8, n),
            "moq": maybe(rng.choice([0, 6, 12, 24], n)),
            "max_qty": maybe(rng.integers(200, 1000, n)),
            "multiple": maybe(rng.choice([1, 2, 6, 12], n)),
            "max_inventory": maybe(rng.integers(400, 2000, n)),
            "shelf_life_days": np.where(perishable, rng.integers(3, 15, n), np.nan),
            "price": (unit_cost * rng.uniform(1.1, 1.5, n)).round(2),
            "unit_cost": unit_cost,
            "h": unit_cost * 0.25 / 365,
            "K": rng.uniform(5.0, 30.0, n).round(2),
            "missed_sale_cost": unit_cost * 0.3,
            "disposal_cost": unit_cost,
        }
    )


def policy_items(products: pd.DataFrame) -> pd.DataFrame:
    """Each store-product twice: the reorder-point rule (policy_id "sQ") and the baseline ("replacement")."""
    frames = []
    for policy_id in ("sQ", "replacement"):
        rules = []
        for row in products.itertuples():
            lead_demand = row.a * row.L
            eoq = max(1.0, round(np.sqrt(2 * row.a * row.K / row.h)))
            if not np.isnan(row.shelf_life_days):
                eoq = max(1.0, min(eoq, np.floor(row.a * row.shelf_life_days)))
            decision = {"s": int(np.ceil(lead_demand + Z_95 * np.sqrt(lead_demand))), "Q": eoq}
            rules.append(rule_from_decision(policy_id, decision, a=row.a, L=int(row.L)).columns())
        frame = pd.concat([products.drop(columns=["a"]), pd.DataFrame(rules)], axis=1)
        frame.insert(0, "policy_id", policy_id)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def daily_demand(products: pd.DataFrame, n_days: int, rng: np.random.Generator) -> pd.DataFrame:
    """Long demand frame (store_id, product_id, date, requests), dates as datetime.date like Spark DateType."""
    requests = rng.poisson(products["a"].to_numpy()[:, None], (len(products), n_days))
    dates = np.array([START + dt.timedelta(days=d) for d in range(n_days)], dtype=object)
    return pd.DataFrame(
        {
            "store_id": np.repeat(products["store_id"].to_numpy(), n_days),
            "product_id": np.repeat(products["product_id"].to_numpy(), n_days),
            "date": np.tile(dates, len(products)),
            "requests": requests.ravel(),
        }
    )


def replay_groups(
    groups: list[tuple[pd.DataFrame, pd.DataFrame]], end: dt.date, repeats: int
) -> tuple[list[pd.DataFrame], float, float]:
    """Output frames of one call per group, and the best wall and CPU seconds of ``repeats`` runs (on a shared
    machine the wall time also counts other processes; the CPU time is what the replay itself needs)."""
    best_wall = best_cpu = np.inf
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        frames = [replay(items, demand, start=START, end=end) for items, demand in groups]
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return frames, best_wall, best_cpu


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--products", type=int, default=20, help="store-products per store (group)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best is reported")
    parser.add_argument("--profile", action="store_true", help="print the top functions of a cProfile run")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    products = store_products(args.stores, args.products, rng)
    items = policy_items(products)
    demand = daily_demand(products, args.days, rng)
    end = START + dt.timedelta(days=args.days - 1)
    groups = [
        (store_items, demand[demand["store_id"] == store_id])
        for store_id, store_items in items.groupby("store_id", sort=True)
    ]
    replay(*groups[0], start=START, end=end)  # warm-up: imports and first-call caches

    frames, grouped_s, grouped_cpu_s = replay_groups(groups, end, args.repeats)
    _, single_s, single_cpu_s = replay_groups([(items, demand)], end, args.repeats)
    rows = pd.concat(frames, ignore_index=True)
    started = time.perf_counter()
    metrics = metrics_by_period(rows, ["policy_id", "store_id"], as_of=end, periods=PERIODS, horizon_days=args.days)
    metrics_s = time.perf_counter() - started

    item_days = len(items) * args.days
    assert len(rows) == item_days and rows["status"].eq("ok").all()
    quarter = metrics[metrics["period"] == "last_quarter"].groupby("policy_id")
    summary = quarter[["total_revenue", "stockout_events", "total_cost"]].sum()
    summary["fill_rate"] = quarter["sold"].sum() / quarter["demand"].sum()
    result = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "blas_threads": 1},
        "args": {k: str(v) for k, v in vars(args).items()},
        "store_products": len(products),
        "items": len(items),
        "days": args.days,
        "item_days": item_days,
        "grouped": {
            "groups": len(groups),
            "items_per_group": len(items) // len(groups),
            "seconds": grouped_s,
            "cpu_seconds": grouped_cpu_s,
            "item_days_per_s": item_days / grouped_s,
            "item_days_per_cpu_s": item_days / grouped_cpu_s,
            "ms_per_group": 1e3 * grouped_s / len(groups),
        },
        "single_call": {
            "seconds": single_s,
            "cpu_seconds": single_cpu_s,
            "item_days_per_s": item_days / single_s,
            "item_days_per_cpu_s": item_days / single_cpu_s,
        },
        "metrics_4_periods_s": metrics_s,
        "last_quarter_by_policy": summary.round(3).reset_index().to_dict("records"),
    }
    print(
        f"replay of {len(products)} store-products × 2 rules × {args.days} days = {item_days:,} item-days "
        f"(best of {args.repeats})\n"
        f"  {len(groups)} groups of {len(items) // len(groups)} items: "
        f"{grouped_s:.2f} s wall, {grouped_cpu_s:.2f} s CPU "
        f"({item_days / grouped_s:,.0f} item-days/s wall, {1e3 * grouped_s / len(groups):.1f} ms per group)\n"
        f"  one call with all {len(items)} items: {single_s:.2f} s wall, {single_cpu_s:.2f} s CPU "
        f"({item_days / single_s:,.0f} item-days/s wall)\n"
        f"  metrics for policy × store × 4 periods: {metrics_s:.2f} s\n"
    )
    print("last quarter, all stores:")
    print(summary.round(3).to_string())
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(replay_groups, groups, end, 1)
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(15)
        print(report.getvalue())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
