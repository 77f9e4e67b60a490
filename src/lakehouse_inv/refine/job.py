"""``refine`` job: bronze -> silver with types, deduplication, contract checks and quarantine.

Each silver table reads its bronze table incrementally (Delta streaming source, ``availableNow``,
checkpoint) and processes every micro-batch with :func:`refine_batch`: conform types, run the contract
(keys not null, ranges, accepted values, foreign keys, no dates after ``--as-of``), keep one row per key,
MERGE the valid rows and quarantine the rest. A table starts as soon as the tables its foreign keys reference are
done (:func:`after_parents`), so foreign keys see their parents and independent tables run at the same time. Then
its rows held in quarantine for a missing reference are checked again (:func:`recheck_held`): a row whose store,
product or order arrived in a later file lands then, exactly once. ``silver.daily_demand`` is rebuilt for the dates
whose sources changed as soon as those sources are done.

A run costs what is new: a table whose bronze source has no new commit starts no stream, a table's held rows are
looked at only when a table they reference committed since the last completed run (a day of sales waits for no
look: stores, products and assortment rarely change; deliveries look, their orders change daily), and
``daily_demand`` is not rebuilt from inputs it was last built from
(:class:`~lakehouse_inv.lakehouse.increments.InputMemo`). A re-run with nothing new runs at most two Spark jobs (a
test pins it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import TypeVar

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.checked_write import CheckedWrite, write_checked
from lakehouse_inv.lakehouse.contracts import (
    ERRORS,
    Check,
    Contract,
    evaluate_checks,
    load_contract,
    mark_duplicates,
    missing_reference,
    reference_key,
    split_valid,
)
from lakehouse_inv.lakehouse.increments import InputMemo, as_json, latest_commit, rebuild_window
from lakehouse_inv.lakehouse.quarantine import QUARANTINE, ensure_hold_columns, held_rows, settle_held
from lakehouse_inv.lakehouse.writes import merge_into
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.writes import publish_checked
from lakehouse_inv.refine.conform import LINE, RAW, conform, localize
from lakehouse_inv.refine.daily_demand import build_daily_demand, series_first_dates
from lakehouse_inv.refine.tables import SPECS

T = TypeVar("T")


def newest_first(columns: Sequence[str]) -> list[Column]:
    """Among valid rows sharing a key, the winner: the most recently ingested, then the later file (by name),
    then the later line of that file (when bronze records ``_line_number``), then the record text, so two runs
    over the same files always keep the same row. ``_record_id`` (random) only orders identical records."""
    order = [F.col("_ingested_at").desc(), F.col("_source_file").desc()]
    if LINE in columns:
        order.append(F.col(LINE).desc())
    return [*order, F.col(RAW).desc(), F.col("_record_id")]


def describe_record(columns: Sequence[str]) -> Column:
    """How a quarantined duplicate names the row that was kept: its landing file (and line)."""
    name = F.element_at(F.split(F.col("_source_file"), "/"), -1)
    parts = [F.lit("the row of "), F.coalesce(name, F.lit("an unknown file"))]
    if LINE in columns:
        parts += [F.lit(" line "), F.coalesce(F.col(LINE).cast("string"), F.lit("?"))]
    return F.concat(*parts)


@dataclass
class BatchCounts:
    rows_in: int = 0
    written: int = 0
    quarantined: int = 0
    rechecked: int = 0  # held rows checked again
    released: int = 0  # of those, written to silver


def parents_within(tables: Sequence[str]) -> dict[str, set[str]]:
    """Each table's foreign-key parents among ``tables``: what must be refined (and re-checked) before it."""
    return {
        t: {ref.split(".", 1)[1] for ref in load_contract("silver", t).foreign_tables} & set(tables) for t in tables
    }


