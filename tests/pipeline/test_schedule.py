"""Steps with their own schedule: due when forced, never run or when the cron fires, else skipped with the reason;
a bad schedule is a configuration error naming the file and field; the run summary says what was due."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from lakehouse_inv.config import ConfigError, fires_on, next_firing
from lakehouse_inv.pipeline.configs import load_configs
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.options import RunOptions
from lakehouse_inv.pipeline.runner import StepReport, summary
from lakehouse_inv.pipeline.schedule import due, note

PROJECT_CONF = Path(__file__).resolve().parents[2] / "conf"
MONDAYS = "0 5 * * 1"
FRIDAY, MONDAY = dt.date(2026, 1, 2), dt.date(2026, 1, 5)


def _ctx(as_of: dt.date, **options: object) -> JobContext:
    return JobContext(configs={}, conf_dir=PROJECT_CONF, as_of=as_of, run_id="r", options=RunOptions(**options))


def test_cron_days() -> None:
    assert fires_on(MONDAYS, MONDAY) and not fires_on(MONDAYS, FRIDAY)
    assert next_firing(MONDAYS, FRIDAY) == MONDAY and next_firing(MONDAYS, MONDAY) == MONDAY


def test_a_scheduled_step_is_due_when_forced_never_run_or_on_its_day_else_skipped_with_the_reason() -> None:
    last = dt.date(2025, 12, 29)
    skipped = due(_ctx(FRIDAY), "evaluate", MONDAYS, last)
    assert not skipped.due
    assert skipped.reason == (
        "not due: schedule '0 5 * * 1' next fires on 2026-01-05 (last run as of 2025-12-29); --force runs it now"
    )
    assert due(_ctx(MONDAY), "evaluate", MONDAYS, last).reason == "schedule '0 5 * * 1' fires on 2026-01-05"
    assert due(_ctx(FRIDAY), "evaluate", MONDAYS, None).reason == "never run on or before 2026-01-02"
    assert due(_ctx(FRIDAY, force=True), "evaluate", MONDAYS, last).reason == "forced (--force)"
    assert due(_ctx(FRIDAY, full_refresh=True), "evaluate", MONDAYS, last).due
    # a run scoped to some store-products forces only the steps that ask for it
    assert due(_ctx(FRIDAY, stores=("S01",)), "evaluate", MONDAYS, last, by_scope=True).due
    assert not due(_ctx(FRIDAY, stores=("S01",)), "backtest", MONDAYS, last).due


def test_the_summary_says_for_each_step_what_was_due_and_what_was_skipped() -> None:
    skipped, optimized = StepResult(), StepResult(due=["sQ: never optimized"], skipped=["RS: not its day"])
    note(skipped, "evaluate", due(_ctx(FRIDAY), "evaluate", MONDAYS, dt.date(2025, 12, 29)))
    assert skipped.message.startswith("skipped, not due: schedule '0 5 * * 1' next fires on 2026-01-05")
    text = summary(
        [
            StepReport("refine", 1.0, StepResult()),
            StepReport("optimize", 1.0, optimized),
            StepReport("evaluate", 0.1, skipped),
        ]
    )
    lines = text[text.index("what was due:") :].splitlines()
    assert lines[1].split() == ["refine", "due:", "every", "run"]
    assert lines[2].split()[:3] == ["optimize", "due:", "sQ:"] and lines[3].split()[:2] == ["skipped:", "RS:"]
    assert lines[4].split()[:4] == ["evaluate", "skipped:", "evaluate:", "not"]


@pytest.mark.parametrize(
    ("file", "text", "field"),
    [
        ("evaluate.yml", 'schedule: "every monday"\n', "schedule"),
        ("forecast.yml", None, "backtest.schedule"),
    ],
)
def test_a_bad_schedule_is_rejected_naming_the_file_and_field(tmp_path, file, text, field) -> None:
    shutil.copytree(PROJECT_CONF, tmp_path / "conf")
    path = tmp_path / "conf" / "base" / file
    if text is None:  # keep the rest of forecast.yml, break the backtest's schedule
        text = path.read_text().replace('schedule: "0 4 * * 0"', 'schedule: "0 4 * * 8"')
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_configs(tmp_path / "conf")
    message = str(err.value)
    assert f"{file}: invalid configuration" in message and f"  - {field}:" in message
    assert "not a valid cron expression" in message
