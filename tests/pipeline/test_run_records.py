"""``gold.job_runs``: one row per step of a run, written on a background thread while the next step runs, in
place for a step that reads them, and never twice for a retried run id; the run's session, which that thread and
the first step ask for at once, started once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pyspark.sql import functions as F

import lakehouse_inv.spark
from lakehouse_inv.config import PipelineConfig
from lakehouse_inv.lakehouse.catalog import Catalog
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import Step


def does_its_work(ctx) -> StepResult:
    return StepResult(rows_out=3, message="done")


def reads_the_run(ctx) -> StepResult:
    rows = ctx.read("gold", "job_runs").where(F.col("run_id") == ctx.run_id).collect()
    return StepResult(message=",".join(sorted(f"{r.job}:{r.rows_out}" for r in rows)))


def fails(ctx) -> StepResult:
    raise RuntimeError("the source is unreachable")


WORK = Step("work", f"{__name__}:does_its_work", "writes three rows")
READ = Step("read", f"{__name__}:reads_the_run", "reads this run's records", reads_run_records=True)
FAIL = Step("fail", f"{__name__}:fails", "raises")


def _rows(ctx) -> list[tuple]:
    runs = ctx.read("gold", "job_runs").where(F.col("run_id") == ctx.run_id)
    return sorted((r.job, r.status, r.rows_out) for r in runs.collect())


def test_a_step_that_reads_the_run_sees_every_earlier_record_and_the_run_ends_with_all_of_them(make_context):
    ctx = make_context(run_id="records-1")
    reports = run_steps(ctx, [WORK, READ], out=lambda *_: None)
    assert reports[1].result.message == "work:3"
    assert _rows(ctx) == [("read", "succeeded", 0), ("work", "succeeded", 3)]


def test_a_retried_run_id_updates_its_rows_instead_of_adding_more(make_context):
    ctx = make_context(run_id="records-2")
    run_steps(ctx, [WORK, READ], out=lambda *_: None)
    reports = run_steps(ctx, [WORK, READ], out=lambda *_: None)
    assert reports[1].result.message == "read:0,work:3"  # the first attempt's rows, the retried work row in place
    assert _rows(ctx) == [("read", "succeeded", 0), ("work", "succeeded", 3)]


def test_a_failed_step_is_recorded_and_stops_the_run(make_context):
    ctx = make_context(run_id="records-3")
    reports = run_steps(ctx, [FAIL, WORK], out=lambda *_: None)
    assert [r.step for r in reports] == ["fail"] and "unreachable" in reports[0].error
    assert _rows(ctx) == [("fail", "failed", 0)]


def test_the_session_is_started_and_given_the_warehouse_once_whichever_threads_ask_first(monkeypatch):
    """The records' thread and the first step ask for the session at the same time on a run's first step: the
    session is built and its tables and views registered once, and no thread sees it before they are."""
    calls, attached = [], threading.Event()
    session = object()

    def build_spark(*args, **kwargs):
        calls.append("build")
        time.sleep(0.05)  # wide enough for every thread to find no session yet
        return session

    def attach_existing(self, spark, **kwargs):
        calls.append("attach")
        time.sleep(0.05)
        attached.set()
        return 0

    monkeypatch.setattr(lakehouse_inv.spark, "build_spark", build_spark)
    monkeypatch.setattr(Catalog, "attach_existing", attach_existing)
    ctx = JobContext(
        configs={"pipeline": PipelineConfig()}, conf_dir=Path("conf"), as_of=dt.date(2025, 1, 1), run_id="r"
    )

    def ask(_):
        spark = ctx.spark
        return spark is session and attached.is_set()

    with ThreadPoolExecutor(max_workers=4) as pool:
        seen = list(pool.map(ask, range(4)))
    assert seen == [True] * 4 and calls == ["build", "attach"]