def after_parents(tasks: Mapping[str, tuple[Collection[str], Callable[[], T]]]) -> dict[str, T]:
    """Run every task (name -> (the names it waits for, work)) as soon as the tasks it waits for are done, each in
    its own thread, and return the results by name. A task whose parent failed fails with that error; the first
    error (in name order) is raised once every task has ended.

    A thread per task: a waiting task holds no Spark slot, and a small increment (a day of sales, stock counts,
    orders, deliveries) starts the tables that do not wait for one another at once, where a fixed order of
    dependency levels made orders wait for the sales and deliveries for both."""
    unknown = {d for deps, _ in tasks.values() for d in deps} - set(tasks)
    if unknown:
        raise ValueError(f"tasks wait for unknown tasks {sorted(unknown)}")
    order: list[str] = []
    while len(order) < len(tasks):
        ready = sorted(n for n, (deps, _) in tasks.items() if n not in order and set(deps) <= set(order))
        if not ready:
            raise ValueError(f"circular dependencies among {sorted(set(tasks) - set(order))}")
        order += ready
    futures: dict[str, Future[T]] = {}

    def run(name: str) -> T:
        deps, work = tasks[name]
        for dep in sorted(deps):
            futures[dep].result()  # re-raises a parent's error
        return work()

    with ThreadPoolExecutor(max_workers=max(len(tasks), 1), thread_name_prefix="refine") as pool:
        for name in order:  # parents are submitted first, so a task's futures exist before it looks them up
            futures[name] = pool.submit(run, name)
        wait(list(futures.values()))
    return {name: futures[name].result() for name in sorted(futures)}


def check_batch(ctx: JobContext, table: str, contract: Contract, bronze_rows: DataFrame) -> DataFrame:
    """Conformed rows of one bronze batch with every contract failure listed in ``_errors``."""
    spec = SPECS[table]
    conformed = conform(bronze_rows, spec)
    if spec.local_times:
        stores = ctx.read("silver", "stores")
        zones = stores if "timezone" in stores.columns else stores.select("store_id", F.lit(None).alias("timezone"))
        conformed = localize(conformed, spec, zones, ctx.pipeline.timezone)
    checked = evaluate_checks(
        conformed,
        contract,
        as_of=ctx.as_of,
        reference=lambda name: ctx.read(*name.split(".")),
        target_schema=ctx.spark.table(ctx.table("silver", table)).schema,
    )
    return mark_duplicates(checked, contract.keys, newest_first(checked.columns), describe_record(checked.columns))


def refine_batch(
    ctx: JobContext, table: str, bronze_rows: DataFrame, counts: BatchCounts, lock: threading.Lock
) -> None:
    contract = load_contract("silver", table)
    outcome = write_checked(
        ctx.spark,
        check_batch(ctx, table, contract, bronze_rows),
        table=ctx.table("silver", table),
        keys=contract.keys,
        volatile=contract.volatile,
        quarantine_table=ctx.table("silver", QUARANTINE),
        source_label=f"bronze.{contract.source['bronze']}",
        target_label=f"silver.{table}",
        as_of=ctx.as_of,
        run_id=ctx.run_id,
        raw_column=RAW,
        record_id_column="_record_id",
        quarantine_lock=lock,
    )
    with lock:  # tables are refined on several threads
        counts.rows_in += outcome.rows_in
        counts.written += outcome.written
        counts.quarantined += outcome.quarantined


SEEN = "_bronze_seen.json"  # in a table's stream checkpoint: deleting the checkpoint (to re-read bronze) drops it too
SETTLED = "_held_settled.json"  # the silver commits and the held-row messages at the end of the last completed run


