"""``lakehouse-inv export-orders``: the orders of one or more stores over a date range as CSV (seed 004's website
download), read from ``gold.orders``.

    lakehouse-inv export-orders --store S01 --from 2025-12-01 --to 2025-12-31 --output orders.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.config import ConfigError
from lakehouse_inv.orders.selection import EXPORT_COLUMNS, orders_csv, select_order_rows
from lakehouse_inv.pipeline.context import JobContext


def select_orders(
    orders: DataFrame, stores: list[str], start: dt.date, end: dt.date, policies: list[str] | None
) -> DataFrame:
    """Orders of ``stores`` dated ``start``..``end`` (inclusive), optionally only some policies, in a stable order."""
    chosen = orders.where(F.col("store_id").isin(stores) & F.col("order_date").between(F.lit(start), F.lit(end)))
    if policies:
        chosen = chosen.where(F.col("policy_id").isin(policies))
    return chosen.select(*EXPORT_COLUMNS).orderBy("store_id", "order_date", "policy_id", "product_id")


class MissingOrders(RuntimeError):
    """gold.orders does not exist yet."""


def export_orders(
    ctx: JobContext, stores: list[str], start: dt.date, end: dt.date, policies: list[str] | None, output: Path
) -> tuple[int, list[str]]:
    """Write the selected orders to ``output`` as CSV; return (rows written, store ids not in silver.stores)."""
    gold = ctx.catalog.schemas.qualified("gold")
    if "orders" not in {t.tableName for t in ctx.spark.sql(f"SHOW TABLES IN {gold}").collect()}:
        raise MissingOrders("gold.orders does not exist yet: run the pipeline (make demo) first")
    frame = select_orders(ctx.read("gold", "orders"), stores, start, end, policies).toPandas()
    frame = select_order_rows(frame, stores, start, end, policies)  # the dashboard's rows and layout, exactly
    known = {r.store_id for r in ctx.read("silver", "stores").select("store_id").collect()}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(orders_csv(frame))
    return len(frame), sorted(set(stores) - known)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakehouse-inv export-orders", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="store id, or several separated by commas")
    parser.add_argument(
        "--from", dest="start", required=True, type=dt.date.fromisoformat, help="first order date (YYYY-MM-DD)"
    )
    parser.add_argument(
        "--to", dest="end", required=True, type=dt.date.fromisoformat, help="last order date (YYYY-MM-DD)"
    )
    parser.add_argument("--output", required=True, type=Path, help="CSV file to write")
    parser.add_argument("--policy", help="only these policy ids (comma-separated)")
    parser.add_argument("--conf-dir", type=Path, help="configuration folder holding base/")
    parser.add_argument("--env", help="configuration overlay folder under --conf-dir")
    args = parser.parse_args(argv)
    if args.end < args.start:
        parser.error(f"--to {args.end} is before --from {args.start}")

    from lakehouse_inv.pipeline.configs import load_configs

    try:
        configs = load_configs(args.conf_dir, args.env)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ctx = JobContext(configs=configs, conf_dir=args.conf_dir or Path("conf"), as_of=args.end, run_id="export-orders")
    stores = [s.strip() for s in args.store.split(",") if s.strip()]
    policies = [p.strip() for p in args.policy.split(",")] if args.policy else None
    try:
        written, unknown = export_orders(ctx, stores, args.start, args.end, policies, args.output)
    except MissingOrders as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if unknown:
        print(f"warning: unknown store id(s) {', '.join(unknown)}", file=sys.stderr)
    print(f"wrote {written:,} orders of {', '.join(stores)} from {args.start} to {args.end} to {args.output}")
    return 0
