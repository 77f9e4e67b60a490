"""Batch CLI: one output line per non-blank input line, in order; bad lines become error records."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from policy_brute_force import poisson_pmf, sq_grid

from lakehouse_inv.optimize import batch
from lakehouse_inv.optimize.batch import main

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
        [sys.executable, "-m", "lakehouse_inv.optimize", "--input", str(source), "--output", str(sink)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(sink.read_text())["status"] == "optimal"


def test_missing_input_file_is_exit_code_2(tmp_path: Path) -> None:
    assert main(["--input", str(tmp_path / "absent.jsonl"), "--output", str(tmp_path / "out.jsonl")]) == 2


# ----- issue 9: wrong answers reported as proven, crashes on bad bytes, unbounded work -------------------------------


def sq_line(problem_id: str, **inputs: float) -> str:
    return json.dumps({"id": problem_id, "type": "sQ", "inputs": inputs})


def test_long_lead_time_outside_the_cost_model_is_an_error_not_an_optimum(tmp_path: Path) -> None:
    """h·L = 12.5 > pi = 5: the docs/policies.md cost is minimised at s = 0, Q = 673 with cost −3.87 (brute force
    agrees), because its holding term h·(Q/2 + s − a·L) turns into a credit for backorders. That is no policy cost."""
    [record] = run(tmp_path, [sq_line("long", a=3, L=250, h=0.05, K=20, pi=5)])
    assert record["status"] == "error"
    assert "decision" not in record or record["decision"] is None
    assert "L, h, pi" in record["message"] and "s=0, Q=673" in record["message"]


def test_long_lead_time_inside_the_model_matches_brute_force(tmp_path: Path) -> None:
    a, L, h, K, pi = 3, 250, 0.05, 20, 50
    [record] = run(tmp_path, [sq_line("long", a=a, L=L, h=h, K=K, pi=pi)])
    grid = sq_grid(a, L, h, K, pi, poisson_pmf(a * L), s_max=1200, q_max=400)
    s, q = np.unravel_index(np.argmin(grid), grid.shape)
    assert record["status"] == "optimal"
    assert record["decision"] == {"s": int(s), "Q": int(q) + 1} == {"s": 807, "Q": 60}
    assert record["cost"] == pytest.approx(float(grid[s, q]), rel=1e-9)


def test_out_of_range_and_non_finite_inputs_name_the_field(tmp_path: Path) -> None:
    lines = [
        '{"id": 1, "type": "sQ", "inputs": {"a": NaN, "L": 5, "h": 0.05, "K": 20, "pi": 5}}',
        '{"id": 2, "type": "sQ", "inputs": {"a": 3, "L": 5, "h": Infinity, "K": 20, "pi": 5}}',
        sq_line("3", a=3, L=5, h=0.05, K=-20, pi=5),
        sq_line("4", a=3, L=1_000_000_000, h=0.05, K=20, pi=50),
    ]
    records = run(tmp_path, lines)
    assert [r["status"] for r in records] == ["error"] * 4
    assert records[0]["message"] == "sQ.inputs.a: must be a number >= 0, got nan"
    assert records[1]["message"] == "sQ.inputs.h: must be a number > 0, got inf"
    assert records[2]["message"] == "sQ.inputs.K: must be a number >= 0, got -20"
    assert records[3]["message"].startswith("sQ.inputs: problem too large: demand over 1,000,000,000 days")


def test_a_number_of_any_size_out_of_range_names_its_field(tmp_path: Path) -> None:
    huge, tiny = "1e308", "1e-320"  # beyond what pi / h or 1 / h can hold in a float or an int
    lines = [
        GOOD_SQ | {"inputs": GOOD_SQ["inputs"] | {"pi": float(huge)}},
        GOOD_SQ | {"inputs": GOOD_SQ["inputs"] | {"h": float(tiny)}},
        GOOD_SQ | {"inputs": GOOD_SQ["inputs"] | {"L": 10**400}},
        GOOD_WW | {"inputs": GOOD_WW["inputs"] | {"d": [10, 0, 1e300, 5]}},
        GOOD_NV | {"inputs": GOOD_NV["inputs"] | {"V": -1e308}},
    ]
    records = run(tmp_path, [json.dumps(line) for line in lines])
    fields = ["sQ.inputs.pi", "sQ.inputs.h", "sQ.inputs.L", "ww.inputs.d[2]", "nvbudget.inputs.V"]
    assert [r["message"].split(":")[0] for r in records] == fields
    assert all(r["status"] == "error" and "Error" not in r["message"] for r in records), records


def test_a_byte_order_mark_at_the_start_is_skipped(tmp_path: Path) -> None:
    source, sink = tmp_path / "problems.jsonl", tmp_path / "results.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD_SQ).encode() + b"\n" + json.dumps(GOOD_WW).encode() + b"\n")
    assert main(["--input", str(source), "--output", str(sink)]) == 0
    records = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["status"]) for r in records] == [("a", "optimal"), ("b", "optimal")]


def test_a_non_utf8_line_is_an_error_row_and_the_others_solve(tmp_path: Path) -> None:
    source, sink = tmp_path / "problems.jsonl", tmp_path / "results.jsonl"
    bad = b'{"id": "x\xff", "type": "sQ", "inputs": {}}'
    source.write_bytes(json.dumps(GOOD_SQ).encode() + b"\n" + bad + b"\n" + json.dumps(GOOD_WW).encode() + b"\n")
    assert main(["--input", str(source), "--output", str(sink)]) == 0
    records = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in records] == ["optimal", "error", "optimal"]
    assert records[1]["line"] == 2
    assert records[1]["message"] == "line 2: not valid UTF-8 (byte 0xff at column 10)"


def test_an_interrupted_run_keeps_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, sink = tmp_path / "problems.jsonl", tmp_path / "results.jsonl"
    source.write_text(json.dumps(GOOD_SQ) + "\n" + json.dumps(GOOD_WW) + "\n", encoding="utf-8")
    sink.write_text("previous results\n", encoding="utf-8")
    real_solve_line = batch.solve_line

    def crash_on_line_2(line: str | bytes, number: int, options: object) -> dict:
        if number == 2:
            raise KeyboardInterrupt
        return real_solve_line(line, number, options)

    monkeypatch.setattr(batch, "solve_line", crash_on_line_2)
    with pytest.raises(KeyboardInterrupt):
        main(["--input", str(source), "--output", str(sink)])
    assert sink.read_text(encoding="utf-8") == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problems.jsonl", "results.jsonl"]


def test_unwritable_output_is_exit_code_2_without_solving(tmp_path: Path) -> None:
    source = tmp_path / "problems.jsonl"
    source.write_text(json.dumps(GOOD_SQ) + "\n", encoding="utf-8")
    assert main(["--input", str(source), "--output", str(tmp_path / "missing-dir" / "out.jsonl")]) == 2


def test_work_per_line_is_bounded_by_size_limits(tmp_path: Path) -> None:
    started = time.perf_counter()
    records = run(
        tmp_path,
        [
            sq_line("huge-a", a=1e12, L=0, h=0.05, K=20, pi=5),
            json.dumps({"id": "long-ww", "type": "ww", "inputs": {"T": 20_000, "d": [1] * 20_000, "K": 5, "h": 1}}),
            json.dumps(
                {"id": "rs", "type": "RS", "inputs": {"a": 0, "L": 1, "h": 0.05, "K": 20, "pi": 5, "R_max": 10**5}}
            ),
            json.dumps({"id": "nv", "type": "nvbudget", "inputs": GOOD_NV["inputs"] | {"d": [1e10, 6]}}),
            json.dumps(GOOD_WW),
        ],
    )
    assert time.perf_counter() - started < 20
    assert [r["status"] for r in records] == ["error", "error", "error", "error", "optimal"]
    assert records[2]["message"].startswith("RS.inputs: problem too large: the review periods R = 1 … 100000")
    assert records[3]["message"].startswith("nvbudget.inputs: problem too large: demand over 1 days (mean 1e+10")
    assert records[0]["message"].startswith("sQ.inputs: problem too large: the order quantities Q")
    assert records[1]["message"] == (
        "ww.inputs.T: 1 product(s) x 20000 periods = 20,000 cells exceed the size limit of 10,000 "
        "(solve-policies --max-lot-sizing-cells)"
    )


def test_size_limits_are_configurable(tmp_path: Path) -> None:
    source, sink = tmp_path / "problems.jsonl", tmp_path / "results.jsonl"
    source.write_text(json.dumps(GOOD_WW) + "\n" + json.dumps(GOOD_SQ) + "\n", encoding="utf-8")
    argv = ["--input", str(source), "--output", str(sink), "--max-lot-sizing-cells", "3", "--max-grid-points", "50"]
    assert main(argv) == 0
    records = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in records] == ["error", "error"]
    assert "size limit of 3" in records[0]["message"] and "size limit of 50" in records[1]["message"]


def reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def test_time_limit_reaches_highs_and_is_reported(tmp_path: Path) -> None:
    demand = [(7 * t) % 23 for t in range(300)]
    problem = {"id": "ww", "type": "ww", "inputs": {"T": 300, "d": demand, "K": 90, "h": 1}}
    source, sink = tmp_path / "problems.jsonl", tmp_path / "results.jsonl"
    source.write_text(json.dumps(problem) + "\n", encoding="utf-8")
    assert main(["--input", str(source), "--output", str(sink), "--time-limit-s", "0.001"]) == 0
    [record] = [json.loads(line, parse_constant=reject_constant) for line in sink.read_text().splitlines()]
    assert record["status"] == "time_limit"
    assert record["bound"] is None or math.isfinite(record["bound"])
    assert "time limit 0.001 s" in record["message"]


def test_help_documents_the_default_limits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default 60)" in text and "(default 5000000)" in text and "(default 10000)" in text
