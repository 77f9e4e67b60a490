"""Evaluation replay through Spark: a year of 1,000 store-products under a reorder-point rule and the baseline.

The job's path (``replay_frame``: one cogrouped pandas call per store) vs the pandas function alone on the same
items and demand. Target: a year of 1,000 store-products in well under a minute on 2 cores.

    .venv/bin/python -m benchmarks.replay_spark [--stores 50 --products 20 --days 365]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import force, spark_session, table, timed, write_result
from benchmarks.replay_core import START, daily_demand, store_products
from lakehouse_inv.evaluate.inputs import REPLAY_KEYS, replay_frame
from lakehouse_inv.replenishment.replay import replay
from lakehouse_inv.replenishment.rules import attach_rules


def items_frame(products):
    """Each store-product under an (s,Q) rule and under the service-cover baseline, as the job builds them."""
    frames = []
    for policy_id, policy_type in (("sQ", "sQ"), ("baseline", "service_cover")):
        lead_demand = products["a"] * products["L"]
        s = np.ceil(lead_demand + 1.65 * np.sqrt(lead_demand))
        q = np.maximum(1, np.round(np.sqrt(2 * products["a"] * products["K"] / products["h"])))
        decisions = (
            [f'{{"s": {int(a)}, "Q": {int(b)}}}' for a, b in zip(s, q, strict=True)]
            if policy_type == "sQ"
            else [
                json.dumps({"R": 7, "service_level": 0.95, **({} if np.isnan(life) else {"shelf_life_days": life})})
                for life in products["shelf_life_days"]
            ]
        )
        frames.append(
            products.assign(policy_id=policy_id, policy_type=policy_type, decision_json=decisions, period_days=1)
        )
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(20250101)
    products = store_products(args.stores, args.products, rng)
    items = items_frame(products)
    demand = daily_demand(products, args.days, rng)
    end = START + dt.timedelta(days=args.days - 1)

    _, pandas_s = timed(
        lambda: [
            replay(
                attach_rules(g, period_column="period_days"),
                demand[demand["store_id"] == s],
                start=START,
                end=end,
                key_columns=REPLAY_KEYS,
            )
            for s, g in items.groupby("store_id")
        ]
    )
    spark = spark_session(Path(tempfile.mkdtemp()) / "warehouse")
    item_frame, demand_frame = spark.createDataFrame(items).persist(), spark.createDataFrame(demand).persist()
    item_frame.count(), demand_frame.count()
    force(
        replay_frame(item_frame.where("store_id = 'S000'"), demand_frame.where("store_id = 'S000'"), START, end)
    )  # warm workers
    _, spark_s = timed(lambda: force(replay_frame(item_frame, demand_frame, START, end)))
    spark.stop()

    item_days = len(items) * args.days
    rows = [
        {
            "path": "pandas, one call per store",
            "store_products": len(products),
            "item_days": item_days,
            "seconds": pandas_s,
            "item_days_per_s": item_days / pandas_s,
        },
        {
            "path": "spark cogroup per store",
            "store_products": len(products),
            "item_days": item_days,
            "seconds": spark_s,
            "item_days_per_s": item_days / spark_s,
        },
    ]
    print(
        table(
            rows,
            [
                ("path", "path", "s"),
                ("store_products", "store-prods", "d"),
                ("item_days", "item-days", "d"),
                ("seconds", "seconds", ".1f"),
                ("item_days_per_s", "item-days/s", ",.0f"),
            ],
        )
    )
    result = {"days": args.days, "rules_per_store_product": 2, "rows": rows}
    print(f"-> {write_result('replay_spark', result)}")
    return result


if __name__ == "__main__":
    main()
