"""``lakehouse-inv forecast-file``: forecast a long CSV export without a lakehouse, on the same Spark path.

    lakehouse-inv forecast-file --input demand.csv --horizon 28 --output forecasts.csv

Input columns ``series_id,date,demand`` (daily; missing days = zero demand; optional ``price``). Bad rows (not
UTF-8, unreadable date or demand, demand above ``--max-demand``, duplicate series/date) are reported as
``file:line: skipped: reason`` on stderr and left out; every good series is forecast from the day after the last
date in the file. A file that cannot be read at all exits with status 2 and one line naming the file (and line). The
output is written to a temporary file and renamed over ``--output`` once complete.

Optional ``stockout`` (true/false) and ``lost_requests`` columns mark censored days (sales on a day that ended out
of stock are a lower bound of demand). An optional ``group_id`` column (the product across stores, or the
department) lets a sparse series borrow its group's weekday shape (``pooled_profile``); without it every series
is forecast on its own. Holidays come from ``calendar`` in ``forecast.yml`` (default US);
``--country DE`` or ``--country none`` overrides it.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from lakehouse_inv.config import ConfigError
from lakehouse_inv.forecast.config import CalendarConfig, ForecastConfig, load_forecast_config
from lakehouse_inv.forecast.csv_io import DEFAULT_MAX_DEMAND, DemandFileError, read_demand_csv
from lakehouse_inv.io_utils import atomic_write

OUTPUT_COLUMNS = ["series_id", "date", "mean", "p10", "p50", "p90", "model", "status"]
GROUP_COLUMN = "group_id"
MAX_REPORTED_BAD_ROWS = 50
"""Bad rows printed one by one; beyond that a count (a binary file would otherwise print one line per record)."""


def file_config(conf_dir: Path | None, horizon: int, country: str | None = None) -> ForecastConfig:
    """``forecast.yml`` with the horizon and, when given, the holiday country (``none`` = no holidays) replaced.

    Raises :class:`ConfigError` naming ``--country`` for a country the ``holidays`` package does not know.
    """
    config = load_forecast_config(conf_dir)
    calendar = config.calendar
    if country is not None:
        try:
            calendar = CalendarConfig.model_validate(calendar.model_dump() | {"country": country})
        except ValidationError as exc:
            raise ConfigError(f"--country: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    return config.model_copy(update={"horizon": horizon, "calendar": calendar})


def forecast_file(
    demand: pd.DataFrame, *, horizon: int, conf_dir: Path | None, spark=None, country: str | None = None
) -> pd.DataFrame:
    """Forecast every series of a clean long frame (series_id, date, demand[, price, stockout, lost_requests])
    through Spark; ``country`` overrides ``calendar.country`` of the configuration (default US)."""
    from lakehouse_inv.forecast.distributed import forecast_frame
    from lakehouse_inv.spark import build_spark

    config = file_config(conf_dir, horizon, country)
    as_of = demand["date"].max().date()
    spark = spark or build_spark("lakehouse_inv-forecast-file")
    frame = demand.assign(date=demand["date"].dt.date)
    group_col = None
    if GROUP_COLUMN in frame.columns:  # pooling: a blank group is the series' own
        group = frame[GROUP_COLUMN].fillna("").astype(str)
        frame[GROUP_COLUMN] = group.where(group.ne(""), "series:" + frame["series_id"])
        group_col = GROUP_COLUMN
    history = spark.createDataFrame(frame)
    forecasts = forecast_frame(
        history, key_cols=["series_id"], config=config, as_of=as_of, group_col=group_col
    ).toPandas()
    forecasts = forecasts.rename(columns={"target_date": "date"})
    return forecasts[OUTPUT_COLUMNS].sort_values(["series_id", "date"], ignore_index=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakehouse-inv forecast-file", description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, type=Path, help="long CSV: series_id,date,demand[,price]")
    parser.add_argument("--output", required=True, type=Path, help="forecast CSV to write")
    parser.add_argument("--horizon", type=int, default=28, help="days to forecast (default 28)")
    parser.add_argument("--conf-dir", type=Path, help="configuration folder holding base/forecast.yml")
    parser.add_argument(
        "--country",
        help="holiday calendar: ISO country code of the `holidays` package, or none (default: forecast.yml, US)",
    )
    parser.add_argument(
        "--max-demand",
        type=float,
        default=DEFAULT_MAX_DEMAND,
        help="largest plausible demand of one series on one day; larger values are bad rows (default %(default)g)",
    )
    args = parser.parse_args(argv)
    if args.horizon < 1:
        parser.error("--horizon must be at least 1")
    if not (math.isfinite(args.max_demand) and args.max_demand > 0):
        parser.error("--max-demand must be a finite number > 0")
    try:
        demand, bad_rows = read_demand_csv(args.input, max_demand=args.max_demand)
        file_config(args.conf_dir, args.horizon, args.country)  # reject a bad config before starting Spark
    except (DemandFileError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot read {exc.filename or args.input}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for bad in bad_rows[:MAX_REPORTED_BAD_ROWS]:
        print(f"{args.input}:{bad.line}: skipped: {bad.reason}", file=sys.stderr)
    if len(bad_rows) > MAX_REPORTED_BAD_ROWS:
        print(f"{args.input}: ... and {len(bad_rows) - MAX_REPORTED_BAD_ROWS:,} more bad rows", file=sys.stderr)
    if demand.empty:
        print(f"error: {args.input} has no usable rows ({len(bad_rows):,} bad)", file=sys.stderr)
        return 2
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(args.output, newline="") as sink:  # fails before Spark starts if the folder is unwritable
            forecasts = forecast_file(demand, horizon=args.horizon, conf_dir=args.conf_dir, country=args.country)
            forecasts.to_csv(sink, index=False)
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {len(forecasts):,} rows for {forecasts['series_id'].nunique():,} series to {args.output}"
        f" ({len(bad_rows)} bad row(s) skipped)"
    )
    return 0
