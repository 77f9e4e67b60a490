"""Accuracy on an M5-like panel, each output scored by what it is for. No Spark; same per-series function.

The panel (:func:`tests.support.synthetic.simulate_retail_panel`): 100 dense chain-wide product series
and 100 sparse store x product series, NB counts, weekday shapes, yearly season, level shifts, US holidays,
out-of-stock runs on the sparse ones. The last 28 days are held out; every series is forecast by
``forecast_series`` on ``series_id,date,demand`` exactly as ``lakehouse-inv forecast-file`` does through Spark
(optionally with ``group_id`` / ``stockout`` columns, see ``--with``).

Scores (means over series; "vs snaive" = ratio to seasonal naive's score on the same series):

* ``mean``: RMSSE (M5: RMSE scaled by the in-sample one-day-difference RMS) -> ``rmsse_vs_snaive``;
* ``p50``: MAE -> ``mae_p50_vs_snaive``;
* ``p10/p50/p90``: scaled pinball loss (mean over the three levels, scaled by the in-sample one-day-difference
  MAE, as M5's SPL) and the share of days inside ``[p10, p90]`` per segment, closed (``coverage_80``) and with a
  count on an edge split by how much of its probability under the forecast lies inside (``pit_coverage_80``, the
  non-randomized PIT: 0.8 for a calibrated forecast even where the closed band of small counts holds ~0.95);
* censoring: bias ``sum(mean) / sum(true expected) - 1`` on sparse series with a stock-out in their last 8 weeks.

A second table gives the four scores (RMSSE, p50 MAE, scaled pinball, coverage both ways; not relative) per
segment, dense / sparse and the rate bucket of the last 8 weeks, for the published forecast and two references:
seasonal naive (every quantile = last week's same weekday, so it covers only days that repeat exactly) and the 12-week
day-of-week mean (quantiles = the empirical quantiles of the 12 same-weekday values).
``--quantile-methods calibrated`` reproduces the per-series calibration alone, ``distribution`` the state before it.

    .venv/bin/python -m benchmarks.forecast_retail [--seed 1] [--with group_id stockout] [--quantile-methods ...]
"""

from __future__ import annotations

from lakehouse_inv.threads import pin_blas_threads_env

pin_blas_threads_env()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tests.support.synthetic import simulate_retail_panel  # noqa: E402

from lakehouse_inv.forecast import metrics  # noqa: E402
from lakehouse_inv.forecast.config import ForecastConfig, load_forecast_config  # noqa: E402
from lakehouse_inv.forecast.distribution import DEGENERATE, cdf_around  # noqa: E402
from lakehouse_inv.forecast.series import forecast_series  # noqa: E402

HORIZON = 28
RESULTS = Path(__file__).parent / "results" / "forecast_retail.json"
LEVELS = (0.1, 0.5, 0.9)


def pinball(actual: np.ndarray, quantile: np.ndarray, level: float) -> float:
    diff = actual - quantile
    return float(np.mean(np.maximum(level * diff, (level - 1) * diff)))


def _scales(history: np.ndarray) -> tuple[float, float]:
    """M5 scales: RMS and mean absolute one-day difference from the first sale on."""
    nonzero = np.flatnonzero(history)
    y = history[nonzero[0] :] if len(nonzero) else history
    diff = np.diff(y)
    return float(np.sqrt(np.mean(diff**2))) or 1.0, float(np.mean(np.abs(diff))) or 1.0


