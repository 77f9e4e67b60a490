"""Steps with their own schedule: a step whose cost does not follow the day's new data (the walk-forward
evaluation, the forecast backtest) runs on the days its cron schedule fires, not on every daily run.

A scheduled step is due on ``--as-of`` when it was forced (``--force``; ``--full-refresh``; a run scoped to some
store-products, which re-optimizes them, also re-evaluates), when it has never run on or before ``--as-of``, or when
its schedule fires that day. :func:`due` says which, or why the step is skipped, in words the run summary prints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lakehouse_inv.config import fires_on, next_firing
from lakehouse_inv.pipeline.context import JobContext, StepResult


@dataclass(frozen=True)
class Due:
    """Whether a scheduled step runs on the run's day, and why (or why not)."""

    due: bool
    reason: str


def forced(ctx: JobContext, *, by_scope: bool = False) -> str | None:
    """Why the run forces scheduled steps (None: it does not). ``by_scope``: a run scoped to some store-products
    forces this step too (evaluate: the scoped items were re-optimized, so their evaluation is stale)."""
    if ctx.options.force:
        return "forced (--force)"
    if ctx.options.full_refresh:
        return "forced (--full-refresh)"
    if by_scope and ctx.options.scoped:
        return "forced (a run scoped to some store-products re-optimizes them)"
    return None


def due(ctx: JobContext, what: str, schedule: str, last_as_of: dt.date | None, *, by_scope: bool = False) -> Due:
    """Whether ``what`` (e.g. "evaluate") is due on ``ctx.as_of`` given its cron ``schedule`` and the as-of date of
    its latest run on or before ``ctx.as_of`` (None: never run)."""
    reason = forced(ctx, by_scope=by_scope)
    if reason:
        return Due(True, reason)
    if last_as_of is None:
        return Due(True, f"never run on or before {ctx.as_of}")
    if fires_on(schedule, ctx.as_of):
        return Due(True, f"schedule '{schedule}' fires on {ctx.as_of}")
    following = next_firing(schedule, ctx.as_of)
    return Due(
        False,
        f"not due: schedule '{schedule}' next fires on {following} (last run as of {last_as_of}); --force runs it now",
    )


def note(result: StepResult, what: str, decision: Due) -> None:
    """Record the decision in the step's result: a due entry, or a skipped one that also becomes its message."""
    if decision.due:
        result.due.append(f"{what}: {decision.reason}")
    else:
        result.skipped.append(f"{what}: {decision.reason}")
        result.message = f"skipped, {decision.reason}"
