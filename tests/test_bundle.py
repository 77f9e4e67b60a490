"""The Databricks bundle without a workspace: entry points, dependencies, schedules, timeouts, retries,
notifications, permissions, and the Unity Catalog grants the `grants` task applies."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from croniter import croniter

from bundle_checks import bundle_problems, load_bundle, quartz_problems
from lakehouse_inv.config import SchemaNames
from lakehouse_inv.grants.statements import grant_statements
from lakehouse_inv.monitor.config import GovernanceConfig

ROOT = Path(__file__).resolve().parents[1]


def test_bundle_has_no_problems():
    assert bundle_problems(ROOT) == []


def test_every_job_reports_failures_and_every_task_times_out_and_retries():
    _, jobs = load_bundle(ROOT)
    assert {"lakehouse_inv_daily", "lakehouse_inv_demo", "lakehouse_inv_maintain"} <= set(jobs)
    daily = {t["task_key"]: t for t in jobs["lakehouse_inv_daily"]["tasks"]}
    assert {"monitor", "grants"} <= set(daily)
    assert {d["task_key"] for d in daily["monitor"]["depends_on"]} == {"backtest", "generate_orders"}
    # generate_orders marks the recommended order per item from gold.policy_recommendation, which evaluate writes
    assert [d["task_key"] for d in daily["generate_orders"]["depends_on"]] == ["evaluate"]
    assert [d["task_key"] for d in daily["evaluate"]["depends_on"]] == ["optimize"]
    for task in daily.values():  # one run id for every task, so monitor sees the whole run
        assert "{{job.run_id}}" in task["python_wheel_task"]["parameters"]


def _broken_copy(tmp_path: Path, edit) -> Path:
    for name in ("databricks.yml", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "jobs", tmp_path / "jobs")
    path = tmp_path / "jobs" / "lakehouse_inv.job.yml"
    doc = yaml.safe_load(path.read_text())
    edit(doc["resources"]["jobs"]["lakehouse_inv_daily"])
    path.write_text(yaml.safe_dump(doc))
    return tmp_path


def _unknown_dependency(job):
    job["tasks"][1]["depends_on"] = [{"task_key": "ingset"}]


def _unknown_entry_point(job):
    job["tasks"][0]["python_wheel_task"]["entry_point"] = "lakehouse-inv-nothing"


def _no_timeout(job):
    del job["tasks"][2]["timeout_seconds"]


def _bad_schedule(job):
    job["schedule"]["quartz_cron_expression"] = "30 4 * * *"


def _no_notification(job):
    del job["email_notifications"]


@pytest.mark.parametrize(
    "edit,message",
    [
        (_unknown_dependency, "task refine: depends on unknown task 'ingset'"),
        (_unknown_entry_point, "task ingest: entry point 'lakehouse-inv-nothing' is not in [project.scripts]"),
        (_no_timeout, "task gold: no timeout_seconds"),
        (_bad_schedule, "expected 6 or 7 fields"),
        (_no_notification, "no email_notifications/webhook_notifications on_failure"),
    ],
)
def test_bundle_checks_catch_broken_jobs(tmp_path, edit, message):
    problems = bundle_problems(_broken_copy(tmp_path, edit))
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    "expression",
    ["0 30 4 * * ?", "0 0 2 ? * SUN", "0 0 */6 * * ?", "0 15 10 ? * 6L 2026", "0 0 12 LW * ?", "0 0 8 ? * MON-FRI"],
)
def test_valid_quartz_expressions(expression):
    assert quartz_problems(expression) == []


@pytest.mark.parametrize(
    "expression,message",
    [
        ("30 4 * * *", "expected 6 or 7 fields"),
        ("0 30 4 * * *", "exactly one of day-of-month and day-of-week must be '?'"),
        ("0 30 4 ? * ?", "exactly one of day-of-month and day-of-week must be '?'"),
        ("0 61 4 * * ?", "minutes '61'"),
        ("0 0 24 * * ?", "hours '24'"),
        ("0 0 2 ? * FUNDAY", "day-of-week 'FUNDAY'"),
        ("0 0 2 ? 13 MON", "month '13'"),
        ("0 0 2 5-1 * ?", "day-of-month '5-1'"),
    ],
)
def test_invalid_quartz_expressions(expression, message):
    assert any(message in p for p in quartz_problems(expression))


def _as_unix_cron(quartz: str) -> str:
    """Quartz (sec min hour dom month dow [year]) -> 5-field cron for the simple forms the bundle uses."""
    _, minute, hour, dom, month, dow, *_ = quartz.split()
    return " ".join([minute, hour, "*" if dom == "?" else dom, month, "*" if dow == "?" else dow.lower()])


@pytest.mark.parametrize(
    "job,first_fire",
    [
        ("lakehouse_inv_daily", dt.datetime(2026, 1, 1, 4, 30)),
        ("lakehouse_inv_maintain", dt.datetime(2026, 1, 4, 2, 0)),  # the first Sunday of 2026
        ("lakehouse_inv_demo", dt.datetime(2026, 1, 1, 0, 0)),
    ],
)
def test_schedules_fire_when_documented(job, first_fire):
    _, jobs = load_bundle(ROOT)
    expression = _as_unix_cron(jobs[job]["schedule"]["quartz_cron_expression"])
    assert croniter.is_valid(expression)
    assert croniter(expression, dt.datetime(2025, 12, 31, 23, 59)).get_next(dt.datetime) == first_fire


def test_bundle_permissions_and_group_variables():
    bundle, jobs = load_bundle(ROOT)
    permissions = {p["group_name"]: p["level"] for p in bundle["permissions"]}
    assert permissions == {"${var.engineers_group}": "CAN_MANAGE", "${var.analysts_group}": "CAN_VIEW"}
    for job in jobs.values():  # the grants task reads the groups from the cluster's environment
        env = job["job_clusters"][0]["new_cluster"]["spark_env_vars"]
        assert env["LAKEHOUSE_INV_ENGINEERS_GROUP"] == "${var.engineers_group}"
        assert env["LAKEHOUSE_INV_ANALYSTS_GROUP"] == "${var.analysts_group}"
    overlay = yaml.safe_load((ROOT / "conf" / "databricks" / "monitoring.yml").read_text())
    assert overlay["governance"] == {
        "engineers_group": "${LAKEHOUSE_INV_ENGINEERS_GROUP}",
        "analysts_group": "${LAKEHOUSE_INV_ANALYSTS_GROUP}",
    }


def test_grants_give_analysts_gold_only_and_engineers_every_layer():
    schemas = SchemaNames(catalog="main", bronze="inv_bronze", silver="inv_silver", gold="inv_gold")
    statements = grant_statements(schemas, GovernanceConfig(engineers_group="eng", analysts_group="bi"))
    granted = [s for s in statements if s.startswith("GRANT")]
    analysts = [s for s in granted if s.endswith("TO `bi`")]
    assert analysts == [
        "GRANT USE CATALOG ON CATALOG main TO `bi`",
        "GRANT USE SCHEMA ON SCHEMA main.inv_gold TO `bi`",
        "GRANT SELECT ON SCHEMA main.inv_gold TO `bi`",
    ]
    for layer in ("bronze", "silver", "gold"):
        assert f"GRANT ALL PRIVILEGES ON SCHEMA main.inv_{layer} TO `eng`" in granted
    assert {s for s in statements if s.startswith("REVOKE")} == {
        "REVOKE ALL PRIVILEGES ON SCHEMA main.inv_bronze FROM `bi`",
        "REVOKE ALL PRIVILEGES ON SCHEMA main.inv_silver FROM `bi`",
    }
    assert not any("${" in s for s in statements)
