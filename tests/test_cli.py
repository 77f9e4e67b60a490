"""The `lakehouse-inv` command dispatches to the pipeline steps and the tools."""

from __future__ import annotations

import json

from lakehouse_inv.cli import main


def test_help_lists_steps_and_tools(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("run", "simulate", "refine", "evaluate", "forecast-file", "solve-policies", "export-orders"):
        assert command in out


def test_unknown_command_is_an_error(capsys):
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_solve_policies_answers_every_line(tmp_path):
    problems = tmp_path / "problems.jsonl"
    problems.write_text(
        json.dumps({"id": "a", "type": "sQ", "inputs": {"a": 3.0, "L": 2, "h": 0.05, "K": 20.0, "pi": 4.0}})
        + "\n{not json\n"
        + json.dumps({"id": "c", "type": "zz", "inputs": {}})
        + "\n"
    )
    results = tmp_path / "results.jsonl"
    assert main(["solve-policies", "--input", str(problems), "--output", str(results)]) == 0
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["optimal", "error", "error"]
    assert set(rows[0]["decision"]) == {"s", "Q"} and rows[0]["cost"] > 0


def test_bad_configuration_stops_a_run_before_anything_is_written(tmp_path, capsys):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "simulator.yml").write_text("n_stores: 0\n")
    assert main(["run", "--conf-dir", str(tmp_path), "--steps", "simulate"]) == 2
    err = capsys.readouterr().err
    assert "simulator.yml: invalid configuration" in err and "n_stores" in err
    assert not (tmp_path / "landing").exists()


def test_step_names_packages_and_console_scripts_agree():
    """Step ``x`` is ``lakehouse_inv.x.job:run``, and its console script ``lakehouse-inv-x`` (``_`` as ``-``) is
    ``lakehouse_inv.x.job:main``: one name per step wherever a user or an engineer meets it."""
    import tomllib
    from pathlib import Path

    from lakehouse_inv.pipeline.steps import OPTIONAL_STEPS, STEPS

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    scripts = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["scripts"]
    steps = STEPS | OPTIONAL_STEPS
    assert {name: step.target for name, step in steps.items()} == {
        name: f"lakehouse_inv.{name}.job:run" for name in steps
    }
    step_scripts = {s: t for s, t in scripts.items() if s != "lakehouse-inv"}
    assert step_scripts == {
        f"lakehouse-inv-{name.replace('_', '-')}": f"lakehouse_inv.{name}.job:main" for name in steps
    }
    for step in steps.values():
        assert callable(step.load())
