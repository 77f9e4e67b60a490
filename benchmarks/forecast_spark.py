"""Forecast throughput: the pandas function alone vs through Spark (applyInPandas) at 100, 1,000 and 10,000 series.

Same simulated series (730 days, rates 0.1-50/day, weekly shape, drift, promotions, over-dispersion) both ways.
The pandas loop is one process; Spark runs local[*] on this machine. Reported: series/s, the ratio Spark /
pandas time (target <= 1.3 at 10k), and cost per series from 1k to 10k (target roughly flat). Accuracy against
seasonal naive and SARIMA MLE is in benchmarks/forecast_core.py (run by `python -m benchmarks`).

Wall time on a shared machine depends on what else runs, so each side's CPU seconds are reported too (pandas:
this process; Spark: the JVM and its Python workers): ``spark_cpu/pandas_cpu`` is Spark's overhead (Arrow
transfer, shuffle, sort), ``cores used`` how many cores Spark actually got (2 on an idle 2-core machine, where the
wall ratio comes out near ``spark_cpu/pandas_cpu / 2``), and ``load`` the 1-minute load average before each size.

    .venv/bin/python -m benchmarks.forecast_spark [--sizes 100,1000,10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tests.support.synthetic import RATE_BANDS, simulate_series

from benchmarks.common import child_cpu_seconds, force, spark_session, table, timed, write_result
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.distributed import forecast_frame
from lakehouse_inv.forecast.series import forecast_series
from lakehouse_inv.threads import pin_blas_threads

HISTORY_DAYS = 730
AS_OF = dt.date(2024, 12, 31)


def panel(n_series: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = AS_OF - dt.timedelta(days=HISTORY_DAYS - 1)
    frames = []
    for i in range(n_series):
        low, high = RATE_BANDS[i % len(RATE_BANDS)]
        rate = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        series = simulate_series(rate, HISTORY_DAYS, seed=seed * 100_003 + i, start=start)
        frames.append(series[["date", "demand", "price"]].assign(series_id=f"s{i:05d}"))
    out = pd.concat(frames, ignore_index=True)
    out["date"] = out["date"].dt.date
    return out[["series_id", "date", "demand", "price"]]


def pandas_loop(history: pd.DataFrame, config: ForecastConfig) -> int:
    pin_blas_threads()
    rows = 0
    for _, group in history.groupby("series_id", sort=False):
        rows += len(forecast_series(group, config=config, key_cols=["series_id"], as_of=AS_OF))
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    config = ForecastConfig()
    spark = spark_session(Path(tempfile.mkdtemp()) / "warehouse")
    spark.conf.set("spark.sql.shuffle.partitions", "8")
    biggest = panel(max(sizes))
    pandas_loop(biggest[biggest["series_id"] == "s00000"], config)  # warm-up imports
    # warm-up: enough series for a task on every core, so each Python worker has imported the forecasting code
    warm = spark.createDataFrame(biggest[biggest["series_id"] < "s00200"])
    force(forecast_frame(warm, key_cols=["series_id"], config=config, as_of=AS_OF))

    rows = []
    for n in sizes:
        history = biggest[biggest["series_id"] < f"s{n:05d}"]
        load = os.getloadavg()[0]
        cpu = time.process_time()
        _, pandas_s = timed(lambda h=history: pandas_loop(h, config))
        pandas_cpu = time.process_time() - cpu
        frame = spark.createDataFrame(history).persist()
        frame.count()  # keep the input conversion out of the timed section: both sides start from data in memory
        cpu = child_cpu_seconds()
        _, spark_s = timed(lambda f=frame: force(forecast_frame(f, key_cols=["series_id"], config=config, as_of=AS_OF)))
        spark_cpu = child_cpu_seconds() - cpu
        frame.unpersist()
        rows.append(
            {
                "series": n,
                "load_1min": load,
                "pandas_s": pandas_s,
                "pandas_cpu_s": pandas_cpu,
                "pandas_ms_per_series": 1000 * pandas_s / n,
                "pandas_series_per_s": n / pandas_s,
                "spark_s": spark_s,
                "spark_cpu_s": spark_cpu,
                "spark_series_per_s": n / spark_s,
                "spark_over_pandas": spark_s / pandas_s,
                "spark_cpu_over_pandas_cpu": spark_cpu / pandas_cpu,
                "spark_cores_used": spark_cpu / spark_s,
                "spark_ms_per_series": 1000 * spark_s / n,
            }
        )
    spark.stop()
    print(
        table(
            rows,
            [
                ("series", "series", "d"),
                ("load_1min", "load", ".1f"),
                ("pandas_ms_per_series", "pandas ms/ser", ".2f"),
                ("pandas_series_per_s", "pandas ser/s", ".0f"),
                ("spark_series_per_s", "spark ser/s", ".0f"),
                ("spark_over_pandas", "spark/pandas", ".2f"),
                ("spark_cpu_over_pandas_cpu", "spark_cpu/pandas_cpu", ".2f"),
                ("spark_cores_used", "cores used", ".2f"),
                ("spark_ms_per_series", "spark ms/ser", ".2f"),
            ],
        )
    )
    result = {"history_days": HISTORY_DAYS, "horizon": config.horizon, "rows": rows}
    if len(rows) >= 2 and rows[-1]["series"] >= 10 * rows[-2]["series"] / 10:
        result["cost_per_series_ratio_last_vs_previous"] = (
            rows[-1]["spark_ms_per_series"] / rows[-2]["spark_ms_per_series"]
        )
    print(f"-> {write_result('forecast_spark', result)}")
    return result


if __name__ == "__main__":
    main()
