"""``gold`` job: ``gold.daily_sales`` and ``gold.inventory_status`` for the dates whose silver rows
changed, plus the analyst views in ``gold/v_*.sql``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.sql import DataFrame

from lakehouse_inv.lakehouse.checked_write import write_checked
from lakehouse_inv.lakehouse.contracts import evaluate_checks, load_contract
from lakehouse_inv.lakehouse.increments import rebuild_window
from lakehouse_inv.lakehouse.quarantine import QUARANTINE
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.publish.transforms import daily_sales, inventory_status


def publish_checked(ctx: JobContext, table: str, rows: DataFrame, scope: str | None, result: StepResult) -> None:
    """Check ``rows`` against ``gold/<table>.yml``, MERGE the valid ones, quarantine the others."""
    contract = load_contract("gold", table)
    target = ctx.table("gold", table)
    checked = evaluate_checks(
        rows,
        contract,
        as_of=ctx.as_of,
        reference=lambda name: ctx.read(*name.split(".")),
        target_schema=ctx.spark.table(target).schema,
    )
    outcome = write_checked(
        ctx.spark,
        checked,
        table=target,
        keys=contract.keys,
        volatile=contract.volatile,
        quarantine_table=ctx.table("silver", QUARANTINE),
        source_label="silver",
        target_label=f"gold.{table}",
        as_of=ctx.as_of,
        run_id=ctx.run_id,
        scope=scope,
    )
    result.rows_in += outcome.rows_in
    result.rows_quarantined += outcome.quarantined
    result.wrote(f"gold.{table}", outcome.written)


def publish_window(
    ctx: JobContext,
    table: str,
    source: DataFrame,
    date_column: str,
    build: Callable[[DataFrame], DataFrame],
    result: StepResult,
) -> None:
    """Rebuild ``table`` for the dates whose ``source`` rows changed since its last write."""
    window = rebuild_window(
        ctx.read("gold", table),
        [(source, date_column)],
        as_of=ctx.as_of,
        lookback_days=ctx.pipeline.daily_demand_lookback_days,
        full_refresh=ctx.options.get("full_refresh", False),
    )
    if window is None:
        return
    start, end = window
    rows = build(source.where(f"{date_column} BETWEEN DATE'{start}' AND DATE'{end}'"))
    publish_checked(ctx, table, rows, f"t.date BETWEEN DATE'{start}' AND DATE'{end}'", result)


def run(ctx: JobContext) -> StepResult:
    spark = ctx.spark
    ctx.catalog.ensure_tables(spark, "gold")
    result = StepResult()
    stores, products = ctx.read("silver", "stores"), ctx.read("silver", "products")
    publish_window(
        ctx,
        "daily_sales",
        ctx.read("silver", "daily_demand"),
        "date",
        lambda d: daily_sales(d, stores, products),
        result,
    )
    terms = ctx.read("silver", "store_product_supplier")
    publish_window(
        ctx,
        "inventory_status",
        ctx.read("silver", "inventory_snapshot"),
        "snapshot_date",
        lambda i: inventory_status(i, terms),
        result,
    )
    views = ctx.catalog.ensure_views(spark, "gold")
    result.message = f"views: {', '.join(views)}"
    return result


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["gold"], argv, prog="lakehouse-inv-gold")
