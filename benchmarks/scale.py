"""The whole DAG at 1,000, 10,000 and 100,000 store-products: seconds per step and per store-product.

Each size runs in its own process (a fresh Spark session) on a world of ``n_stores`` x 20 products (the demo's
products per store: stores are what a chain adds, and the jobs partition by store) over ``--days`` simulated days.
The run is merged into ``benchmarks/results/scale.json`` after every step, so a size cut short (time, memory, load)
keeps its finished steps (``complete: false``); run it again with the same ``--root`` and it continues at the first
step not yet recorded (the warehouse and checkpoints of that folder are kept: every step is idempotent). Not part of
``make bench`` (hours on 2 cores).

    .venv/bin/python -m benchmarks.scale [--sizes 1000,10000,100000] [--days 60 | --days 1000=365,100000=60]
        [--policies sQ,sQ_perishable] [--root DIR] [--max-load 2.5] [--wait 600] [--allow-load] [--show]

A step starts only when the 1-minute load average is at most ``--max-load`` (2.5), waiting up to ``--wait`` seconds
for it; each step records its load at start and end. Above it the size stops before that step without recording it
(``--allow-load``: record anyway, for a smoke run; it refuses to write into benchmarks/results/).

Per step: wall seconds (the step itself, as ``lakehouse-inv run`` reports it) and CPU seconds of the process tree
(driver, Spark JVM, Python workers; the step plus its ``gold.job_runs`` record), which a machine shared with other
jobs stretches less than wall time. The CPU figure is indicative only: PySpark's worker daemon does not reap its
workers into its own child times, so a worker that exits during a step takes its CPU time with it (a step can even
show a negative figure); wall seconds are the measurement.

Config overrides, the same at every size and recorded per run: a history shorter than the evaluation's 364-day
window shortens the window to the history; under 180 days the backtest scores 2 origins instead of 4 (with 60 days
the older one has 4 days of history: a cheap fallback), under 60 days 1; ``--policies`` keeps only the named policies.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.common import (
    MAX_LOAD,
    RESULTS,
    check_out,
    load_1min,
    machine,
    table,
    tree_cpu_seconds,
    wait_for_quiet,
)
from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.pipeline.runner import StepReport, record_step

PRODUCTS_PER_STORE = 20  # n_brands x products_per_brand of conf/base/simulator.yml
SIZES = (1_000, 10_000, 100_000)
OUT = RESULTS / "scale.json"


def driver_memory(store_products: int) -> str:
    return "8g" if store_products >= 100_000 else "5g"


def overrides(days: int) -> dict[str, dict[str, Any]]:
    """Config changes a history of ``days`` needs (why: see the module docstring)."""
    out: dict[str, dict[str, Any]] = {}
    if days < 364:
        out["evaluate"] = {"horizon_days": days}
    if days < 180:  # under 60 days a second origin would have no history at all
        out["forecast.backtest"] = {"origins": 2 if days >= 60 else 1}
    return out


def parse_days(text: str, sizes: list[int]) -> dict[int, int]:
    if "=" not in text:
        return dict.fromkeys(sizes, int(text))
    given = {int(k): int(v) for k, v in (part.split("=") for part in text.split(","))}
    missing = [n for n in sizes if n not in given]
    if missing:
        raise SystemExit(f"--days: no history given for size(s) {missing}")
    return given


def run_one(
    store_products: int,
    days: int,
    root: Path,
    out: Path,
    policies: list[str] | None,
    *,
    max_load: float = MAX_LOAD,
    wait_s: float = 600.0,
    allow_load: bool = False,
) -> dict[str, Any]:
    """In this process: one fresh Spark session, every step of the DAG not yet recorded, per-step seconds. The run
    is merged into ``out`` after every step (``complete`` false until the last), so a size cut short keeps its
    finished steps.

    A step starts only on a quiet machine (1-minute load ≤ ``max_load``, waiting up to ``wait_s`` seconds for it);
    otherwise the run stops before the step and records nothing for it (``allow_load`` records it anyway, for a smoke
    run outside ``benchmarks/results``). Running the size again with the same ``root`` continues the recorded run at
    its first step not yet recorded: its warehouse and checkpoints are kept and re-registered in the new session
    (every step is idempotent, so a step cut short is simply run again)."""
    from benchmarks.common import timed
    from benchmarks.pipeline import context
    from lakehouse_inv.pipeline.runner import run_steps
    from lakehouse_inv.pipeline.steps import STEPS
    from lakehouse_inv.spark import build_spark

    if store_products % PRODUCTS_PER_STORE:
        raise SystemExit(f"store_products must be a multiple of {PRODUCTS_PER_STORE}, got {store_products}")
    n_stores = store_products // PRODUCTS_PER_STORE
    memory = driver_memory(store_products)
    runs = load_results(out).get("runs", [])
    earlier = next((r for r in runs if r["store_products"] == store_products and r["days"] == days), None)
    world = {"n_stores": n_stores, "days": days}
    changes = overrides(days)
    if policies:
        changes["policies"] = {"policies": policies}
    resumed = resumable(earlier, root, changes)
    reused = (root / f"sp{store_products}" / "landing").is_dir()
    if resumed is None:
        for stale in (root / "warehouse", root / f"sp{store_products}" / "checkpoints"):
            shutil.rmtree(stale, ignore_errors=True)
        (root / f"sp{store_products}" / "mlflow.db").unlink(missing_ok=True)
    run: dict[str, Any] = resumed or {
        "store_products": store_products,
        "stores": n_stores,
        "products_per_store": PRODUCTS_PER_STORE,
        "days": days,
        "root": str(root),
        "driver_memory": memory,
        "max_load_1min": None if allow_load else max_load,
        "overrides": changes,
        "complete": False,
        "steps": {},
    }
    done = {name for name, step in run["steps"].items() if step.get("ok")}
    commit = source_commit()  # once per process: the code does not change under a running size
    if resumed is not None:
        print(f"resuming {store_products:,} in {root}: recorded {sorted(done)}", flush=True)

    def quiet_enough(step: str) -> float | None:
        if allow_load:
            return load_1min()
        load = wait_for_quiet(max_load, wait_s)
        if load > max_load:
            print(f"{step}: 1-min load {load:.2f} > {max_load}: stopping before it (run again to continue)", flush=True)
            return None
        return load

    def record(name: str, report: StepReport, cpu: float, load: float) -> None:
        res = report.result
        run["steps"][name] = {
            "seconds": round(report.seconds, 2),
            "seconds_per_store_product": report.seconds / store_products,
            "cpu_seconds": round(cpu, 2),
            "cpu_seconds_per_store_product": cpu / store_products,
            "load_1min_at_start": load,
            "load_1min_at_end": load_1min(),
            "rows_in": res.rows_in if res else 0,
            "rows_out": res.rows_out if res else 0,
            "ok": report.ok,
            "source_commit": commit,
            **({"error": report.error[:500]} if report.error else {}),
        }
        total = sum(s["seconds"] for s in run["steps"].values())
        run["seconds"] = round(total, 2)
        run["seconds_per_store_product"] = total / store_products
        run["seconds_per_store_product_day"] = total / (store_products * days)
        cpu_total = sum(s["cpu_seconds"] for s in run["steps"].values())
        run["cpu_seconds"] = round(cpu_total, 2)
        run["cpu_seconds_per_store_product"] = cpu_total / store_products
        run["complete"] = all(run["steps"].get(s, {}).get("ok") for s in STEPS)
        merge(run, out)

    simulated = None
    if "simulate" not in done:
        load = quiet_enough("simulate")
        if load is None:
            return run
        simulated, sim_cpu = simulate_apart(context(None, root, f"sp{store_products}", world))
        if reused and simulated.ok and earlier and earlier["steps"].get("simulate", {}).get("ok") and not resumed:
            # the landing was simulated by the earlier run: its figures stand
            run["steps"]["simulate"] = {**earlier["steps"]["simulate"], "landing_reused_by_a_later_run": True}
            merge(run, out)
        else:
            record("simulate", simulated, sim_cpu, load)
        if not simulated.ok:
            return run
    spark, start_s = timed(
        lambda: build_spark(
            "lakehouse_inv-scale",
            master="local[*]",
            warehouse_dir=root / "warehouse",
            conf={"spark.driver.memory": memory},
        )
    )
    ctx = context(spark, root, f"sp{store_products}", world)
    if resumed is not None:  # a fresh local session does not know the tables the earlier process created
        ctx.catalog.attach_existing(spark)
    run["as_of"], run["spark_start_s"] = str(ctx.as_of), round(start_s, 2)
    configs = ctx.configs  # this run's own dict (benchmarks.pipeline.context builds it)
    if "evaluate" in changes:
        configs["evaluate"] = configs["evaluate"].model_copy(update=changes["evaluate"])
    if "forecast.backtest" in changes:
        forecast = configs["forecast"]
        configs["forecast"] = forecast.model_copy(
            update={"backtest": forecast.backtest.model_copy(update=changes["forecast.backtest"])}
        )
    if policies:
        known = [p.id for p in configs["policies"].policies]
        unknown = [p for p in policies if p not in known]
        if unknown:
            raise SystemExit(f"--policies: unknown policy id(s) {unknown}; policies.yml has {known}")
        kept = [p for p in configs["policies"].policies if p.id in policies]
        configs["policies"] = configs["policies"].model_copy(update={"policies": kept})
        changes["policies"]["dropped"] = [p for p in known if p not in policies]
    if simulated is not None:  # its gold.job_runs record, which needs the session
        record_step(ctx, "simulate", dt.datetime.now(dt.UTC), simulated.seconds, simulated.result, simulated.error)
    try:
        for step in STEPS.values():
            if step.name == "simulate" or step.name in done:
                continue
            load = quiet_enough(step.name)
            if load is None:
                break
            cpu_before = tree_cpu_seconds()
            (report,) = run_steps(ctx, [step], out=lambda *a: print(*a, flush=True))
            record(step.name, report, tree_cpu_seconds() - cpu_before, load)
            if not report.ok:
                break
    finally:
        spark.stop()
    return run


def resumable(earlier: dict[str, Any] | None, root: Path, changes: dict[str, Any]) -> dict[str, Any] | None:
    """The recorded run to continue: incomplete, run in this ``root`` (its warehouse still there) with the same
    config overrides and policies; else None (the size starts over)."""
    if earlier is None or earlier.get("complete") or earlier.get("root") != str(root):
        return None
    if not (root / "warehouse").is_dir():
        return None
    recorded = {k: v for k, v in earlier.get("overrides", {}).items() if k != "policies"}
    policies = earlier.get("overrides", {}).get("policies", {}).get("policies")
    wanted = {k: v for k, v in changes.items() if k != "policies"}
    if recorded != wanted or policies != changes.get("policies", {}).get("policies"):
        return None
    return earlier


def simulate_apart(ctx: JobContext) -> tuple[StepReport, float]:
    """The simulate step in a child process, before the run's Spark session starts: the simulator holds the whole
    world in memory (6.6 GB at 100k store-products), which the driver must not keep through the Spark steps."""
    from lakehouse_inv.simulate.job import simulate

    spawn = multiprocessing.get_context("spawn")
    cpu_before, t0 = tree_cpu_seconds(), time.perf_counter()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            result = pool.submit(simulate, ctx.simulator, ctx.landing_dir, ctx.as_of).result()
        report = StepReport("simulate", time.perf_counter() - t0, result)
    except Exception as exc:  # recorded like a failed step; the run stops at the first Spark step's check
        report = StepReport("simulate", time.perf_counter() - t0, None, f"{type(exc).__name__}: {exc}")
    print(f"simulate: {report.seconds:.1f}s {'ok' if report.ok else report.error}", flush=True)
    return report, tree_cpu_seconds() - cpu_before  # the child is reaped: its CPU time is in cutime


def source_commit() -> str:
    """The commit the run's code came from (``LAKEHOUSE_INV_SOURCE_COMMIT`` when run from an exported snapshot)."""
    if os.environ.get("LAKEHOUSE_INV_SOURCE_COMMIT"):
        return os.environ["LAKEHOUSE_INV_SOURCE_COMMIT"]
    done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent)
    return done.stdout.strip() or "unknown"


