"""``gold`` job: ``gold.daily_sales`` and ``gold.inventory_status`` for the dates whose silver rows
changed, plus the analyst views in ``gold/v_*.sql``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.sql import DataFrame

from lakehouse_inv.gold.transforms import daily_sales, inventory_status
from lakehouse_inv.lakehouse.increments import rebuild_window
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.pipeline.writes import publish_gold


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
        full_refresh=ctx.options.full_refresh,
    )
    if window is None:
        return
    start, end = window
    rows = build(source.where(f"{date_column} BETWEEN DATE'{start}' AND DATE'{end}'"))
    scope = f"t.date BETWEEN DATE'{start}' AND DATE'{end}'"
    result.record(f"gold.{table}", publish_gold(ctx, table, rows, scope=scope, source="silver"))


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
