"""The whole walk-forward evaluation (selection + evaluation windows, every policy re-optimized on its own schedule)
on the demo world (120 store-products) and a 1,000-store-product world, one simulated year each.

Per world: seconds of the evaluate step in walk_forward mode alone (the foundation steps simulate -> refine run
first and are not counted), forecasts made (series x origins), decisions solved (policy x item x decision day),
replayed item-days, and the cost per item-day and per re-optimized decision. Target: under 4 minutes per world on 2
cores. CPU seconds of the process tree are reported beside wall time (a shared machine inflates wall time).

    .venv/bin/python -m benchmarks.walk_forward [--worlds demo,1k]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pyspark.sql import functions as F

from benchmarks.common import child_cpu_seconds, spark_session, table, timed, write_result
from benchmarks.pipeline import WORLDS, context
from lakehouse_inv.evaluate.walk_forward import decision_days, plan_windows
from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import resolve

TARGET_S = 240.0


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", default="demo,1k")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="lakehouse_inv_wf_"))
    spark = spark_session(root / "warehouse")
    rows = []
    for name in args.worlds.split(","):
        ctx = context(spark, root, name, WORLDS[name])
        evaluate = ctx.configs["evaluate"]
        ctx.configs["evaluate"] = evaluate.model_copy(update={"modes": ["walk_forward"]})
        foundation = run_steps(ctx, resolve(["simulate", "ingest", "refine"]), out=lambda *_: None)
        assert all(r.ok for r in foundation), [r.error for r in foundation]
        cpu_before = child_cpu_seconds()
        reports, seconds = timed(lambda ctx=ctx: run_steps(ctx, resolve(["evaluate"]), out=lambda *_: None))
        cpu = child_cpu_seconds() - cpu_before
        assert reports[0].ok, reports[0].error
        forecast = ctx.configs["forecast"]
        windows = plan_windows(
            ctx.as_of, ctx.configs["evaluate"], evaluate.walk_forward.forecast_step_days or forecast.backtest.step_days
        )
        items = ctx.read("silver", "store_product").count()
        levels = ctx.read("gold", "inventory_levels").where("evaluation = 'walk_forward'")
        # one pass: replayed item-days and managed items per policy
        per_policy = {
            r.policy_id: (r.item_days, r.items)
            for r in levels.groupBy("policy_id")
            .agg(F.count("*").alias("item_days"), F.countDistinct("store_id", "product_id").alias("items"))
            .collect()
        }
        item_days = sum(days for days, _ in per_policy.values())
        decisions = sum(
            len(decision_days(p, windows)) * per_policy.get(p.id, (0, 0))[1] for p in ctx.configs["policies"].active
        )
        rows.append(
            {
                "world": name,
                "store_products": items,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "origins": len(windows.origins),
                "forecasts": items * len(windows.origins),
                "decisions": decisions,
                "item_days": item_days,
                "us_per_item_day": seconds / item_days * 1e6 if item_days else float("nan"),
                "ms_per_decision": seconds / decisions * 1e3 if decisions else float("nan"),
                "under_target": seconds < TARGET_S,
            }
        )
        print(reports[0].result.report)
    spark.stop()
    print(
        table(
            rows,
            [
                ("world", "world", "s"),
                ("store_products", "items", ",d"),
                ("seconds", "seconds", ".1f"),
                ("cpu_seconds", "CPU s", ".1f"),
                ("origins", "origins", "d"),
                ("decisions", "decisions", ",d"),
                ("item_days", "item-days", ",d"),
                ("us_per_item_day", "µs/item-day", ".1f"),
                ("ms_per_decision", "ms/decision", ".1f"),
            ],
        )
    )
    result = {"rows": rows, "target_seconds": TARGET_S}
    print(f"-> {write_result('walk_forward', result)}")
    return result


if __name__ == "__main__":
    main()
