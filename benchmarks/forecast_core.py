"""Speed and accuracy of the pandas forecasting core against statsmodels SARIMA(1,0,1)(1,0,1,7) MLE. No Spark.

1. Throughput: ``forecast_series`` (model selection included) over ``--series`` simulated series.
2. Comparison on ``--compare-series`` of them (balanced over rate bands): per-series wall time of SARIMA MLE
   (``SARIMAX(..., trend="c").fit()`` + forecast) versus our ARIMA+dow path alone and the full selection path,
   and MAE/RMSE on the held-out days of: the selected model, each candidate, and SARIMA MLE.
3. By rate band on the held-out days: the mean's MAE/RMSE, p50's MAE, p10/p50/p90 pinball loss, [p10, p90]
   coverage. The M5-like accuracy table (RMSSE vs seasonal naive, scaled pinball, coverage by segment,
   stock-out bias) is ``benchmarks/forecast_retail.py``.

Everything runs single-threaded (BLAS pinned before numpy loads). Results: a table on stdout and
``benchmarks/results/forecast_core.json``.

    .venv/bin/python -m benchmarks.forecast_core                 # ~1-2 min
    .venv/bin/python -m benchmarks.forecast_core --series 1000 --compare-series 90 --holdouts 3
"""

from __future__ import annotations

from lakehouse_inv.threads import pin_blas_threads_env

pin_blas_threads_env()

import argparse  # noqa: E402 - BLAS threads must be pinned before numpy is imported
import datetime as dt  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tests.support.synthetic import simulate_panel  # noqa: E402

from lakehouse_inv.forecast.config import ForecastConfig  # noqa: E402
from lakehouse_inv.forecast.series import forecast_series  # noqa: E402

HISTORY_DAYS = 730
KEYS = ["series_id"]
RESULTS = Path(__file__).parent / "results" / "forecast_core.json"


