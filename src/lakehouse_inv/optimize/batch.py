"""Batch CLI: ``python -m lakehouse_inv.optimize --input problems.jsonl --output results.jsonl``.

One JSON object per input line, ``{"id": …, "type": <type id>, "inputs": {…}}``; one per output line in the same
order, ``{"id", "type", "status", "decision", "cost", "bound", "gap", "solve_ms", "solver", "message"}``. A line that
is not JSON, names an unknown type or has invalid inputs gives ``{"id": <id or null>, "line": n, "status": "error",
"message": …}`` and the other lines still solve. Blank lines are skipped. A line that is not valid UTF-8 is such an
error line too (the others are read and solved). A UTF-8 byte order mark at the start of the file is skipped.

Work per line is bounded: ``--time-limit-s`` goes to HiGHS (status ``time_limit`` with the incumbent and bound found
so far, if any) and the size limits of :mod:`~lakehouse_inv.optimize.limits` are checked before a grid or model is
built (status ``error`` naming the quantity). The output is written to a temporary file and renamed over
``--output`` only when every line is answered, so an interrupted run leaves the previous output intact.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lakehouse_inv.io_utils import atomic_write
from lakehouse_inv.optimize.inputs import PolicyInputError
from lakehouse_inv.optimize.limits import DEFAULT_LIMITS, ProblemTooLarge, SizeLimits, size_limits
from lakehouse_inv.optimize.policy_types import parse_problem
from lakehouse_inv.optimize.problems import solve_parsed
from lakehouse_inv.optimize.solver import ERROR, SolverOptions

DEFAULT_TIME_LIMIT_S = 60.0


def solve_lines(lines: Iterable[str | bytes], options: SolverOptions) -> Iterator[dict[str, Any]]:
    """One output record per non-blank input line (``bytes`` lines are decoded as UTF-8, strictly, one by one)."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield solve_line(line, number, options)


def solve_line(line: str | bytes, number: int, options: SolverOptions) -> dict[str, Any]:
    started = time.perf_counter()
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = exc.object[exc.start : exc.start + 1].hex()
            return _error(None, number, f"line {number}: not valid UTF-8 (byte 0x{byte} at column {exc.start + 1})")
    if number == 1:
        line = line.removeprefix("\ufeff")  # a byte order mark, as editors on Windows write it
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
    except ProblemTooLarge as exc:
        return _error(problem_id, number, f"{record['type']}.inputs: problem too large: {exc}", record.get("type"))
    try:
        result = solve_parsed(problem, options, started)
    except ProblemTooLarge as exc:
        return _error(problem_id, number, f"{record['type']}.inputs: problem too large: {exc}", record.get("type"))
    except Exception as exc:  # one failing problem must not stop the batch
        return _error(problem_id, number, f"{type(exc).__name__}: {exc}", record.get("type"))
    return {
        "id": problem_id,
        "type": record["type"],
        "status": result.status,
        "decision": result.decision,
        "cost": _finite(result.cost),
        "bound": _finite(result.bound),
        "gap": _finite(result.gap),
        "solve_ms": round(result.solve_ms, 3),
        "solver": result.solver,
        "message": result.message,
    }


def _finite(value: float | None) -> float | None:
    """None for a missing or non-finite number (HiGHS reports bound −inf before it has one): JSON has no infinity."""
    return value if value is not None and math.isfinite(value) else None


def _error(problem_id: Any, number: int, message: str, type_id: Any = None) -> dict[str, Any]:
    record = {"id": problem_id, "line": number, "status": ERROR, "message": message}
    if isinstance(type_id, str):
        record["type"] = type_id
    return record


def _positive(kind: type[int] | type[float]):
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    """Solve every problem of ``--input`` into ``--output``; exit code 0 unless the files cannot be read/written."""
    parser = argparse.ArgumentParser(
        prog="lakehouse-inv solve-policies",
        description="Solve inventory-policy problems (JSON lines) exactly; one result line per problem line.",
    )
    parser.add_argument("--input", required=True, type=Path, help="problems, one JSON object per line")
    parser.add_argument(
        "--output",
        required=True,
        type=Path,
        help="results, one JSON object per line; written to a temporary file and renamed when complete",
    )
    parser.add_argument(
        "--time-limit-s",
        type=_positive(float),
        default=DEFAULT_TIME_LIMIT_S,
        help="HiGHS time limit per problem, seconds (default %(default)g); a problem stopped by it gets status "
        "time_limit with the best solution and bound found so far",
    )
    parser.add_argument(
        "--max-grid-points",
        type=_positive(int),
        default=DEFAULT_LIMITS.max_grid_points,
        help="most integer values a demand table or option grid of one problem may span (default %(default)d); "
        "larger problems (e.g. huge a or L) get status error before anything is built",
    )
    parser.add_argument(
        "--max-lot-sizing-cells",
        type=_positive(int),
        default=DEFAULT_LIMITS.max_lot_sizing_cells,
        help="most products x periods of a ww/clsp problem (default %(default)d); larger ones get status error",
    )
    args = parser.parse_args(argv)
    options = SolverOptions(time_limit_s=args.time_limit_s)
    limits = SizeLimits(args.max_grid_points, args.max_lot_sizing_cells)
    try:
        with args.input.open("rb") as source, atomic_write(args.output) as sink, size_limits(limits):
            for record in solve_lines(source, options):
                sink.write(json.dumps(record) + "\n")
    except OSError as exc:
        print(f"solve-policies: {exc}", file=sys.stderr)
        return 2
    return 0
