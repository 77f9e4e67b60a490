"""Stand-in for ``python -m lakehouse_inv.cli`` in the dashboard's run test: prints the runner's progress lines for
``run --steps ...`` and writes one order carrying the run id into the fixture's gold.orders. Its first step lasts
until the test creates ``<warehouse>/../release-run`` (at most a minute), so "running" is seen whatever the load.

    stub_cli.py <warehouse> run --steps optimize,generate_orders --stores S01 [--service-level 0.95] --run-id ID
        --conf-dir DIR
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixture_warehouse import orders_rows, write_table

RELEASE_FILE = "release-run"


def main() -> int:
    warehouse = Path(sys.argv[1])
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--steps", required=True)
    parser.add_argument("--stores")
    parser.add_argument("--products")
    parser.add_argument("--service-level", type=float)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--conf-dir", required=True)
    parser.add_argument("--env")
    args = parser.parse_args(sys.argv[2:])
    steps = args.steps.split(",")
    print(f"lakehouse_inv run {args.run_id}  as-of 2025-12-31  steps: {', '.join(steps)}", flush=True)
    release = warehouse.parent / RELEASE_FILE  # the test lets the run finish once it has seen it running
    deadline = time.monotonic() + 60
    for index, step in enumerate(steps, 1):
        print(f"[{index}/{len(steps)}] {step}: stand-in ...", flush=True)
        while index == 1 and not release.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        print("    done in 1.0s: 6 rows in, 6 written, 0 quarantined", flush=True)
    store = (args.stores or "S01").split(",")[0]
    new = [row for row in orders_rows(args.run_id) if row["store_id"] == store][:1]
    new[0] |= {"order_id": new[0]["order_id"] + "-new", "order_date": dt.date(2025, 12, 31)}
    write_table(warehouse, "gold", "orders", orders_rows() + new)
    print("total 2.0s", flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown: the Delta writer's threads must not turn a finished run into an abort
