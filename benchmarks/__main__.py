"""Run every benchmark: ``python -m benchmarks`` (about 15 minutes on 2 cores). Each prints a table and writes
``benchmarks/results/<name>.json``; run one with ``python -m benchmarks.<name>``."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "pipeline",
    "walk_forward",
    "forecast_core",
    "forecast_retail",
    "forecast_censoring",
    "forecast_global",
    "forecast_spark",
    "optimize_core",
    "optimize_spark",
    "jrp",
    "replay_core",
    "replay_spark",
)


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [b for b in chosen if b not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in chosen:
        print(f"\n=== {name} ===")
        importlib.import_module(f"benchmarks.{name}").main([])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