def sarima_forecast(history: np.ndarray, horizon: int) -> np.ndarray:
    """The baseline: SARIMA(1,0,1)(1,0,1,7) with a constant by exact MLE (statsmodels' defaults)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SARIMAX(history, order=(1, 0, 1), seasonal_order=(1, 0, 1, 7), trend="c")
        return np.maximum(model.fit(disp=False).forecast(horizon), 0.0)


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


@dataclass(frozen=True)
class Task:
    """One series and holdout window: the rows up to ``as_of`` and the ``horizon`` actual days after it."""

    series_id: str
    rate_band: str
    history: pd.DataFrame
    actual: np.ndarray
    as_of: dt.date


def holdout_tasks(panel: pd.DataFrame, horizon: int, holdouts: int) -> list[Task]:
    """A task per series and holdout window; the latest window ends on the last day, older ones step back."""
    tasks = []
    for series_id, rows in panel.groupby("series_id", sort=True):
        last = rows["date"].max().date()
        for k in range(holdouts):
            as_of = last - dt.timedelta(days=horizon * (k + 1))
            cut = pd.Timestamp(as_of)
            ahead = (rows["date"] > cut) & (rows["date"] <= cut + pd.Timedelta(days=horizon))
            history = rows[rows["date"] <= cut].drop(columns=["expected", "rate_band", "base_rate"])
            actual = rows.loc[ahead, "demand"].to_numpy()
            tasks.append(Task(series_id, rows["rate_band"].iloc[0], history, actual, as_of))
    return tasks


def run_forecast(task: Task, config: ForecastConfig) -> pd.DataFrame:
    return forecast_series(task.history, config=config, key_cols=KEYS, as_of=task.as_of)


def throughput(tasks: list[Task], config: ForecastConfig) -> tuple[pd.DataFrame, float, float]:
    """Forecasts of every task, wall seconds and CPU seconds (the latter barely depends on what else runs)."""
    start, cpu = time.perf_counter(), time.process_time()
    frames = [run_forecast(task, config) for task in tasks]
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    for task, frame in zip(tasks, frames, strict=True):
        frame["actual"] = task.actual
        frame["rate_band"] = task.rate_band
    return pd.concat(frames, ignore_index=True), seconds, cpu_seconds


def holdout_summary(frame: pd.DataFrame) -> pd.DataFrame:
    err = frame["mean"] - frame["actual"]
    frame = frame.assign(abs_err=err.abs(), sq_err=err**2, covered=frame["actual"].between(frame["p10"], frame["p90"]))
    for level in (10, 50, 90):
        miss = frame["actual"] - frame[f"p{level}"]
        frame[f"pinball_p{level}"] = np.maximum(level / 100 * miss, (level / 100 - 1) * miss)
    frame["abs_err_p50"] = (frame["p50"] - frame["actual"]).abs()
    by_band = frame.groupby("rate_band").agg(
        mae=("abs_err", "mean"),
        rmse=("sq_err", lambda s: float(np.sqrt(s.mean()))),
        mae_p50=("abs_err_p50", "mean"),
        pinball_p10=("pinball_p10", "mean"),
        pinball_p50=("pinball_p50", "mean"),
        pinball_p90=("pinball_p90", "mean"),
        coverage_80=("covered", "mean"),
    )
    return by_band


def compare(tasks: list[Task], config: ForecastConfig) -> pd.DataFrame:
    """Per task: wall time and holdout errors of SARIMA MLE, our ARIMA+dow path, the full path, each candidate.

    A single-candidate run that falls back (e.g. Croston on a series that is not sparse) counts as missing.
    """
    names = [name for name in config.candidates if name != "pooled_profile"]  # needs a group: not per series
    singles = {name: config.model_copy(update={"candidates": [name]}) for name in names}
    records = []
    for task in tasks:
        y = task.history["demand"].to_numpy()[-HISTORY_DAYS:]
        sarima, t_sarima = timed(lambda y=y: sarima_forecast(y, config.horizon))
        ours, t_ours = timed(lambda task=task: run_forecast(task, config))
        arima, t_arima = timed(lambda task=task: run_forecast(task, singles["arima_dow"]))
        record = {
            "series_id": task.series_id,
            "rate_band": task.rate_band,
            "as_of": task.as_of,
            "t_sarima": t_sarima,
            "t_selected": t_ours,
            "t_arima_dow": t_arima,
            "selected_model": ours["model"].iloc[0],
        }
        forecasts = {"selected": ours["mean"].to_numpy(), "sarima_mle": sarima}
        for name, single in singles.items():
            out = arima if name == "arima_dow" else run_forecast(task, single)
            forecasts[name] = out["mean"].to_numpy() if out["status"].iloc[0] == "ok" else np.nan
        for name, mean in forecasts.items():
            record[f"mae_{name}"] = float(np.mean(np.abs(mean - task.actual)))
            record[f"rmse_{name}"] = float(np.sqrt(np.mean((mean - task.actual) ** 2)))
        records.append(record)
    return pd.DataFrame(records)


def balanced_subset(tasks: list[Task], n: int) -> list[Task]:
    """Round-robin over rate bands so the comparison covers intermittent and fast movers alike."""
    by_band: dict[str, list[Task]] = {}
    for task in tasks:
        by_band.setdefault(task.rate_band, []).append(task)
    picked: list[Task] = []
    while len(picked) < min(n, len(tasks)):
        for band_tasks in by_band.values():
            if band_tasks and len(picked) < n:
                picked.append(band_tasks.pop(0))
    return picked


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=300, help="series for the throughput run")
    parser.add_argument("--compare-series", type=int, default=60, help="series also fitted by SARIMA MLE")
    parser.add_argument("--holdouts", type=int, default=1, help="consecutive held-out windows per series")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--metric", choices=["mae", "rmse"], default=None, help="override selection.metric")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    config = ForecastConfig()
    if args.metric:
        config = config.model_copy(update={"selection": config.selection.model_copy(update={"metric": args.metric})})
    panel = simulate_panel(args.series, HISTORY_DAYS + config.horizon * args.holdouts, seed=args.seed)
    tasks = holdout_tasks(panel, config.horizon, args.holdouts)

    # warm-up (imports, first-call caches) so neither side pays it inside the timings
    run_forecast(tasks[0], config)
    sarima_forecast(np.ones(60) + np.arange(60) % 7, 7)

    frame, seconds, cpu_seconds = throughput(tasks, config)
    summary = holdout_summary(frame)
    per_series = frame.groupby(["series_id", "as_of"]).first()
    choice = per_series.groupby(["rate_band", "model"]).size().rename("n").reset_index()

    comparison = compare(balanced_subset(tasks, args.compare_series * args.holdouts), config)
    models = ["selected", *[c for c in config.candidates if c != "pooled_profile"], "sarima_mle"]
    accuracy = comparison.groupby("rate_band")[[f"mae_{m}" for m in models]].mean()
    accuracy.loc["all"] = comparison[[f"mae_{m}" for m in models]].mean()
    rmse = comparison.groupby("rate_band")[[f"rmse_{m}" for m in models]].mean()
    rmse.loc["all"] = comparison[[f"rmse_{m}" for m in models]].mean()
    relative = {m: float(np.nanmean(comparison[f"mae_{m}"] / comparison["mae_sarima_mle"])) for m in models}
    timing = {
        "sarima_mle_ms": 1e3 * comparison["t_sarima"].mean(),
        "arima_dow_ms": 1e3 * comparison["t_arima_dow"].mean(),
        "selected_ms": 1e3 * comparison["t_selected"].mean(),
    }
    timing["speedup_arima_dow"] = timing["sarima_mle_ms"] / timing["arima_dow_ms"]
    timing["speedup_selected"] = timing["sarima_mle_ms"] / timing["selected_ms"]

    n_forecasts = len(tasks)
    print(
        f"\nthroughput: {n_forecasts} series-forecasts in {seconds:.2f} s = {n_forecasts / seconds:.0f} series/s "
        f"({1e3 * seconds / n_forecasts:.2f} ms each, selection included; CPU {1e3 * cpu_seconds / n_forecasts:.2f} ms "
        "each, less sensitive to the machine's other load)"
    )
    print("\nholdout accuracy of the selected model (all series):")
    print(summary.round(3).to_string())
    print("\nmodel chosen:")
    print(choice.to_string(index=False))
    print(f"\ncomparison on {len(comparison)} series-holdouts, per-series wall time (ms):")
    print(pd.Series(timing).round(2).to_string())
    counts = comparison[[f"mae_{m}" for m in models]].notna().sum().rename(lambda c: c.removeprefix("mae_"))
    print("\nholdout MAE (mean over series; a candidate only where it is eligible, see n):")
    print(accuracy.round(3).to_string())
    print("n: " + ", ".join(f"{m}={k}" for m, k in counts.items()))
    print("\nholdout RMSE (mean over series):")
    print(rmse.round(3).to_string())
    print("\nMAE relative to SARIMA MLE (mean of per-series ratios):")
    print(pd.Series(relative).round(3).to_string())

    result = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "blas_threads": 1},
        "args": {k: str(v) for k, v in vars(args).items()},
        "config": json.loads(config.model_dump_json()),
        "throughput": {
            "series_forecasts": n_forecasts,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "series_per_s": n_forecasts / seconds,
            "cpu_ms_per_series": 1e3 * cpu_seconds / n_forecasts,
        },
        "holdout_by_band": summary.reset_index().to_dict(orient="records"),
        "model_choice": choice.to_dict(orient="records"),
        "comparison": {
            "n": len(comparison),
            "timing": timing,
            "mae": accuracy.reset_index().to_dict(orient="records"),
            "rmse": rmse.reset_index().to_dict(orient="records"),
            "mae_relative_to_sarima": relative,
            "n_eligible": counts.to_dict(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {args.output}")
    return result


if __name__ == "__main__":
    main()