class RefineRun:
    """What the tables of one run share while they are refined on several threads: the quarantine lock, whether
    anything changed yet and when each table's held rows were first held.

    At the end of a completed run every held row had been checked against the parents it still has
    (:data:`SETTLED` records their commits then). So held rows are not read while neither the quarantine nor any
    silver table changed since and no table changed in this run yet, and a table's held rows are not looked at
    while none of the tables they reference committed since (:meth:`parents_moved`)."""

    def __init__(self, ctx: JobContext, tables: Sequence[str]) -> None:
        self.ctx, self.tables = ctx, list(tables)
        self.lock = threading.Lock()
        self.counts = {t: BatchCounts() for t in tables}
        self.settled = InputMemo(ctx.checkpoint("silver", SETTLED))
        self.last_settled = self.settled.recall()
        self.changed = not self.settled.unchanged(settled_state(ctx, tables))
        self._held_since: dict[str, object] | None = None

    def refine(self, table: str) -> None:
        """Run the table's stream over what bronze has that it has not seen, then re-check its held rows.

        A table whose bronze source has no commit since its stream last ran to the end has nothing new: its
        stream is not started (no Spark job; the checkpoint holds the bronze commit the stream had seen,
        :data:`SEEN`)."""
        ctx = self.ctx
        source = ctx.table("bronze", load_contract("silver", table).source["bronze"])
        seen, memo = latest_commit(ctx.spark, source), InputMemo(Path(ctx.checkpoint("silver", table)) / SEEN)
        if not memo.unchanged(seen):
            query = (
                ctx.spark.readStream.format("delta")
                .table(source)
                .writeStream.queryName(f"refine_{table}")
                .option("checkpointLocation", ctx.checkpoint("silver", table))
                .foreachBatch(lambda rows, _id: refine_batch(ctx, table, rows, self.counts[table], self.lock))
                .trigger(availableNow=True)
                .start()
            )
            query.awaitTermination()
            memo.remember(seen)  # availableNow read at least up to the commit seen before it started
            self.changed = True
        if not self.changed:
            return  # nothing new anywhere yet: no held row of this table can be released
        if self.parents_moved(table) and self.recheck_due(table):
            recheck_held(ctx, table, self.counts[table], self.lock)

    def parents_moved(self, table: str) -> bool:
        """Whether a table that ``table``'s foreign keys reference committed since the end of the last completed
        run, or the messages its held rows are matched by changed (a contract edit): only then can a held row of
        ``table`` have found its key. Rows held in this run were checked against those parents as they are now
        (parents are refined first). Asked after the parents are done, from their Delta logs (no Spark job)."""
        last = self.last_settled
        if not isinstance(last, dict) or last.get("holds", {}).get(table) != as_json(held_messages(table)):
            return True
        parents = sorted({c.foreign_key.table for c in foreign_key_checks(table)})
        commits = last.get("commits", {})
        for parent in parents:
            layer, name = parent.split(".", 1)
            now = latest_commit(self.ctx.spark, self.ctx.table(layer, name)) if layer == "silver" else None
            if now is None or commits.get(name) != as_json(now):
                return True
        return False

    def recheck_due(self, table: str) -> bool:
        """Whether a row of ``table`` held for a missing reference may be released now: a key one of them misses
        was written to its referenced table after that row was held. One query over the table's held rows and the
        referenced rows written since the first of them was held; a table with nothing held asks nothing. Rows held
        for keys that never come (an order that was never exported) then cost a cheap look per run, not a
        re-check of each of them (about 10 s a day at demo size).

        A held row whose message no ``foreign_key`` check of the contract writes (a contract changed since) is
        checked again: a look that is not sure never keeps a row from its release. So is a row a stopped run
        released to silver without marking it, as its key's arrival stays after its hold."""
        first_held_at = self.held_since().get(table)
        if first_held_at is None:
            return False
        ctx = self.ctx
        quarantine = ctx.table("silver", QUARANTINE)
        held = held_rows(ctx.spark, quarantine, [f"silver.{table}"])
        held = held.select("_quarantined_at", F.explode("errors").alias("message"))
        arrivals, understood = [], F.lit(False)
        for check in foreign_key_checks(table):
            fk = check.foreign_key
            prefix = missing_reference(check.name, fk.table)
            written = ctx.read(*fk.table.split(".")).where(F.col("_updated_at") >= F.lit(first_held_at))
            arrived = written.select(
                *[F.col(r).alias(c) for r, c in zip(fk.references, fk.columns, strict=True)], "_updated_at"
            ).select(reference_key(fk.columns).alias("key"), F.col("_updated_at").alias("_arrived_at"))
            waiting = held.where(F.col("message").startswith(prefix))
            waiting = waiting.select(F.col("message").substr(len(prefix) + 1, 1 << 20).alias("key"), "_quarantined_at")
            arrivals.append(waiting.join(arrived, "key").where(F.col("_arrived_at") >= F.col("_quarantined_at")))
            understood = understood | F.col("message").startswith(prefix)
        found = [f.select(F.lit(1).alias("due")) for f in [*arrivals, held.where(~understood)]]
        return not reduce(DataFrame.unionAll, found).limit(1).isEmpty()

    def held_since(self) -> dict[str, object]:
        """Table -> when the first of its rows still held for a missing reference was quarantined; read once per
        run, when the first table that could release one asks. A row held later in this run was checked against
        parents already done, which do not change again in this run, so missing it changes no decision."""
        with self.lock:
            if self._held_since is None:
                held = held_rows(
                    self.ctx.spark, self.ctx.table("silver", QUARANTINE), [f"silver.{t}" for t in self.tables]
                )
                rows = held.groupBy("target_table").agg(F.min("_quarantined_at")).collect()
                self._held_since = {t.removeprefix("silver."): at for t, at in rows}
            return self._held_since

    def settle(self) -> None:
        self.settled.remember(settled_state(self.ctx, self.tables))


