"""The work of ``refine`` on a small world, counted rather than timed: Spark jobs and rows read from data files for
(a) the first refine of the world's history, (b) a refine after one more day landed, (c) a refine with nothing new.

Counts do not depend on what else runs on the machine, so this runs anywhere, loaded or not; the seconds it
prints are for orientation only. ``ingest`` runs between the refines and is not counted.

    .venv/bin/python -m benchmarks.refine_work [--stores 2] [--days 28]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from benchmarks.common import table, timed, write_result
from benchmarks.pipeline import context
from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import resolve
from lakehouse_inv.simulate.job import simulate
from lakehouse_inv.spark import build_spark, spark_work


def refine(ctx, as_of: dt.date, label: str) -> dict:
    ctx.as_of, ctx.run_id = as_of, f"bench-{label}"
    with spark_work(ctx.spark) as work:
        (report,), seconds = timed(lambda: run_steps(ctx, resolve(["refine"]), out=lambda *_: None))
    assert report.ok, report.error
    return {"run": label, "jobs": work.jobs, "rows_read": work.rows_read, "rows_in": report.result.rows_in}, seconds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=2)
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="lakehouse_inv_refine_work_"))
    # the status store keeps the stages whose input records are counted: keep all of them
    conf = {"spark.ui.retainedStages": "100000", "spark.ui.retainedJobs": "100000"}
    spark = build_spark("lakehouse_inv-refine-work", master="local[2]", warehouse_dir=root / "warehouse", conf=conf)
    ctx = context(spark, root, "w", {"n_stores": args.stores, "days": args.days})
    sim, landing = ctx.simulator, ctx.landing_dir
    ingest = resolve(["ingest"])
    rows, seconds = [], {}
    day_before = sim.end_date - dt.timedelta(days=1)
    for label, as_of in (("a_history", day_before), ("b_one_new_day", sim.end_date), ("c_nothing_new", sim.end_date)):
        if label != "c_nothing_new":
            simulate(sim, landing, as_of)
            ctx.as_of = as_of
            run_steps(ctx, ingest, out=lambda *_: None)
        row, seconds[label] = refine(ctx, as_of, label)
        rows.append(row)
    spark.stop()
    print(
        table(
            rows,
            [
                ("run", "refine", "s"),
                ("jobs", "Spark jobs", ",d"),
                ("rows_read", "rows read", ",d"),
                ("rows_in", "bronze rows", ",d"),
            ],
        )
    )
    print(
        "seconds (orientation only, not comparable across machines or loads):",
        {k: round(v, 1) for k, v in seconds.items()},
    )
    result = {"store_products": sim.n_stores * sim.n_products, "days": sim.days, "runs": rows}
    print(f"-> {write_result('refine_work', result)}")
    return result


if __name__ == "__main__":
    main()
