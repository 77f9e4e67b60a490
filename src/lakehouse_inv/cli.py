"""``lakehouse-inv``: one command for the pipeline and its tools.

lakehouse-inv run [--steps simulate,ingest,...] [--as-of DATE]   # the DAG, locally
lakehouse-inv <step> [--as-of DATE]                               # one step (same as lakehouse-inv-<step>)
lakehouse-inv solve-policies --input problems.jsonl --output results.jsonl
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from lakehouse_inv.pipeline.steps import OPTIONAL_STEPS, STEPS

# extra tools: name -> ("module:main", help)
TOOLS: dict[str, tuple[str, str]] = {
    "forecast-file": (
        "lakehouse_inv.forecast.file_tool:main",
        "forecast a long CSV (series_id,date,demand) without a lakehouse",
    ),
    "solve-policies": (
        "lakehouse_inv.optimize.batch:main",
        "solve policy problems from JSON lines (docs/policies.md batch interface)",
    ),
    "export-orders": (
        "lakehouse_inv.generate_orders.export:main",
        "export the recommended orders (or --policy ones) of stores and dates to CSV",
    ),
    "serve-sql": (
        "lakehouse_inv.serve.thrift:main",
        "JDBC/ODBC SQL endpoint for BI tools over the local warehouse (--host, --port; read-only)",
    ),
    "sql": ("lakehouse_inv.serve.query:main", "run one SQL statement on the warehouse and print a table (--csv)"),
    "dashboard": ("lakehouse_inv.dashboard.cli:main", "web dashboard over the gold tables (--host, --port)"),
}


def _usage() -> str:
    lines = [
        "usage: lakehouse-inv <command> [options]",
        "",
        "commands:",
        "  run               run pipeline steps in DAG order (--steps, default all)",
    ]
    lines += [f"  {name:<18}{step.description}" for name, step in (STEPS | OPTIONAL_STEPS).items()]
    lines += [f"  {name:<18}{help_}" for name, (_, help_) in TOOLS.items()]
    lines.append("\n`lakehouse-inv <command> --help` shows a command's options.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    from lakehouse_inv.pipeline.runner import main_for

    if command == "run":
        return main_for(None, rest, prog="lakehouse-inv run")
    step = command.replace("-", "_")
    if step in STEPS or step in OPTIONAL_STEPS:
        return main_for([step], rest, prog=f"lakehouse-inv {command}")
    if command in TOOLS:
        module, function = TOOLS[command][0].split(":")
        return getattr(importlib.import_module(module), function)(rest)
    print(f"error: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
