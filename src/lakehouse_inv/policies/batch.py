"""Batch CLI: ``python -m lakehouse_inv.policies --input problems.jsonl --output results.jsonl``.

One JSON object per input line, ``{"id": …, "type": <type id>, "inputs": {…}}``; one per output line in the same
order, ``{"id", "type", "status", "decision", "cost", "bound", "gap", "solve_ms", "solver", "message"}``. A line that
is not JSON, names an unknown type or has invalid inputs gives ``{"id": <id or null>, "line": n, "status": "error",
"message": …}`` and the other lines still solve. Blank lines are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lakehouse_inv.policies.inputs import PolicyInputError, parse_problem
from lakehouse_inv.policies.problems import solve_parsed
from lakehouse_inv.policies.solver import ERROR, SolverOptions


def solve_lines(lines: Iterable[str], options: SolverOptions) -> Iterator[dict[str, Any]]:
    """One output record per non-blank input line."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield solve_line(line, number, options)


def solve_line(line: str, number: int, options: SolverOptions) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return _error(None, number, f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(record, dict):
        return _error(None, number, f"line {number}: expected a JSON object, got {type(record).__name__}")
    problem_id = record.get("id")
    try:
        problem = parse_problem(record.get("type"), record.get("inputs"))
    except PolicyInputError as exc:
        return _error(problem_id, number, str(exc), record.get("type"))
    try:
        result = solve_parsed(problem, options, started)
    except Exception as exc:  # one failing problem must not stop the batch
        return _error(problem_id, number, f"{type(exc).__name__}: {exc}", record.get("type"))
    return {
        "id": problem_id,
        "type": record["type"],
        "status": result.status,
        "decision": result.decision,
        "cost": result.cost,
        "bound": result.bound,
        "gap": result.gap,
        "solve_ms": round(result.solve_ms, 3),
        "solver": result.solver,
        "message": result.message,
    }


def _error(problem_id: Any, number: int, message: str, type_id: Any = None) -> dict[str, Any]:
    record = {"id": problem_id, "line": number, "status": ERROR, "message": message}
    if isinstance(type_id, str):
        record["type"] = type_id
    return record


def main(argv: list[str] | None = None) -> int:
    """Solve every problem of ``--input`` into ``--output``; exit code 0 unless the files cannot be read/written."""
    parser = argparse.ArgumentParser(
        prog="lakehouse-inv solve-policies",
        description="Solve inventory-policy problems (JSON lines) exactly; one result line per problem line.",
    )
    parser.add_argument("--input", required=True, type=Path, help="problems, one JSON object per line")
    parser.add_argument("--output", required=True, type=Path, help="results, one JSON object per line")
    parser.add_argument("--time-limit-s", type=float, default=None, help="HiGHS time limit per problem")
    args = parser.parse_args(argv)
    options = SolverOptions(time_limit_s=args.time_limit_s)
    try:
        with args.input.open(encoding="utf-8") as source, args.output.open("w", encoding="utf-8") as sink:
            for record in solve_lines(source, options):
                sink.write(json.dumps(record) + "\n")
    except OSError as exc:
        print(f"solve-policies: {exc}", file=sys.stderr)
        return 2
    return 0
