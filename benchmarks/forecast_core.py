"""Speed and accuracy of the pandas forecasting core against statsmodels SARIMA(1,0,1)(1,0,1,7) MLE. No Spark.

1. Throughput: ``forecast_series`` (model selection included) over ``--series`` simulated series.
2. Comparison on ``--compare-series`` of them (balanced over rate bands): per-series wall time of SARIMA MLE
   (``SARIMAX(..., trend="c").fit()`` + forecast) versus our ARIMA+dow path alone and the full selection path,
   and MAE/RMSE on the held-out days of: the selected model, each candidate, and SARIMA MLE.
3. Interval coverage of p10-p90 on the held-out days, by rate band.

Everything runs single-threaded (BLAS pinned before numpy loads). Results: a table on stdout and
``benchmarks/results/forecast_core.json``.

    .venv/bin/python benchmarks/forecast_core.py                 # ~1-2 min
    .venv/bin/python benchmarks/forecast_core.py --series 1000 --compare-series 90 --holdouts 3
"""

from __future__ import annotations

from lakehouse_inv.forecast.threads import pin_blas_threads_env

pin_blas_threads_env()

import argparse  # noqa: E402 - BLAS threads must be pinned before numpy is imported
import datetime as dt  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lakehouse_inv.forecast.config import ForecastConfig  # noqa: E402
from lakehouse_inv.forecast.series import forecast_series  # noqa: E402
from lakehouse_inv.forecast.synthetic import simulate_panel  # noqa: E402

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


def holdout_tasks(panel: pd.DataFrame, horizon: int, holdouts: int) -> list[tuple[str, str, pd.DataFrame, dt.date]]:
    """(series id, rate band, rows, as_of) per series and holdout window; the last ``horizon`` days after
    ``as_of`` are held out, older windows step back by ``horizon`` days."""
    tasks = []
    for series_id, rows in panel.groupby("series_id", sort=True):
        last = rows["date"].max().date()
        for k in range(holdouts):
            as_of = last - dt.timedelta(days=horizon * (k + 1))
            tasks.append((series_id, rows["rate_band"].iloc[0], rows, as_of))
    return tasks


def actuals(rows: pd.DataFrame, as_of: dt.date, horizon: int) -> np.ndarray:
    ahead = (rows["date"] > pd.Timestamp(as_of)) & (rows["date"] <= pd.Timestamp(as_of + dt.timedelta(horizon)))
    return rows.loc[ahead, "demand"].to_numpy()


def throughput(tasks: list, config: ForecastConfig) -> tuple[pd.DataFrame, float]:
    frames = []
    start = time.perf_counter()
    for _, band, rows, as_of in tasks:
        history = rows[rows["date"] <= pd.Timestamp(as_of)]
        out = forecast_series(history, config=config, key_cols=KEYS, as_of=as_of)
        out["actual"] = actuals(rows, as_of, config.horizon)
        out["rate_band"] = band
        frames.append(out)
    return pd.concat(frames, ignore_index=True), time.perf_counter() - start


def holdout_summary(frame: pd.DataFrame) -> pd.DataFrame:
    err = frame["mean"] - frame["actual"]
    frame = frame.assign(abs_err=err.abs(), sq_err=err**2, covered=frame["actual"].between(frame["p10"], frame["p90"]))
    by_band = frame.groupby("rate_band").agg(
        mae=("abs_err", "mean"), rmse=("sq_err", lambda s: float(np.sqrt(s.mean()))), coverage_80=("covered", "mean")
    )
    return by_band


