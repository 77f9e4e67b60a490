"""Refit on drift: which series get a full model selection at this forecast run, and which refit the model
they chose last time.

Full selection runs for every series on schedule days (``refit.selection_every_days``, counted on the date's
ordinal, 1 = every run). In between, a series refits only the candidate(s) of its latest published forecast
(an average re-chooses among its members and their average) - unless the latest ``gold.forecast_drift``
before this run flagged it as drifted: then it gets a full selection whatever the schedule says. Series
without a usable previous model (new, fallback) are always selected in full. The reasons go to MLflow with
the forecast run.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import reduce

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.forecast.candidates import candidate_of_label
from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.distributed import forecast_frame

KEYS = ["store_id", "product_id"]
SCHEDULE, DRIFT, KEPT, NO_MODEL = "schedule", "drift", "kept", "no_previous_model"
# series are forecast per product (all its stores in one pandas call), so sparse ones can pool (forecast.pooling)
GROUP = "product_id"
PLAN_COLUMNS = [*KEYS, "pinned", "reason"]


def selection_due(as_of: dt.date, every_days: int) -> bool:
    return as_of.toordinal() % every_days == 0


def used_candidates(model: str | None, model_params: str | None, allowed: list[str]) -> str | None:
    """The candidate(s) a published forecast used, ``+``-joined and sorted; None when it cannot be reused."""
    try:
        members = sorted((json.loads(model_params or "{}") or {}).get("members") or {})
    except (ValueError, AttributeError):
        members = []
    if not members:
        members = [name] if (name := candidate_of_label(model)) else []
    if not members or any(m not in allowed for m in members):
        return None
    return "+".join(members)


def selection_plan(
    previous: pd.DataFrame, drifted: pd.DataFrame, *, as_of: dt.date, every_days: int, candidates: list[str]
) -> pd.DataFrame:
    """One row per previously forecast series (``previous``: keys, model, model_params): ``pinned`` candidates
    (None = full selection) and the ``reason``. Series absent from ``previous`` get a full selection."""
    plan = previous[KEYS].copy()
    used = zip(previous["model"], previous["model_params"], strict=True)
    plan["pinned"] = [used_candidates(model, params, candidates) for model, params in used]
    flagged = plan.merge(drifted[KEYS].drop_duplicates().assign(_drift=True), on=KEYS, how="left")["_drift"]
    plan["reason"] = KEPT
    plan.loc[plan["pinned"].isna(), "reason"] = NO_MODEL
    if selection_due(as_of, every_days):
        plan["reason"] = SCHEDULE
    plan.loc[flagged.fillna(False).astype(bool).to_numpy(), "reason"] = DRIFT
    plan.loc[plan["reason"] != KEPT, "pinned"] = None
    return plan[PLAN_COLUMNS].sort_values(KEYS, ignore_index=True)


def pinned_config(config: ForecastConfig, pinned: str) -> ForecastConfig:
    """The forecast configuration that only refits ``pinned`` (an average: its members and their average)."""
    members = pinned.split("+")
    selection = config.selection.model_copy(update={"combine": len(members) if len(members) > 1 else 0})
    return config.model_copy(update={"candidates": members, "selection": selection})


def _latest_before(frame: DataFrame, as_of: dt.date) -> DataFrame:
    earlier = frame.where(F.col("as_of") < F.lit(as_of))
    latest = earlier.agg(F.max("as_of")).first()[0]
    return earlier.where(F.col("as_of") == F.lit(latest)) if latest else earlier.limit(0)


def plan_for_run(
    forecasts: DataFrame | None, drift: DataFrame | None, *, as_of: dt.date, every_days: int, candidates: list[str]
) -> pd.DataFrame:
    """:func:`selection_plan` from gold.demand_forecast and gold.forecast_drift (both before ``as_of``)."""
    empty = pd.DataFrame(columns=[*KEYS, "model", "model_params"])
    previous = (
        empty
        if forecasts is None
        else _latest_before(forecasts, as_of).where("horizon_day = 1").select(*KEYS, "model", "model_params").toPandas()
    )
    drifted = (
        pd.DataFrame(columns=KEYS)
        if drift is None
        else _latest_before(drift, as_of)
        .where("level = 'series' AND drifted")
        .select(*KEYS[:1], "subject_id")
        .toPandas()
    ).rename(columns={"subject_id": "product_id"})
    return selection_plan(previous, drifted, as_of=as_of, every_days=every_days, candidates=candidates)


def forecast_by_plan(history: DataFrame, plan: pd.DataFrame, *, config: ForecastConfig, as_of: dt.date) -> DataFrame:
    """Forecast every series of ``history``: pinned series refit their candidates, all others select in full."""
    pinned = plan.dropna(subset=["pinned"])
    if pinned.empty:
        return forecast_frame(history, key_cols=KEYS, config=config, as_of=as_of, group_col=GROUP)
    spark = history.sparkSession
    keys = spark.createDataFrame(pinned[[*KEYS, "pinned"]], "store_id string, product_id string, pinned string")
    frames = [
        forecast_frame(
            history.join(F.broadcast(keys.where(F.col("pinned") == name).drop("pinned")), KEYS, "left_semi"),
            key_cols=KEYS,
            config=pinned_config(config, name),
            as_of=as_of,
            group_col=GROUP,
        )
        for name in sorted(pinned["pinned"].unique())
    ]
    full = history.join(F.broadcast(keys.drop("pinned")), KEYS, "left_anti")
    frames.append(forecast_frame(full, key_cols=KEYS, config=config, as_of=as_of, group_col=GROUP))
    return reduce(DataFrame.unionByName, frames)


def plan_metrics(plan: pd.DataFrame) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """MLflow metrics (series per reason) and the table of series re-selected because they drifted."""
    counts = plan["reason"].value_counts()
    metrics = {
        f"series_selection_{reason}": float(counts.get(reason, 0)) for reason in (SCHEDULE, DRIFT, KEPT, NO_MODEL)
    }
    return metrics, {"reselected_on_drift": plan[plan["reason"] == DRIFT][[*KEYS, "reason"]]}
