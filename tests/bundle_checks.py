"""Self-checks of the Databricks Asset Bundle (``databricks.yml`` + ``jobs/*.job.yml``) that need no workspace:
entry points exist in ``[project.scripts]``, dependencies name tasks of the same job, schedules are valid Quartz
cron, every task has a timeout and a retry policy, every job reports failures, and the bundle sets permissions.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# field name, min, max, names (mapped to min + index)
_FIELDS = [
    ("seconds", 0, 59, []),
    ("minutes", 0, 59, []),
    ("hours", 0, 23, []),
    ("day-of-month", 1, 31, []),
    ("month", 1, 12, MONTHS),
    ("day-of-week", 1, 7, DAYS),
    ("year", 1970, 2099, []),
]


def _value(token: str, low: int, high: int, names: list[str]) -> int | None:
    if token.upper() in names:
        return low + names.index(token.upper())
    if token.isdigit() and low <= int(token) <= high:
        return int(token)
    return None


def _element_ok(element: str, field: str, low: int, high: int, names: list[str]) -> bool:
    if field == "day-of-month" and re.fullmatch(r"L(-\d{1,2})?|LW|\d{1,2}W", element):
        return all(1 <= int(n) <= 31 for n in re.findall(r"\d+", element))
    if field == "day-of-week" and (m := re.fullmatch(r"(\w+)(L|#[1-5])", element)):
        return _value(m.group(1), low, high, names) is not None
    base, _, step = element.partition("/")
    if step and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*":
        return True
    first, _, last = base.partition("-")
    a = _value(first, low, high, names)
    b = _value(last, low, high, names) if last else a
    return a is not None and b is not None and a <= b


def quartz_problems(expression: str) -> list[str]:
    """What is wrong with a Quartz cron expression (``sec min hour day-of-month month day-of-week [year]``)."""
    parts = expression.split()
    if len(parts) not in (6, 7):
        return [f"{expression!r}: expected 6 or 7 fields (seconds first), got {len(parts)}"]
    problems = []
    for part, (field, low, high, names) in zip(parts, _FIELDS, strict=False):
        if part == "?" and field in ("day-of-month", "day-of-week"):
            continue
        bad = [e for e in part.split(",") if not _element_ok(e, field, low, high, names)]
        if bad:
            problems.append(f"{expression!r}: {field} {part!r} is not valid ({low}-{high})")
    if (parts[3] == "?") == (parts[5] == "?"):
        problems.append(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    return problems


def load_bundle(root: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(databricks.yml, {job key: job}) of the bundle at ``root``."""
    bundle = yaml.safe_load((root / "databricks.yml").read_text())
    jobs: dict[str, dict[str, Any]] = {}
    for pattern in bundle.get("include", []):
        for path in sorted(root.glob(pattern)):
            jobs |= (yaml.safe_load(path.read_text()).get("resources") or {}).get("jobs") or {}
    return bundle, jobs


def bundle_problems(root: Path) -> list[str]:
    bundle, jobs = load_bundle(root)
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    problems = []
    levels = {p.get("level") for p in bundle.get("permissions", [])}
    if not {"CAN_MANAGE", "CAN_VIEW"} <= levels:
        problems.append(f"databricks.yml: permissions need CAN_MANAGE and CAN_VIEW entries, found {sorted(levels)}")
    if not jobs:
        problems.append("no jobs found through databricks.yml include")
    for key, job in jobs.items():
        where = f"job {key}"
        notify = (job.get("email_notifications") or {}).get("on_failure") or (
            job.get("webhook_notifications") or {}
        ).get("on_failure")
        if not notify:
            problems.append(f"{where}: no email_notifications/webhook_notifications on_failure")
        if "schedule" in job:
            problems += [f"{where}: {p}" for p in quartz_problems(job["schedule"]["quartz_cron_expression"])]
        tasks = {t["task_key"]: t for t in job.get("tasks", [])}
        for task_key, task in tasks.items():
            at = f"{where} task {task_key}"
            entry = (task.get("python_wheel_task") or {}).get("entry_point")
            if entry is None:
                problems.append(f"{at}: not a python_wheel_task")
            elif entry not in scripts:
                problems.append(f"{at}: entry point {entry!r} is not in [project.scripts]")
            for dep in task.get("depends_on", []):
                if dep["task_key"] not in tasks:
                    problems.append(f"{at}: depends on unknown task {dep['task_key']!r}")
            for setting in ("timeout_seconds", "max_retries"):
                if setting not in task:
                    problems.append(f"{at}: no {setting}")
    return problems