def foreign_key_checks(table: str) -> list[Check]:
    """The checks of ``silver.<table>``'s contract whose failure holds a row until its reference arrives."""
    return [c for c in load_contract("silver", table).checks if c.foreign_key]


def held_messages(table: str) -> list[str]:
    """How the messages of the rows of ``table`` held for a missing reference begin (one per foreign key)."""
    return sorted(missing_reference(c.name, c.foreign_key.table) for c in foreign_key_checks(table))


def settled_state(ctx: JobContext, tables: Sequence[str]) -> dict[str, object]:
    """The silver and quarantine commits, and each table's held-row messages (:func:`held_messages`)."""
    commits = {t: latest_commit(ctx.spark, ctx.table("silver", t)) for t in sorted([*tables, QUARANTINE])}
    return {"commits": commits, "holds": {t: held_messages(t) for t in tables}}


def recheck_held(ctx: JobContext, table: str, counts: BatchCounts, lock: threading.Lock) -> None:
    """Check again the rows of ``table`` held in quarantine for a missing reference; write the valid ones.

    Work: one read of ``silver.quarantine`` for the held ids, one read of the bronze table joined to them
    (broadcast), the contract's checks on those rows only, a read of the silver table's keys, a MERGE of the
    released rows and one MERGE on the quarantine rows that changed. :meth:`RefineRun.recheck_due` skips a table
    with nothing held, or none of whose missing keys arrived since its rows were held.

    A released row never replaces a row its key already has in silver (that row was valid first); it is then a
    duplicate, with that reason, and no longer held. A row found in silver under its own record id was released
    by a run stopped before it could mark the quarantine row: it is marked now.
    """
    contract = load_contract("silver", table)
    quarantine = ctx.table("silver", QUARANTINE)
    held = held_rows(ctx.spark, quarantine, [f"silver.{table}"]).select(F.col("record_id").alias("_record_id"))
    held = held.distinct()
    bronze = ctx.read("bronze", contract.source["bronze"]).join(F.broadcast(held), "_record_id", "left_semi")
    checked = check_batch(ctx, table, contract, bronze)
    keys = contract.keys
    silver = ctx.read("silver", table).select(
        *[F.col(k).alias(f"_s_{k}") for k in keys], F.lit(True).alias("_s_in"), F.col("_record_id").alias("_s_id")
    )
    match = reduce(lambda a, b: a & b, [checked[k].eqNullSafe(silver[f"_s_{k}"]) for k in keys])
    shown = F.concat_ws(
        ", ", *[F.concat(F.lit(f"{k}="), F.coalesce(F.col(k).cast("string"), F.lit("null"))) for k in keys]
    )
    taken = F.concat(F.lit("[unique] duplicate of key "), shown, F.lit(f"; kept the row already in silver.{table}"))
    checked = (
        checked.join(silver, match, "left")
        .withColumn(
            ERRORS,
            F.when(
                (F.size(ERRORS) == 0) & F.col("_s_in").isNotNull() & ~F.col("_s_id").eqNullSafe(F.col("_record_id")),
                F.array(taken),
            ).otherwise(F.col(ERRORS)),
        )
        .withColumn("_landed", F.coalesce(F.col("_s_id") == F.col("_record_id"), F.lit(False)))
        .drop(*[f"_s_{k}" for k in keys], "_s_in", "_s_id")
        # materialised apart from its sources: the MERGE into silver below must not change what it holds
        .localCheckpoint(eager=True)
    )
    try:
        valid, _ = split_valid(checked.where(~F.col("_landed")))
        released = valid.count()
        if released:
            merge_into(
                ctx.spark,
                valid,
                ctx.table("silver", table),
                keys,
                run_id=ctx.run_id,
                volatile=contract.volatile,
                row_count=released,
            )
        outcome = checked.select("_record_id", (F.size(ERRORS) == 0).alias("released"), ERRORS)
        with lock:
            settle_held(ctx.spark, quarantine, f"silver.{table}", outcome, ctx.run_id)
            counts.rechecked += checked.count()
            counts.released += released
            counts.written += released
    finally:
        checked.unpersist()


DAILY_DEMAND = "daily_demand"
DAILY_DEMAND_SOURCES = ("sales", "inventory_snapshot", "demand_requests", "store_product", "stores")


