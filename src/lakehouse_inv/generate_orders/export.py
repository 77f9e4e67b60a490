"""``lakehouse-inv export-orders``: the orders of one or more stores over a date range as CSV (seed 004's website
download), read from ``gold.orders``.

    lakehouse-inv export-orders --store S01 --from 2025-12-01 --to 2025-12-31 --output orders.csv
    lakehouse-inv export-orders --store S01 --from 2025-12-01 --to 2025-12-31 --output orders.csv --policy sQ

By default only the orders to place are exported: those marked ``recommended`` (the item's recommended policy in
``gold.policy_recommendation``). ``--policy X`` (repeatable, or comma-separated) exports those policies' orders
instead, recommended or not.

Exit status 2 with one ``error:`` line, and no file written, when a date is not YYYY-MM-DD or ``--from`` is after
``--to``, a store id is not in ``silver.stores``, ``gold.orders`` or ``silver.stores`` does not exist (no warehouse
yet), ``gold.orders`` predates the ``recommended`` column and no ``--policy`` is given, or the output cannot be
written. The CSV is written to a temporary file and renamed over ``--output``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.config import ConfigError
from lakehouse_inv.generate_orders.selection import EXPORT_COLUMNS, RECOMMENDED, orders_csv, select_order_rows
from lakehouse_inv.io_utils import atomic_write
from lakehouse_inv.pipeline.context import JobContext


def select_orders(
    orders: DataFrame, stores: list[str], start: dt.date, end: dt.date, policies: list[str] | None
) -> DataFrame:
    """Orders of ``stores`` dated ``start``..``end`` (inclusive) in a stable order: the recommended ones, or with
    ``policies`` those policies' orders, recommended or not."""
    chosen = orders.where(F.col("store_id").isin(stores) & F.col("order_date").between(F.lit(start), F.lit(end)))
    chosen = chosen.where(F.col("policy_id").isin(policies) if policies else F.col(RECOMMENDED))
    return chosen.select(*EXPORT_COLUMNS, RECOMMENDED).orderBy("store_id", "order_date", "policy_id", "product_id")


class ExportError(RuntimeError):
    """The export cannot be made as asked; the message says what is wrong (table, store, path)."""


class MissingOrders(ExportError):
    """gold.orders (or silver.stores) does not exist yet."""


class UnknownStores(ExportError):
    """A requested store id is not in silver.stores."""


def _require_table(ctx: JobContext, layer: str, table: str) -> None:
    name = ctx.table(layer, table)
    if not ctx.spark.catalog.tableExists(name):
        warehouse = ctx.spark.conf.get("spark.sql.warehouse.dir", None)
        raise MissingOrders(
            f"table {name} does not exist in the warehouse {warehouse}: run the pipeline (make demo) first,"
            " or point --conf-dir/--env at the configuration that wrote it"
        )


def export_orders(
    ctx: JobContext,
    stores: list[str],
    start: dt.date,
    end: dt.date,
    policies: list[str] | None,
    output: Path,
    *,
    unknown_stores_ok: bool = True,
) -> tuple[int, list[str]]:
    """Write the selected orders to ``output`` as CSV (atomically); return (rows written, store ids not in
    silver.stores). Without ``policies`` only the recommended orders are written, with ``policies`` those policies'
    orders. With ``unknown_stores_ok=False`` an unknown store raises :class:`UnknownStores` before anything is
    written; a missing table raises :class:`MissingOrders`."""
    _require_table(ctx, "gold", "orders")
    _require_table(ctx, "silver", "stores")
    known = {r.store_id for r in ctx.read("silver", "stores").select("store_id").collect()}
    unknown = sorted(set(stores) - known)
    if unknown and not unknown_stores_ok:
        raise UnknownStores(
            f"unknown store id(s) {', '.join(unknown)} (not in {ctx.table('silver', 'stores')}; "
            f"known: {', '.join(sorted(known)) or 'none'})"
        )
    orders = ctx.read("gold", "orders")
    if not policies and RECOMMENDED not in orders.columns:
        raise ExportError(
            f"table {ctx.table('gold', 'orders')} has no {RECOMMENDED} column (written before recommendations): "
            "run generate_orders again, or name the policies to export with --policy"
        )
    frame = select_orders(orders, stores, start, end, policies).toPandas()
    # the dashboard's rows and layout, exactly
    frame = select_order_rows(frame, stores, start, end, policies, recommended_only=not policies)
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(output, newline="") as sink:
        sink.write(orders_csv(frame))
    return len(frame), unknown


def _iso_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` date (``fromisoformat`` alone would also take ``20251201`` or ``2025-W49-1``)."""
    try:
        if len(text) != 10:
            raise ValueError
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def policy_ids(values: list[str] | None) -> list[str] | None:
    """``--policy sQ --policy RS,nvbudget`` -> ``["sQ", "RS", "nvbudget"]`` (first occurrence order); None when no
    id is given (then the recommended orders are exported)."""
    ids = [part.strip() for value in values or [] for part in value.split(",")]
    return list(dict.fromkeys(i for i in ids if i)) or None


def _output_problem(output: Path) -> str | None:
    """Why ``output`` cannot be written (checked before Spark starts), or None."""
    if output.is_dir():
        return "is a directory"
    folder = output.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a directory"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"no permission to write in {folder}"
    return None


def run_export(
    ctx: JobContext,
    stores: list[str],
    start: dt.date,
    end: dt.date,
    policies: list[str] | None,
    output: Path,
) -> int:
    """The CLI's work after argument parsing: exit code 0, or 2 with one ``error:`` line on stderr."""
    try:
        written, _ = export_orders(ctx, stores, start, end, policies, output, unknown_stores_ok=False)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {written:,} orders of {', '.join(stores)} from {start} to {end} to {output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakehouse-inv export-orders", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="store id, or several separated by commas")
    parser.add_argument("--from", dest="start", required=True, type=_iso_date, help="first order date (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", required=True, type=_iso_date, help="last order date (YYYY-MM-DD)")
    parser.add_argument("--output", required=True, type=Path, help="CSV file to write")
    parser.add_argument(
        "--policy",
        action="append",
        help="export these policies' orders, recommended or not (repeat it, or separate ids by commas); "
        "default: only the recommended orders",
    )
    parser.add_argument("--conf-dir", type=Path, help="configuration folder holding base/")
    parser.add_argument("--env", help="configuration overlay folder under --conf-dir")
    args = parser.parse_args(argv)
    if args.end < args.start:
        parser.error(f"--to {args.end} is before --from {args.start}")
    stores = [s.strip() for s in args.store.split(",") if s.strip()]
    if not stores:
        parser.error(f"--store: no store id in {args.store!r}")
    problem = _output_problem(args.output)
    if problem is not None:
        print(f"error: cannot write {args.output}: {problem}", file=sys.stderr)
        return 2

    from lakehouse_inv.pipeline.configs import load_configs

    try:
        configs = load_configs(args.conf_dir, args.env)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ctx = JobContext(configs=configs, conf_dir=args.conf_dir or Path("conf"), as_of=args.end, run_id="export-orders")
    policies = policy_ids(args.policy)
    return run_export(ctx, stores, args.start, args.end, policies, args.output)
