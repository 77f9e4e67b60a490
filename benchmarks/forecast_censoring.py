"""Censored demand in the simulator: the forecast's bias against the true requests on items that often run out.

The simulator (harder world: intermittent items, US holidays) runs ``--days`` days; every store x product is
forecast at the last day before a 28-day window from (a) its sales alone (before issue 12: stock-out days read
as low demand), (b) sales with the ``stockout`` flag (censored days imputed from the series' own pattern),
(c) sales + ``lost_requests`` (the unmet requests the lakehouse records). Scored against the true requests of the
window: bias ``sum(forecast) / sum(requests) - 1`` on the series with a stock-out on at least 10% of their last
8 weeks, and on all series. No Spark: the same per-series function the forecast job runs.

    .venv/bin/python benchmarks/forecast_censoring.py [--days 420] [--sparse-share 0.3]
"""

from __future__ import annotations

from lakehouse_inv.threads import pin_blas_threads_env

pin_blas_threads_env()

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from lakehouse_inv.config import SimulatorConfig  # noqa: E402
from lakehouse_inv.forecast.config import ForecastConfig  # noqa: E402
from lakehouse_inv.forecast.series import forecast_series  # noqa: E402
from lakehouse_inv.simulate.engine import initial_state, simulate_day  # noqa: E402
from lakehouse_inv.simulate.world import build_world  # noqa: E402

HORIZON = 28
KEYS = ["store_id", "product_id"]
RESULTS = Path(__file__).parent / "results" / "forecast_censoring.json"


def simulate_daily(cfg: SimulatorConfig) -> pd.DataFrame:
    """Per store x product and day: requests, units sold, lost requests, stock-out flag."""
    world = build_world(cfg)
    state = initial_state(cfg, world)
    frames = []
    for _ in range(cfg.days):
        out = simulate_day(cfg, world, state)
        req = out.demand_requests
        daily = req.groupby(KEYS).agg(requests=("units", "sum"), sold=("fulfilled", "sum")).reset_index()
        frames.append(daily.assign(date=pd.Timestamp(out.day)))
    daily = pd.concat(frames, ignore_index=True)
    grid = pd.MultiIndex.from_product(
        [world.store_products["store_id"], pd.date_range(cfg.start_date, periods=cfg.days)], names=["store_id", "date"]
    )
    keys = world.store_products[KEYS]
    full = keys.merge(pd.DataFrame(index=grid).reset_index(), on="store_id")
    full = full.merge(daily, on=[*KEYS, "date"], how="left").fillna({"requests": 0, "sold": 0})
    full["lost_requests"] = full["requests"] - full["sold"]
    full["stockout"] = full["lost_requests"] > 0
    return full.rename(columns={"sold": "demand"})


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=420)
    parser.add_argument("--sparse-share", type=float, default=0.3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    cfg = SimulatorConfig(days=args.days, holiday_country="US", sparse_item_share=args.sparse_share)
    daily = simulate_daily(cfg)
    as_of = (pd.Timestamp(cfg.start_date) + pd.Timedelta(days=args.days - HORIZON - 1)).date()
    config = ForecastConfig(horizon=HORIZON)
    variants = {"sales_only": ["demand"], "stockout_flag": ["demand", "stockout"], "lost_requests": None}
    rows = []
    for key, series in daily.groupby(KEYS, sort=True):
        past = series[series["date"].dt.date <= as_of]
        future = series[series["date"].dt.date > as_of]
        record = {
            "store_id": key[0],
            "product_id": key[1],
            "requests": future["requests"].sum(),
            "stockout_share": past["stockout"].to_numpy()[-56:].mean(),
        }
        for name, columns in variants.items():
            cols = ["demand", "stockout", "lost_requests"] if columns is None else columns
            out = forecast_series(past[[*KEYS, "date", *cols]], config=config, key_cols=KEYS, as_of=as_of)
            record[name] = out["mean"].sum()
        rows.append(record)
    table = pd.DataFrame(rows)
    often = table[table["stockout_share"] >= 0.1]
    result = {"series": len(table), "often_out_of_stock": len(often)}
    for name in variants:
        result[f"bias_{name}_often"] = float(often[name].sum() / often["requests"].sum() - 1) if len(often) else None
        result[f"bias_{name}_all"] = float(table[name].sum() / table["requests"].sum() - 1)
    print(json.dumps(result, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, **result}, indent=2))
    return result


if __name__ == "__main__":
    main()
