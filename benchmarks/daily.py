"""The daily run: what one more day costs once the history is in, at the demo's size and at 10,000 store-products.

For each size a world is built first (``--history`` days simulated and run through the whole DAG, as ``make demo``
does), then ``--days`` consecutive daily runs are timed, each one what a scheduled job does every morning: simulate
the next day into the landing folder and run every step for it (``lakehouse-inv run --as-of D``), in a fresh
process (interpreter and Spark start included, as a scheduled job pays them). Weekly steps (the backtest on
Sundays; evaluate and the policies re-optimized on Mondays) fall due once in 7 days; the run summary of each day says
what was due.

    .venv/bin/python -m benchmarks.daily [--days 7] [--large] [--root DIR] [--out FILE]

``benchmarks/results/daily.json`` = ``{"runs": [{"store_products": N, "days": [{"as_of": "YYYY-MM-DD", "seconds": s,
"load_1min_at_start": x, "steps": {step: {"seconds": s, ...}}}, ...]}]}``; a table on stdout.

A day is recorded only if it starts on a quiet machine: 1-minute load average ≤ ``--max-load`` (2.5). Above it the
benchmark waits up to ``--wait`` seconds for the load to drop, then stops without recording the day (run it again
later: it resumes). ``--allow-load`` records such days anyway, for a smoke run of the plumbing only: it refuses to
write into benchmarks/results/.

Resumable: the landing, warehouse and checkpoints of a size live in ``--root`` (default: a folder under the system
temp dir, outside the work tree); each finished day is merged into ``--out`` at once, and a new invocation with the
same ``--root`` and ``--out`` continues at the first day not yet recorded (a day interrupted half-way is run again:
every step is idempotent, and the record says ``"retried": true``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import MAX_LOAD, RESULTS, check_out, load_1min, machine, table, wait_for_quiet

OUT = RESULTS / "daily.json"
DEMO, LARGE = 120, 10_000
PRODUCTS_PER_STORE = 20  # n_brands x products_per_brand of conf/base/simulator.yml
REPO = Path(__file__).resolve().parents[1]


def load_results(out: Path) -> dict[str, Any]:
    return json.loads(out.read_text()) if out.exists() else {}


def recorded_run(out: Path, store_products: int, history: int) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in load_results(out).get("runs", [])
            if r["store_products"] == store_products and r.get("history_days") == history
        ),
        None,
    )


def merge(run: dict[str, Any], out: Path, *, allow_load: bool) -> None:
    """Replace this size's run in ``out`` (keeping the other sizes')."""
    old = load_results(out)
    runs = [r for r in old.get("runs", []) if r["store_products"] != run["store_products"]]
    payload = {
        "benchmark": "daily",
        "machine": machine(),
        "max_load_1min": None if allow_load else MAX_LOAD,
        "runs": sorted([*runs, run], key=lambda r: r["store_products"]),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n")


# --- one process per run: the world build or one day -------------------------------------------------------------


def world(store_products: int, history: int) -> dict[str, int]:
    if store_products % PRODUCTS_PER_STORE:
        raise SystemExit(f"store_products must be a multiple of {PRODUCTS_PER_STORE}, got {store_products}")
    return {"n_stores": store_products // PRODUCTS_PER_STORE, "days": history}


def run_in_process(store_products: int, history: int, root: Path, as_of: dt.date, record: Path) -> int:
    """In this (fresh) process: one Spark session, every step of the DAG for ``as_of`` (simulate writes the days
    not yet in the landing), per-step results to ``record``."""
    from benchmarks.pipeline import context
    from benchmarks.scale import driver_memory, overrides
    from lakehouse_inv.pipeline.runner import run_steps
    from lakehouse_inv.pipeline.steps import STEPS
    from lakehouse_inv.spark import build_spark

    started = time.perf_counter()
    spark = build_spark(
        "lakehouse_inv-daily",
        master="local[*]",
        warehouse_dir=root / "warehouse",
        conf={"spark.driver.memory": driver_memory(store_products)},
    )
    spark_start = time.perf_counter() - started
    ctx = context(spark, root, f"sp{store_products}", world(store_products, history))
    # a fresh local session keeps its catalog in memory: register the tables the earlier runs left in the warehouse
    ctx.catalog.attach_existing(spark)
    ctx.as_of, ctx.run_id = as_of, f"daily-{as_of:%Y%m%d}-{int(time.time())}"
    changes = overrides(history)
    if "evaluate" in changes:
        ctx.configs["evaluate"] = ctx.configs["evaluate"].model_copy(update=changes["evaluate"])
    if "forecast.backtest" in changes:
        forecast = ctx.configs["forecast"]
        ctx.configs["forecast"] = forecast.model_copy(
            update={"backtest": forecast.backtest.model_copy(update=changes["forecast.backtest"])}
        )
    reports = run_steps(ctx, list(STEPS.values()), out=lambda *a: print(*a, flush=True))
    spark.stop()
    steps = {
        r.step: {
            "seconds": round(r.seconds, 2),
            "rows_in": r.result.rows_in if r.result else 0,
            "rows_out": r.result.rows_out if r.result else 0,
            "due": r.result.due if r.result else [],
            "skipped": r.result.skipped if r.result else [],
            **({"error": r.error[:500]} if r.error else {}),
        }
        for r in reports
    }
    payload = {"spark_start_s": round(spark_start, 2), "ok": all(r.ok for r in reports), "steps": steps}
    payload["overrides"] = changes
    record.write_text(json.dumps(payload, default=str))
    return 0 if payload["ok"] else 1


def run_child(store_products: int, history: int, root: Path, as_of: dt.date) -> tuple[dict[str, Any], float]:
    """One run in a fresh process: its record and its wall seconds end to end (interpreter and Spark start
    included)."""
    record = root / f"record-{as_of}.json"
    record.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.daily", "--child", str(as_of), "--history", str(history)]
    cmd += ["--sizes", str(store_products), "--root", str(root)]
    started = time.perf_counter()
    code = subprocess.call(cmd, cwd=REPO, env=os.environ.copy())
    seconds = time.perf_counter() - started
    if not record.exists():
        raise SystemExit(f"{as_of}: the run exited with {code} before recording its steps")
    result = json.loads(record.read_text())
    if not result["ok"]:
        failed = {k: v["error"] for k, v in result["steps"].items() if "error" in v}
        raise SystemExit(f"{as_of}: a step failed: {failed}")
    return result, seconds


# --- the benchmark ------------------------------------------------------------------------------------------------


def run_size(
    store_products: int, history: int, n_days: int, root: Path, out: Path, *, max_load: float, wait_s: float, allow
) -> dict[str, Any]:
    """Build the world (once per root) then run the daily runs not yet recorded in ``out``."""
    root.mkdir(parents=True, exist_ok=True)
    start = dt.date.fromisoformat(_simulator_start())
    built_as_of = start + dt.timedelta(days=history - 1)
    state_file = root / "daily_state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    run = recorded_run(out, store_products, history) or {
        "store_products": store_products,
        "history_days": history,
        "root": str(root),
        "days": [],
    }
    # the folder continues the run recorded in ``out`` only: otherwise its landing holds days this run never timed
    continues = state.get("built") and state.get("out") == str(out.resolve()) and "build" in run
    if not continues:
        for stale in ("warehouse", f"sp{store_products}"):
            shutil.rmtree(root / stale, ignore_errors=True)
        print(f"{store_products:,} store-products: building {history} days of history ...", flush=True)
        load = load_1min()
        build, seconds = run_child(store_products, history, root, built_as_of)
        run["build"] = {"as_of": str(built_as_of), "seconds": round(seconds, 2), "load_1min_at_start": load, **build}
        run["days"] = []
        state = {"built": True, "out": str(out.resolve())}
        state_file.write_text(json.dumps(state))
        merge(run, out, allow_load=allow)
    done = {d["as_of"] for d in run["days"]}
    for offset in range(1, n_days + 1):
        as_of = built_as_of + dt.timedelta(days=offset)
        if str(as_of) in done:
            continue
        load = wait_for_quiet(max_load, wait_s)
        if load > max_load and not allow:
            print(f"{as_of}: 1-min load {load:.2f} > {max_load}; not recorded. Run again on a quiet machine.")
            raise SystemExit(3)
        retried = state.get("started") == str(as_of)
        state["started"] = str(as_of)
        state_file.write_text(json.dumps(state))
        record, seconds = run_child(store_products, history, root, as_of)
        day = {
            "as_of": str(as_of),
            "seconds": round(seconds, 2),
            "load_1min_at_start": load,
            "load_1min_at_end": load_1min(),
            "spark_start_s": record["spark_start_s"],
            "steps": record["steps"],
            **({"retried": True} if retried else {}),
        }
        run["days"] = sorted([*run["days"], day], key=lambda d: d["as_of"])
        merge(run, out, allow_load=allow)
        print(f"{as_of}: {seconds:.1f} s", flush=True)
    return run


def _simulator_start() -> str:
    from lakehouse_inv.pipeline.configs import load_configs

    return str(load_configs(REPO / "conf")["simulator"].start_date)


def print_table(run: dict[str, Any]) -> None:
    days = run["days"]
    steps = list(dict.fromkeys(name for d in days for name in d["steps"]))
    rows = []
    for d in days:
        row = {"as_of": d["as_of"], "seconds": d["seconds"], "load": d["load_1min_at_start"]}
        row |= {s: d["steps"][s]["seconds"] for s in steps if s in d["steps"]}
        row["due"] = ",".join(s for s in ("backtest", "evaluate") if d["steps"].get(s, {}).get("due")) or "-"
        rows.append(row)
    columns = [("as_of", "as_of", "s"), ("seconds", "seconds", ".1f"), ("load", "load@start", ".2f")]
    columns += [(s, s, ".1f") for s in steps] + [("due", "weekly due", "s")]
    print(f"\n{run['store_products']:,} store-products, {run['history_days']} days of history:")
    print(table(rows, columns))
    if days:
        seconds = [d["seconds"] for d in days]
        print(f"median day {statistics.median(seconds):.1f} s, slowest {max(seconds):.1f} s over {len(days)} days")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="consecutive daily runs per size (default 7)")
    parser.add_argument("--large", action="store_true", help=f"also {LARGE:,} store-products")
    parser.add_argument("--sizes", help=f"store-products per size, comma-separated (default {DEMO}; --large adds)")
    parser.add_argument("--history", type=int, default=365, help="days simulated before the first daily run")
    parser.add_argument("--root", type=Path, help="work folder (resumable); default: one under the temp dir")
    parser.add_argument("--out", type=Path, default=OUT, help="results file (default: benchmarks/results/daily.json)")
    parser.add_argument("--max-load", type=float, default=MAX_LOAD, help="1-min load above which a day is refused")
    parser.add_argument("--wait", type=float, default=600.0, help="seconds to wait for the load to drop")
    parser.add_argument(
        "--allow-load", action="store_true", help="smoke run: record days whatever the load (--out outside results/)"
    )
    parser.add_argument("--show", action="store_true", help="print the tables of --out and exit")
    parser.add_argument("--child", type=dt.date.fromisoformat, help=argparse.SUPPRESS)  # internal: one run
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [DEMO]
    if args.large and LARGE not in sizes:
        sizes.append(LARGE)
    if args.child:
        (size,) = sizes
        return run_in_process(size, args.history, args.root, args.child, args.root / f"record-{args.child}.json")
    if args.show:
        for run in load_results(args.out).get("runs", []):
            print_table(run)
        return 0
    check_out(args.out, args.allow_load)
    if args.root and len(sizes) > 1:
        raise SystemExit("--root is the work folder of one size: give one size")
    for n in sizes:
        root = args.root or Path(tempfile.gettempdir()) / f"lakehouse_inv_daily_{n}_{args.history}"
        run = run_size(
            n,
            args.history,
            args.days,
            root.resolve(),
            args.out,
            max_load=args.max_load,
            wait_s=args.wait,
            allow=args.allow_load,
        )
        print_table(run)
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