def refresh_daily_demand(ctx: JobContext, lock: threading.Lock | None = None) -> CheckedWrite:
    """Rebuild ``silver.daily_demand`` over the dates whose sales, stock counts, requests or assortment changed.

    A changed ``store_product`` row (its list price is the ``avg_price`` of days without sales) rebuilds its
    series from its first date, so a daily increment and ``--full-refresh`` give the same table. The rows are
    checked against ``silver/daily_demand.yml`` before the MERGE: a day whose totals do not fit the table's
    types (e.g. units summing past INT) goes to quarantine naming its key and value, and the other rows land.

    Nothing is read when the last refresh ran for the same as-of and lookback on the same commits of its sources
    and of the table itself (a re-run with nothing new): it would rebuild the same rows.
    """
    target = ctx.table("silver", "daily_demand")
    memo = InputMemo(ctx.checkpoint("silver", "daily_demand", "_inputs.json"))

    def inputs() -> dict[str, object]:
        commits = {t: latest_commit(ctx.spark, ctx.table("silver", t)) for t in (*DAILY_DEMAND_SOURCES, "daily_demand")}
        return {"as_of": ctx.as_of, "lookback_days": ctx.pipeline.daily_demand_lookback_days, "commits": commits}

    if not ctx.options.full_refresh and memo.unchanged(inputs()):
        return CheckedWrite(0, 0, 0)
    sales, inventory, requests = (
        ctx.read("silver", "sales"),
        ctx.read("silver", "inventory_snapshot"),
        ctx.read("silver", "demand_requests"),
    )
    store_product = ctx.read("silver", "store_product")
    starts = series_first_dates(sales, inventory, ctx.read("silver", "stores"))
    assortment = store_product.join(starts, ["store_id", "product_id"]).select("_updated_at", "first_date")
    window = rebuild_window(
        ctx.spark.table(target),
        [
            (sales, "sale_date"),
            (inventory, "snapshot_date"),
            (requests, "request_date"),
            (assortment, "first_date"),
        ],
        as_of=ctx.as_of,
        lookback_days=ctx.pipeline.daily_demand_lookback_days,
        full_refresh=ctx.options.full_refresh,
    )
    if window is None:
        return CheckedWrite(0, 0, 0)
    start, end = window
    has_requests = requests.limit(1).count() > 0
    demand = build_daily_demand(
        store_product,
        starts,
        sales,
        inventory,
        requests if has_requests else None,
        start=start,
        end=end,
    )
    outcome = publish_checked(
        ctx,
        "silver",
        "daily_demand",
        demand,
        scope=f"t.date BETWEEN DATE'{start}' AND DATE'{end}'",
        source="silver.sales+inventory_snapshot+demand_requests",
        quarantine_lock=lock,
    )
    memo.remember(inputs())
    return outcome


def run(ctx: JobContext) -> StepResult:
    """Refine every silver table as soon as the tables it references are done, and rebuild ``daily_demand`` as
    soon as its sources are (it does not wait for orders and deliveries)."""
    spark = ctx.spark
    ctx.catalog.ensure_tables(spark, "silver")
    ensure_hold_columns(spark, ctx.table("silver", QUARANTINE))
    tables = list(SPECS)
    refine_run = RefineRun(ctx, tables)
    tasks: dict[str, tuple[Collection[str], Callable[[], object]]] = {
        t: (parents, lambda t=t: refine_run.refine(t)) for t, parents in parents_within(tables).items()
    }
    tasks[DAILY_DEMAND] = (DAILY_DEMAND_SOURCES, lambda: refresh_daily_demand(ctx, refine_run.lock))
    done = after_parents(tasks)
    refine_run.settle()
    result = StepResult()
    for table, c in refine_run.counts.items():
        result.rows_in += c.rows_in
        result.rows_quarantined += c.quarantined
        result.wrote(f"silver.{table}", c.written)
    result.record(f"silver.{DAILY_DEMAND}", done[DAILY_DEMAND], counts_input=False)
    result.message = f"{len(tables)} tables refined, daily_demand through {ctx.as_of}"
    rechecked = sum(c.rechecked for c in refine_run.counts.values())
    if rechecked:
        released = sum(c.released for c in refine_run.counts.values())
        result.message += f"; {rechecked} held row(s) checked again, {released} released"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["refine"], argv, prog="lakehouse-inv-refine")