def baselines(history: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    days = np.arange(horizon)
    dow12 = history[-84:].reshape(12, 7).mean(axis=0)
    return {"snaive": history[-7:][days % 7], "dow12": dow12[days % 7]}


def baseline_quantiles(history: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """p10/p50/p90 of the references, shape ``(horizon, 3)``: seasonal naive's point value at every level, and the
    12-week weekday mean's empirical quantiles of the 12 same-weekday values (integer: ``inverted_cdf``)."""
    days = np.arange(horizon)
    weeks = history[-84:].reshape(12, 7)
    dow = np.quantile(weeks, LEVELS, axis=0, method="inverted_cdf").T  # (7, 3)
    return {"snaive": np.repeat(history[-7:][days % 7, None], 3, axis=1), "dow12": dow[days % 7]}


def reference_cdf(history: np.ndarray, actual: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``F(y - 1), F(y)`` of each day under the references' own distributions: seasonal naive's point mass on last
    week's value, the 12-week weekday mean's empirical distribution of the 12 same-weekday values."""
    days = np.arange(len(actual))
    point = history[-7:][days % 7]
    weeks = history[-84:].reshape(12, 7)[:, days % 7]  # (12, horizon)
    return {
        "snaive": ((actual - 1 >= point).astype(float), (actual >= point).astype(float)),
        "dow12": ((weeks <= actual - 1).mean(axis=0), (weeks <= actual).mean(axis=0)),
    }


def published_cdf(actual: np.ndarray, out: pd.DataFrame) -> tuple[tuple[np.ndarray, np.ndarray], tuple[float, float]]:
    """``F(y - 1), F(y)`` under the published distribution (``mean``, ``variance``, ``distribution`` columns) and
    the levels its p10/p90 were drawn at (``model_params``: the conformal levels, else nominal)."""
    family = out["distribution"].iloc[0]
    cdf = cdf_around(actual, out["mean"].to_numpy(float), out["variance"].to_numpy(float), family)
    params = json.loads(out["model_params"].iloc[0])
    drawn = params.get("quantiles", {}).get("levels") if "global_model" not in params else None
    levels = (drawn["0.1"], drawn["0.9"]) if drawn and family != DEGENERATE else (0.1, 0.9)
    return cdf, levels


def four_scores(
    actual: np.ndarray,
    mean: np.ndarray,
    quantiles: np.ndarray,
    rms: float,
    mad: float,
    cdf: tuple[np.ndarray, np.ndarray],
    band_levels: tuple[float, float] = (0.1, 0.9),
) -> dict:
    """RMSSE of the mean, scaled p50 MAE, scaled pinball (mean of the three levels) and [p10, p90] coverage, closed
    and with ties at the edges split under the forecast's distribution (``cdf``: ``F(y - 1), F(y)``)."""
    losses = [pinball(actual, quantiles[:, i], lv) / mad for i, lv in enumerate(LEVELS)]
    lower, upper = quantiles[:, 0], quantiles[:, 2]
    return {
        "rmsse": float(np.sqrt(np.mean((mean - actual) ** 2)) / rms),
        "mae_p50": float(np.mean(np.abs(quantiles[:, 1] - actual)) / mad),
        "spl": float(np.mean(losses)),
        "coverage_80": float(np.mean((actual >= lower) & (actual <= upper))),
        "pit_coverage_80": metrics.split_coverage(actual, lower, upper, *cdf, band_levels),
    }


def score_series(history: np.ndarray, actual: np.ndarray, out: pd.DataFrame, expected: np.ndarray) -> dict:
    rms, mad = _scales(history)
    base = baselines(history, len(actual))
    mean, p10, p50, p90 = (out[c].to_numpy(float) for c in ("mean", "p10", "p50", "p90"))
    cdf, band_levels = published_cdf(actual, out)
    quantiles = zip((p10, p50, p90), LEVELS, strict=True)
    losses = {f"spl_p{round(100 * lv)}": pinball(actual, q, lv) / mad for q, lv in quantiles}
    record = {
        "rmsse": np.sqrt(np.mean((mean - actual) ** 2)) / rms,
        "mae_p50": np.mean(np.abs(p50 - actual)) / mad,
        "spl": np.mean(list(losses.values())),
        "coverage_80": np.mean((actual >= p10) & (actual <= p90)),
        "pit_coverage_80": metrics.split_coverage(actual, p10, p90, *cdf, band_levels),
        **losses,
        "below_p10": np.mean(actual < p10),
        "above_p90": np.mean(actual > p90),
        "forecast_total": mean.sum(),
        "expected_total": expected.sum(),
        "model": out["model"].iloc[0],
    }
    cdfs = reference_cdf(history, actual)
    for name, quantiles in baseline_quantiles(history, len(actual)).items():
        scores = four_scores(actual, base[name], quantiles, rms, mad, cdfs[name])
        record |= {f"{k}_{name}": v for k, v in scores.items()}
    record["rate_bucket"] = metrics.rate_bucket(float(np.mean(history[-metrics.RATE_DAYS :])))
    record["quantile_method"] = json.loads(out["model_params"].iloc[0]).get("quantiles", {}).get("method")
    base["oracle"] = expected  # the true expected demand: the floor no forecast can beat on average
    for name, forecast in base.items():
        record[f"rmsse_{name}"] = np.sqrt(np.mean((forecast - actual) ** 2)) / rms
        record[f"mae_{name}"] = np.mean(np.abs(forecast - actual)) / mad
    return record


def run(panel: pd.DataFrame, config: ForecastConfig, extra: list[str]) -> tuple[pd.DataFrame, float]:
    """Forecast every series from the rows up to 28 days before the end; with ``group_id`` one call per group
    (:func:`forecast_group`, as ``forecast-file`` does with that column), else one per series."""
    cut = panel["date"].max() - pd.Timedelta(days=HORIZON)
    as_of = cut.date()
    columns = ["series_id", "date", "demand", *extra]
    past = panel[panel["date"] <= cut]
    started = time.perf_counter()
    if "group_id" in extra:
        from lakehouse_inv.forecast.pooling import forecast_group

        outputs = [
            forecast_group(rows[columns], config=config, key_cols=["series_id"], group_col="group_id", as_of=as_of)
            for _, rows in past.groupby("group_id", sort=True)
        ]
    else:
        outputs = [
            forecast_series(rows[columns], config=config, key_cols=["series_id"], as_of=as_of)
            for _, rows in past.groupby("series_id", sort=True)
        ]
    seconds = time.perf_counter() - started
    forecasts = {out["series_id"].iloc[0]: out for frame in outputs for _, out in frame.groupby("series_id")}
    records = []
    for series_id, rows in panel.groupby("series_id", sort=True):
        before = rows["date"] <= cut
        future = rows.loc[~before]
        history = rows.loc[before, "demand"].to_numpy()
        out = forecasts[series_id]
        record = score_series(history, future["demand"].to_numpy(), out, future["expected"].to_numpy())
        record |= {
            "series_id": series_id,
            "segment": rows["segment"].iloc[0],
            "recent_stockout": bool(rows.loc[before, "stockout"].to_numpy()[-56:].any()),
        }
        records.append(record)
    return pd.DataFrame(records), seconds


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    def block(frame: pd.DataFrame) -> dict:
        return {
            "series": len(frame),
            "rmsse_vs_snaive": frame["rmsse"].mean() / frame["rmsse_snaive"].mean(),
            "dow12_rmsse_vs_snaive": frame["rmsse_dow12"].mean() / frame["rmsse_snaive"].mean(),
            "oracle_rmsse_vs_snaive": frame["rmsse_oracle"].mean() / frame["rmsse_snaive"].mean(),
            "mae_p50_vs_snaive": frame["mae_p50"].mean() / frame["mae_snaive"].mean(),
            "spl": frame["spl"].mean(),
            "coverage_80": frame["coverage_80"].mean(),
            "pit_coverage_80": frame["pit_coverage_80"].mean(),
            **{c: frame[c].mean() for c in ("spl_p10", "spl_p50", "spl_p90", "below_p10", "above_p90")},
        }

    rows = {"all": block(scores)} | {seg: block(g) for seg, g in scores.groupby("segment")}
    censored = scores[scores["recent_stockout"]]
    table = pd.DataFrame(rows).T
    table["stockout_bias"] = np.nan
    if len(censored):
        table.loc["sparse", "stockout_bias"] = censored["forecast_total"].sum() / censored["expected_total"].sum() - 1
    return table


SEGMENT_SCORES = ("rmsse", "mae_p50", "spl", "coverage_80", "pit_coverage_80")


def segment_table(scores: pd.DataFrame) -> pd.DataFrame:
    """The four scores (means over series) per segment, for the published forecast and the two references."""
    rows = []
    for column in (None, "segment", "rate_bucket"):
        groups = [("all", scores)] if column is None else list(scores.groupby(column, sort=True))
        for label, frame in groups:
            row = {"segment": label, "series": len(frame)}
            for method in ("published", "snaive", "dow12"):
                for score in SEGMENT_SCORES:
                    name = score if method == "published" else f"{score}_{method}"
                    row[f"{method}:{score}"] = frame[name].mean()
            rows.append(row)
    return pd.DataFrame(rows).set_index("segment")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--with", dest="extra", nargs="*", default=[], choices=["group_id", "stockout"])
    parser.add_argument("--conf-dir", type=Path, default=None)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2025, 6, 19), help="last day (held out)")
    parser.add_argument("--quantile-methods", nargs="+", default=None, help="override distribution.quantile_methods")
    parser.add_argument(
        "--global-model", action="store_true", help="enable global_model (needs --with group_id: trained per group)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    config = load_forecast_config(args.conf_dir).model_copy(update={"horizon": HORIZON})
    if args.quantile_methods:
        distribution = config.distribution.model_validate(
            config.distribution.model_dump() | {"quantile_methods": args.quantile_methods}
        )
        config = config.model_copy(update={"distribution": distribution})
    if args.global_model:
        config = config.model_copy(update={"global_model": config.global_model.model_copy(update={"enabled": True})})
    panel = simulate_retail_panel(seed=args.seed, end=args.end)
    scores, seconds = run(panel, config, args.extra)
    table = summarise(scores)
    print(table.round(3).to_string(line_width=200))
    print(f"\n{1e3 * seconds / len(scores):.2f} ms per series (forecast_series, selection included, 1 thread)")
    print(scores.groupby(["segment", "model"]).size().to_string())
    segments = segment_table(scores)
    print("\nfour scores per segment (published / seasonal naive / 12-week weekday mean):")
    print(segments.round(3).to_string(line_width=250))
    print("\nquantile method published (series):")
    print(scores.groupby(["rate_bucket", "quantile_method"], dropna=False).size().to_string())
    result = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "ms_per_series": 1e3 * seconds / len(scores),
        "table": table.reset_index(names="segment").to_dict(orient="records"),
        "segments": segments.reset_index().to_dict(orient="records"),
        "quantile_methods": scores.groupby(["rate_bucket", "quantile_method"])
        .size()
        .rename("series")
        .reset_index()
        .to_dict(orient="records"),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str))
    return result


if __name__ == "__main__":
    main()