def compare(tasks: list, config: ForecastConfig) -> pd.DataFrame:
    """Per task: wall time and holdout errors of SARIMA MLE, our ARIMA+dow path, the full path, each candidate."""
    singles = {name: config.model_copy(update={"candidates": [name]}) for name in config.candidates}
    rows_out = []
    for series_id, band, rows, as_of in tasks:
        history = rows[rows["date"] <= pd.Timestamp(as_of)]
        y = history["demand"].to_numpy()[-HISTORY_DAYS:]
        actual = actuals(rows, as_of, config.horizon)
        sarima, t_sarima = timed(lambda y=y: sarima_forecast(y, config.horizon))
        ours, t_ours = timed(lambda h=history, a=as_of: forecast_series(h, config=config, key_cols=KEYS, as_of=a))
        arima, t_arima = timed(
            lambda h=history, a=as_of: forecast_series(h, config=singles["arima_dow"], key_cols=KEYS, as_of=a)
        )
        record = {
            "series_id": series_id,
            "rate_band": band,
            "as_of": as_of,
            "t_sarima": t_sarima,
            "t_selected": t_ours,
            "t_arima_dow": t_arima,
            "selected_model": ours["model"].iloc[0],
        }
        forecasts = {"selected": ours["mean"].to_numpy(), "sarima_mle": sarima}
        for name, single in singles.items():
            out = arima if name == "arima_dow" else forecast_series(history, config=single, key_cols=KEYS, as_of=as_of)
            forecasts[name] = out["mean"].to_numpy() if out["status"].iloc[0] == "ok" else np.full(len(actual), np.nan)
        for name, mean in forecasts.items():
            record[f"mae_{name}"] = float(np.mean(np.abs(mean - actual)))
            record[f"rmse_{name}"] = float(np.sqrt(np.mean((mean - actual) ** 2)))
        rows_out.append(record)
    return pd.DataFrame(rows_out)


def balanced_subset(tasks: list, n: int) -> list:
    """Round-robin over rate bands so the comparison covers intermittent and fast movers alike."""
    by_band: dict[str, list] = {}
    for task in tasks:
        by_band.setdefault(task[1], []).append(task)
    picked: list = []
    while len(picked) < min(n, len(tasks)):
        for band_tasks in by_band.values():
            if band_tasks and len(picked) < n:
                picked.append(band_tasks.pop(0))
    return picked


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=300, help="series for the throughput run")
    parser.add_argument("--compare-series", type=int, default=45, help="series also fitted by SARIMA MLE")
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
    forecast_series(tasks[0][2], config=config, key_cols=KEYS, as_of=tasks[0][3])
    sarima_forecast(np.ones(60) + np.arange(60) % 7, 7)

    frame, seconds = throughput(tasks, config)
    summary = holdout_summary(frame)
    per_series = frame.groupby(["series_id", "as_of"]).first()
    choice = per_series.groupby(["rate_band", "model"]).size().rename("n").reset_index()

    comparison = compare(balanced_subset(tasks, args.compare_series * args.holdouts), config)
    models = ["selected", *config.candidates, "sarima_mle"]
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
        f"({1e3 * seconds / n_forecasts:.2f} ms each, selection included)"
    )
    print("\nholdout accuracy of the selected model (all series):")
    print(summary.round(3).to_string())
    print("\nmodel chosen:")
    print(choice.to_string(index=False))
    print(f"\ncomparison on {len(comparison)} series-holdouts, per-series wall time (ms):")
    print(pd.Series(timing).round(2).to_string())
    print("\nholdout MAE (mean over series):")
    print(accuracy.round(3).to_string())
    print("\nholdout RMSE (mean over series):")
    print(rmse.round(3).to_string())
    print("\nMAE relative to SARIMA MLE (mean of per-series ratios):")
    print(pd.Series(relative).round(3).to_string())

    result = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "processor": platform.machine(), "blas_threads": 1},
        "args": {k: str(v) for k, v in vars(args).items()},
        "config": json.loads(config.model_dump_json()),
        "throughput": {"series_forecasts": n_forecasts, "seconds": seconds, "series_per_s": n_forecasts / seconds},
        "holdout_by_band": summary.reset_index().to_dict(orient="records"),
        "model_choice": choice.to_dict(orient="records"),
        "comparison": {
            "n": len(comparison),
            "timing": timing,
            "mae": accuracy.reset_index().to_dict(orient="records"),
            "rmse": rmse.reset_index().to_dict(orient="records"),
            "mae_relative_to_sarima": relative,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwrote {args.output}")
    return result


if __name__ == "__main__":
    main()
