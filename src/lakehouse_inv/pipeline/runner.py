"""Run steps in DAG order with one Spark session, progress lines, a run log row per step and a summary."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lakehouse_inv.config import ConfigError
from lakehouse_inv.lakehouse.runs import record_run, run_recorded
from lakehouse_inv.pipeline.configs import default_as_of, load_configs
from lakehouse_inv.pipeline.context import JobContext, StepResult, new_run_id
from lakehouse_inv.pipeline.options import RunOptions
from lakehouse_inv.pipeline.steps import Step, resolve
from lakehouse_inv.ranges import SERVICE_LEVEL


@dataclass(frozen=True)
class StepReport:
    step: str
    seconds: float
    result: StepResult | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=dt.date.fromisoformat, help="business date of the run (YYYY-MM-DD)")
    parser.add_argument("--conf-dir", type=Path, help="configuration folder holding base/ (default: ./conf)")
    parser.add_argument("--env", help="configuration overlay folder under --conf-dir, e.g. databricks")
    parser.add_argument("--run-id", help="run id recorded on every row (default: generated)")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild derived tables over all dates")
    parser.add_argument(
        "--force", action="store_true", help="run the steps that have their own schedule (evaluate, backtest) now"
    )


def make_context(args: argparse.Namespace) -> JobContext:
    """Validate all configuration first: a bad config stops the run before anything is written."""
    configs = load_configs(args.conf_dir, args.env)
    as_of = args.as_of or default_as_of(configs)
    return JobContext(
        configs=configs,
        conf_dir=args.conf_dir or Path("conf"),
        as_of=as_of,
        run_id=args.run_id or new_run_id(as_of),
        options=RunOptions.from_text(
            full_refresh=args.full_refresh,
            force=getattr(args, "force", False),
            stores=getattr(args, "stores", None),
            products=getattr(args, "products", None),
            service_level=getattr(args, "service_level", None),
        ),
    )


def record_step(
    ctx: JobContext,
    job: str,
    started_at: dt.datetime,
    seconds: float,
    result: StepResult | None,
    error: str | None,
    *,
    run_is_new: bool = False,
) -> None:
    """One row of ``gold.job_runs`` for a step execution: ``error`` for a step that raised, else its result."""
    record_run(
        ctx.spark,
        ctx.catalog,
        run_id=ctx.run_id,
        as_of=ctx.as_of,
        job=job,
        started_at=started_at,
        seconds=seconds,
        status="failed" if error is not None else result.status if result else "succeeded",
        rows_in=result.rows_in if result else 0,
        rows_out=result.rows_out if result else 0,
        rows_quarantined=result.rows_quarantined if result else 0,
        tables=result.tables if result else None,
        message=(result.message if result else None) or error,
        notes=result.notes() if result else (),
        run_is_new=run_is_new,
    )


class RunRecords:
    """Writes the run's ``gold.job_runs`` rows on one background thread, in step order, so a step does not wait for
    the previous step's commit (1.6 s each, 10 per run: a sixth of a demo-size daily run). A step that reads this
    run's rows (:attr:`Step.reads_run_records`) starts once they are written, and so does the run's summary; an error
    writing a row is raised there."""

    def __init__(self, ctx: JobContext, steps: Sequence[Step]) -> None:
        self.ctx, self.jobs = ctx, [s.name for s in steps]
        self.run_is_new: bool | None = None  # no row of these steps in this run yet: asked at the first record
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job_runs")
        self.pending: list[Future[None]] = []

    def add(self, report: StepReport, started: dt.datetime) -> None:
        self.pending.append(self.pool.submit(self._write, report, started))

    def _write(self, report: StepReport, started: dt.datetime) -> None:
        ctx = self.ctx
        if self.run_is_new is None:
            self.run_is_new = not run_recorded(ctx.spark, ctx.catalog, ctx.run_id, self.jobs)
        record_step(ctx, report.step, started, report.seconds, report.result, report.error, run_is_new=self.run_is_new)

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.pool.shutdown()


def run_steps(ctx: JobContext, steps: Sequence[Step], *, out=print) -> list[StepReport]:
    reports: list[StepReport] = []
    out(f"lakehouse_inv run {ctx.run_id}  as-of {ctx.as_of}  steps: {', '.join(s.name for s in steps)}")
    records = RunRecords(ctx, steps)
    try:
        for index, step in enumerate(steps, 1):
            out(f"[{index}/{len(steps)}] {step.name}: {step.description} ...")
            if step.reads_run_records:
                records.flush()
            started = dt.datetime.now(dt.UTC)
            t0 = time.perf_counter()
            try:
                result = step.load()(ctx)
                report = StepReport(step.name, time.perf_counter() - t0, result)
            except Exception as exc:  # a failed step is recorded and stops the DAG; the error is shown in full
                report = StepReport(step.name, time.perf_counter() - t0, None, f"{type(exc).__name__}: {exc}")
                traceback.print_exc(file=sys.stderr)
            records.add(report, started)
            reports.append(report)
            if not report.ok:
                out(f"    FAILED after {report.seconds:.1f}s: {report.error}")
                break
            res = report.result
            detail = f"  ({res.message})" if res.message else ""
            out(
                f"    done in {report.seconds:.1f}s: {res.rows_in:,} rows in, {res.rows_out:,} written, "
                f"{res.rows_quarantined:,} quarantined{detail}"
            )
            for note in res.notes():
                out(f"    {note}")
    finally:
        records.close()
    out(summary(reports))
    return reports


def summary(reports: list[StepReport]) -> str:
    lines = ["", f"{'step':<18}{'status':<8}{'seconds':>9}{'rows in':>12}{'written':>12}{'quarant.':>10}"]
    for r in reports:
        res = r.result or StepResult()
        status = "FAILED" if not r.ok else "PARTIAL" if res.errors else "ok"
        lines.append(
            f"{r.step:<18}{status:<8}{r.seconds:>9.1f}{res.rows_in:>12,}{res.rows_out:>12,}{res.rows_quarantined:>10,}"
        )
    tables: dict[str, int] = {}
    for r in reports:
        for table, rows in (r.result.tables if r.result else {}).items():
            tables[table] = tables.get(table, 0) + rows
    if tables:
        lines += ["", "rows written per table:"] + [f"  {t:<40}{n:>12,}" for t, n in sorted(tables.items())]
    lines.append(f"total {sum(r.seconds for r in reports):.1f}s")
    lines += ["", "what was due:", *schedule_lines(reports)]
    notes = [f"  {r.step}: {note}" for r in reports if r.result for note in r.result.notes()]
    if notes:
        lines += ["", "needs attention:", *notes]
    lines += ["\n" + r.result.report for r in reports if r.result and r.result.report]
    return "\n".join(lines)


def schedule_lines(reports: list[StepReport]) -> list[str]:
    """Per step what ran and why, what was skipped and why; a step without a schedule runs on every run."""
    lines = []
    for r in reports:
        res = r.result
        if res is None:
            lines.append(f"  {r.step:<16}failed")
            continue
        entries = [f"due: {d}" for d in res.due] + [f"skipped: {s}" for s in res.skipped]
        for i, entry in enumerate(entries or ["due: every run"]):
            lines.append(f"  {r.step if i == 0 else '':<16}{entry}")
    return lines


def main_for(step_names: list[str] | None, argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Entry point shared by ``lakehouse-inv run`` and every single-step ``main()``."""
    parser = argparse.ArgumentParser(prog=prog, description="Run lakehouse_inv pipeline steps.")
    add_common_arguments(parser)
    if step_names is None:
        parser.add_argument("--steps", default="all", help="comma-separated steps (default: all)")
        parser.add_argument("--stores", help="optimize and order for these stores only (comma-separated)")
        parser.add_argument("--products", help="optimize and order for these products only (comma-separated)")
    if step_names is None or "optimize" in step_names:
        parser.add_argument(
            "--service-level",
            help=f"optimize the (scoped) items for this target service level α, {SERVICE_LEVEL.low:g} < α < "
            f"{SERVICE_LEVEL.high:g}: their missed-sale cost becomes h·α/(1−α) (default: each item's configured costs)",
        )
    args = parser.parse_args(argv)
    try:
        steps = resolve(step_names if step_names is not None else args.steps.split(","))
        ctx = make_context(args)
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        reports = run_steps(ctx, steps)
    finally:
        if ctx.spark_session is not None:
            ctx.spark_session.stop()
    return 0 if all(r.ok for r in reports) else 1
