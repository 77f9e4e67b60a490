"""Batch CLI: one output line per non-blank input line, in order; bad lines become error records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lakehouse_inv.policies.batch import main

GOOD_SQ = {"id": "a", "type": "sQ", "inputs": {"a": 3, "L": 5, "h": 0.05, "K": 20, "pi": 5}}
GOOD_WW = {"id": "b", "type": "ww", "inputs": {"T": 4, "d": [10, 0, 20, 5], "K": 50, "h": 1}}
GOOD_NV = {"id": 7, "type": "nvbudget", "inputs": {"n": 2, "d": [4, 6], "h": [1, 1], "b": [3, 3], "c": [1, 1], "V": 8}}


def run(tmp_path: Path, lines: list[str]) -> list[dict]:
    source, sink = tmp_path / "problems.jsonl", tmp_path / "results.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--input", str(source), "--output", str(sink)]) == 0
    return [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]


def test_bad_lines_do_not_stop_the_batch(tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD_SQ),
        "{not json",
        "",
        json.dumps({"id": "u", "type": "EOQ_big", "inputs": {}}),
        json.dumps({"id": "v", "type": "sQ", "inputs": {"a": 3, "L": -1, "h": 0.05, "K": 20, "pi": 5}}),
        json.dumps({"id": "w", "type": "RS", "inputs": {"a": 3, "L": 2, "h": 0.05, "K": 20, "pie": 5}}),
        "[1, 2]",
        json.dumps(GOOD_WW),
        json.dumps(GOOD_NV),
    ]
    records = run(tmp_path, lines)
    assert [r["status"] for r in records] == [
        "optimal",
        "error",
        "error",
        "error",
        "error",
        "error",
        "optimal",
        "optimal",
    ]
    assert [r["id"] for r in records] == ["a", None, "u", "v", "w", None, "b", 7]
    assert records[1]["line"] == 2 and "invalid JSON" in records[1]["message"]
    assert records[2]["line"] == 4 and "unknown policy type 'EOQ_big'" in records[2]["message"]
    assert records[3]["message"] == "sQ.inputs.L: must be an integer >= 0, got -1"
    assert records[4]["message"].startswith("RS.inputs.pi: is required")
    assert records[0]["decision"] == {"s": 19, "Q": 51}
    assert records[6]["cost"] == 105.0  # one order of 35, or 10 then 25: both 105
    for record in (records[0], records[6], records[7]):
        assert set(record) >= {"id", "type", "status", "decision", "cost", "solve_ms"}


def test_module_entry_point(tmp_path: Path) -> None:
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps(GOOD_SQ) + "\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "lakehouse_inv.policies", "--input", str(source), "--output", str(sink)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(sink.read_text())["status"] == "optimal"


def test_missing_input_file_is_exit_code_2(tmp_path: Path) -> None:
    assert main(["--input", str(tmp_path / "absent.jsonl"), "--output", str(tmp_path / "out.jsonl")]) == 2
