"""Shared by the benchmarks: one Spark session, timing, results as a table on stdout and JSON on disk."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
MAX_LOAD = 2.5  # 1-minute load average above which a timed step does not start (2 cores: one busy core is 1.0)


def spark_session(warehouse: Path):
    from lakehouse_inv.spark import build_spark

    return build_spark("lakehouse_inv-bench", master="local[*]", warehouse_dir=warehouse)


def load_1min() -> float:
    return os.getloadavg()[0]


def wait_for_quiet(max_load: float, wait_s: float, *, poll_s: float = 15.0, load=load_1min, sleep=time.sleep) -> float:
    """The 1-minute load once it is at most ``max_load``, waiting up to ``wait_s`` seconds; the last reading if it
    never got there (the caller then refuses to record)."""
    deadline = time.monotonic() + wait_s
    current = load()
    while current > max_load and time.monotonic() < deadline:
        print(f"  1-min load {current:.2f} > {max_load}: waiting for a quiet machine", flush=True)
        sleep(poll_s)
        current = load()
    return current


def check_out(out: Path, allow_load: bool) -> None:
    """A run that records work started on a loaded machine must not write into benchmarks/results/."""
    if allow_load and out.resolve().is_relative_to(RESULTS.resolve()):
        raise SystemExit(f"--allow-load records work started on a loaded machine: give an --out outside {RESULTS}")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def force(df) -> None:
    """Run a DataFrame's whole plan (every UDF call) without collecting it."""
    df.write.format("noop").mode("overwrite").save()


def tree_cpu_seconds(root: int | None = None, *, include_root: bool = True) -> float:
    """CPU seconds (user + system, reaped children included) of ``root`` (default: this process) and every process
    below it, e.g. Spark's JVM and its Python workers; without ``root`` itself when ``include_root`` is false. Linux
    ``/proc`` only; 0.0 elsewhere.

    On a shared machine wall time depends on what else runs; CPU seconds do not (much), so a Spark/pandas ratio
    of CPU seconds is comparable between runs where the wall-time ratio is not.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    parent_of: dict[int, int] = {}
    cpu: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parent_of[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for pid, parent in parent_of.items():
        children.setdefault(parent, []).append(pid)
    ticks, todo = (cpu.get(root, 0) if include_root else 0), list(children.get(root, []))
    while todo:
        pid = todo.pop()
        ticks += cpu.get(pid, 0)
        todo += children.get(pid, [])
    return ticks / os.sysconf("SC_CLK_TCK")


def child_cpu_seconds(root: int | None = None) -> float:
    """:func:`tree_cpu_seconds` of the processes below ``root`` only."""
    return tree_cpu_seconds(root, include_root=False)


def machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **result,
    }
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, str]]) -> str:
    """``columns``: (key, header, format spec) per column."""
    widths = [max(len(h), 12) for _, h, _ in columns]
    lines = ["  ".join(h.rjust(w) for (_, h, _), w in zip(columns, widths, strict=True))]
    for row in rows:
        cells = []
        for (key, _, spec), w in zip(columns, widths, strict=True):
            value = row.get(key)
            text = format(value, spec) if isinstance(value, int | float) else ("" if value is None else str(value))
            cells.append(text.rjust(w))
        lines.append("  ".join(cells))
    return "\n".join(lines)