def load_results(out: Path) -> dict[str, Any]:
    """The results file's content (``{}`` before the first run)."""
    return json.loads(out.read_text()) if out.exists() else {}


def merge(run: dict[str, Any], out: Path) -> None:
    """Replace this size's run in ``out``, keep the others."""
    old = load_results(out)
    runs = [r for r in old.get("runs", []) if r["store_products"] != run["store_products"]]
    runs = sorted([*runs, run], key=lambda r: r["store_products"])
    payload = {
        "benchmark": "scale",
        "machine": machine(),
        "note": old.get("note", ""),
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def print_table(runs: list[dict[str, Any]]) -> None:
    """Per step and size: wall seconds, wall and CPU milliseconds per store-product; the last/first size ratio."""
    step_names = list(dict.fromkeys(name for r in runs for name in r["steps"]))
    rows = []
    for name in [*step_names, "total"]:
        row: dict[str, Any] = {"step": name}
        for r in runs:
            n = r["store_products"]
            step = r["steps"].get(name) if name != "total" else r
            if step is None:
                continue
            row[f"s{n}"] = step["seconds"]
            row[f"ms{n}"] = 1000 * step["seconds"] / n
            if "cpu_seconds" in step:
                row[f"cpu{n}"] = 1000 * step["cpu_seconds"] / n
        if len(runs) > 1:
            first, last = runs[0]["store_products"], runs[-1]["store_products"]
            for kind in ("ms", "cpu"):
                base, top = row.get(f"{kind}{first}"), row.get(f"{kind}{last}")
                row[f"{kind}_ratio"] = top / base if base and top is not None else None
        rows.append(row)
    columns = [("step", "step", "s")]
    for r in runs:
        n = r["store_products"]
        columns += [(f"s{n}", f"{n:,} s", ".1f"), (f"ms{n}", f"ms/sp {n:,}", ".2f"), (f"cpu{n}", "cpu ms/sp", ".2f")]
    if len(runs) > 1:
        columns += [("ms_ratio", "wall ratio", ".2f"), ("cpu_ratio", "cpu ratio", ".2f")]
    print(table(rows, columns))
    for r in runs:
        state = "" if r["complete"] else " (INCOMPLETE)"
        print(
            f"{r['store_products']:,} store-products ({r['stores']} stores x {r['products_per_store']}), "
            f"{r['days']} days{state}: {r['seconds']:.0f} s, {1000 * r['seconds_per_store_product']:.2f} ms/sp"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    parser.add_argument("--days", default="365", help="N for every size, or size=N,... per size")
    parser.add_argument("--out", type=Path, default=OUT, help="results file (default: benchmarks/results/scale.json)")
    parser.add_argument("--policies", help="policy ids to keep (default: all of policies.yml); recorded as an override")
    parser.add_argument("--show", action="store_true", help="print the table of --out and exit")
    parser.add_argument(
        "--root",
        type=Path,
        help="work folder of one size, kept between invocations: an incomplete run of that size in --out made there "
        "continues at its first step not yet recorded; otherwise its simulated landing is reused (the simulate "
        "step's figures then come from the earlier run) and its warehouse and checkpoints are cleared",
    )
    parser.add_argument("--max-load", type=float, default=MAX_LOAD, help="1-min load above which a step waits")
    parser.add_argument("--wait", type=float, default=600.0, help="seconds a step waits for the load to drop")
    parser.add_argument(
        "--allow-load", action="store_true", help="smoke run: record steps whatever the load (--out outside results/)"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    policies = args.policies.split(",") if args.policies else None
    days = parse_days(args.days, sizes)
    if args.show:
        result = json.loads(args.out.read_text())
        print_table([r for r in result["runs"] if r["store_products"] in sizes])
        return result
    if args.root and len(sizes) > 1:
        raise SystemExit("--root reuses the work folder of one size: give one --sizes")
    if args.one:
        root = args.root or Path(tempfile.mkdtemp(prefix=f"lakehouse_inv_scale_{args.one}_"))
        return run_one(
            args.one,
            days[args.one],
            root.resolve(),
            args.out,
            policies,
            max_load=args.max_load,
            wait_s=args.wait,
            allow_load=args.allow_load,
        )
    check_out(args.out, args.allow_load)
    for n in sizes:
        started = time.perf_counter()
        cmd = [sys.executable, "-m", "benchmarks.scale", "--one", str(n), "--sizes", str(n), "--days", str(days[n])]
        cmd += ["--out", str(args.out.resolve())] + (["--policies", args.policies] if args.policies else [])
        cmd += ["--root", str(args.root.resolve())] if args.root else []
        cmd += ["--max-load", str(args.max_load), "--wait", str(args.wait)]
        cmd += ["--allow-load"] if args.allow_load else []
        code = subprocess.call(cmd, cwd=Path(__file__).resolve().parents[1], env=os.environ.copy())
        print(f"size {n:,}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
    result = load_results(args.out)
    print_table([r for r in result.get("runs", []) if r["store_products"] in sizes])
    print(f"-> {args.out}")
    return result


if __name__ == "__main__":
    main()
