"""The whole DAG on the demo world (6 stores x 20 products) and a 1,000-store-product world (50 x 20), one year.

Per step: seconds and rows/s (the larger of rows read and rows written). The demo world runs first in a fresh
Spark session, so its simulate -> gold time is the cold figure (target: under 3 minutes on 2 cores); the Spark
start itself is reported as its own line.

    .venv/bin/python -m benchmarks.pipeline [--worlds demo,1k]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.common import spark_session, table, timed, write_result
from lakehouse_inv.config import PipelineConfig, SchemaNames
from lakehouse_inv.pipeline.configs import load_configs
from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import STEPS

WORLDS = {"demo": {"n_stores": 6}, "1k": {"n_stores": 50}}
FOUNDATION = ("simulate", "ingest", "refine", "gold")
CONF = Path(__file__).resolve().parents[1] / "conf"


def context(spark, root: Path, name: str, simulator: dict) -> JobContext:
    configs = load_configs(CONF)
    sim = configs["simulator"].model_copy(update=simulator)
    pipeline = PipelineConfig(
        landing_dir=str(root / name / "landing"),
        checkpoint_dir=str(root / name / "checkpoints"),
        schemas=SchemaNames(bronze=f"{name}_bronze", silver=f"{name}_silver", gold=f"{name}_gold"),
        mlflow_tracking_uri=f"sqlite:///{root / name / 'mlflow.db'}",
    )
    return JobContext(
        configs={**configs, "pipeline": pipeline, "simulator": sim},
        conf_dir=CONF,
        as_of=sim.end_date,
        run_id=f"bench-{name}",
        spark_session=spark,
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", default="demo,1k")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="lakehouse_inv_bench_"))
    spark, start_s = timed(lambda: spark_session(root / "warehouse"))
    rows, summary = [{"world": "-", "step": "spark start", "seconds": start_s}], {"spark_start_s": start_s}
    for name in args.worlds.split(","):
        ctx = context(spark, root, name, WORLDS[name])
        reports = run_steps(ctx, list(STEPS.values()), out=lambda *_: None)
        for r in reports:
            res = r.result
            moved = max(res.rows_in, res.rows_out) if res else 0
            rows.append(
                {
                    "world": name,
                    "step": r.step,
                    "seconds": r.seconds,
                    "rows": moved,
                    "rows_per_s": moved / r.seconds if r.seconds else 0,
                    "ok": r.ok,
                }
            )
        foundation = sum(r.seconds for r in reports if r.step in FOUNDATION)
        summary[name] = {
            "store_products": ctx.simulator.n_stores * ctx.simulator.n_products,
            "simulate_to_gold_s": foundation + (start_s if name == args.worlds.split(",")[0] else 0.0),
            "all_steps_s": sum(r.seconds for r in reports),
            "all_ok": all(r.ok for r in reports),
        }
        report = next((r.result.report for r in reports if r.result and r.result.report), "")
        summary[name]["comparison"] = report
    spark.stop()
    print(
        table(
            rows,
            [
                ("world", "world", "s"),
                ("step", "step", "s"),
                ("seconds", "seconds", ".1f"),
                ("rows", "rows", ",d"),
                ("rows_per_s", "rows/s", ",.0f"),
            ],
        )
    )
    for name in args.worlds.split(","):
        s = summary[name]
        print(
            f"{name}: {s['store_products']} store-products, simulate->gold {s['simulate_to_gold_s']:.1f}s"
            f" (the first world includes the Spark start), all steps {s['all_steps_s']:.1f}s"
        )
    result = {"rows": rows, "summary": summary}
    print(f"-> {write_result('pipeline', result)}")
    return result


if __name__ == "__main__":
    main()
