"""Quantile methods chosen per segment by scaled pinball loss with coverage as a constraint (no Spark)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lakehouse_inv.forecast.config import ForecastConfig
from lakehouse_inv.forecast.distribution import CountDistribution
from lakehouse_inv.forecast.pooling import forecast_group
from lakehouse_inv.forecast.quantile_methods import (
    CALIBRATED,
    CONFORMAL,
    DISTRIBUTION,
    Score,
    choose,
    level_map,
    pit_bounds,
)
from lakehouse_inv.forecast.series import forecast_series
from lakehouse_inv.forecast.synthetic import simulate_retail_panel

ORDER = (DISTRIBUTION, CALIBRATED, CONFORMAL)


def test_the_lowest_pinball_among_honest_methods_wins_and_under_coverage_disqualifies() -> None:
    scores = {
        DISTRIBUTION: Score(loss=25.0, covered=93, days=100),  # over-covers (discrete counts): still honest
        CALIBRATED: Score(loss=28.0, covered=80, days=100),
        CONFORMAL: Score(loss=20.0, covered=70, days=100),  # tighter but under-covers: not eligible
    }
    assert choose(scores, 0.78, ORDER) == DISTRIBUTION
    assert choose(scores, 0.78, ORDER, min_days=101) == DISTRIBUTION  # too little evidence: the first method
    assert choose(scores | {CALIBRATED: Score(24.0, 80, 100)}, 0.78, ORDER) == CALIBRATED
    assert (
        choose({m: Score(1.0, 50 + 10 * i, 100) for i, m in enumerate(ORDER)}, 0.78, ORDER) == CONFORMAL
    )  # best covering


def test_conformal_levels_stay_nominal_for_an_honest_model_and_widen_for_an_overconfident_one() -> None:
    rng = np.random.default_rng(0)
    mean = np.full(4000, 6.0)
    honest = level_map(*pit_bounds(rng.poisson(mean), mean, CountDistribution("poisson")))
    assert honest.levels([0.1, 0.5, 0.9]) == pytest.approx([0.1, 0.5, 0.9], abs=0.02)
    spread = rng.negative_binomial(2.0, 2.0 / 8.0, 4000)  # mean 6, variance 24
    widened = level_map(*pit_bounds(spread, mean, CountDistribution("poisson"))).levels([0.1, 0.9])
    assert widened[0] < 0.05 and widened[1] > 0.95


@pytest.fixture(scope="module")
def sparse_group():
    panel = simulate_retail_panel(n_dense=0, n_sparse=24, n_days=420, seed=3)
    cut = panel["date"].max() - np.timedelta64(28, "D")
    return panel.assign(group_id="g"), cut


def _held_out(panel, cut, out) -> tuple[float, float]:
    """Scaled pinball (mean of p10/p50/p90 over series) and coverage on the 28 days after ``cut``."""
    losses, covered = [], []
    for series_id, rows in panel.groupby("series_id"):
        y = rows.loc[rows["date"] > cut, "demand"].to_numpy()
        past = rows.loc[rows["date"] <= cut, "demand"].to_numpy()
        mad = np.mean(np.abs(np.diff(past[np.flatnonzero(past)[0] :])))
        q = out[out["series_id"] == series_id][["p10", "p50", "p90"]].to_numpy()
        diff = y[:, None] - q
        levels = np.array([0.1, 0.5, 0.9])
        losses.append(np.maximum(levels * diff, (levels - 1) * diff).mean() / mad)
        covered.append(np.mean((y >= q[:, 0]) & (y <= q[:, 2])))
    return float(np.mean(losses)), float(np.mean(covered))


def test_a_group_publishes_one_method_per_segment_and_beats_the_per_series_calibration(sparse_group) -> None:
    panel, cut = sparse_group
    columns = ["series_id", "group_id", "date", "demand"]
    past = panel.loc[panel["date"] <= cut, columns]
    run = {
        methods: forecast_group(
            past,
            config=ForecastConfig(distribution={"quantile_methods": list(methods)}),
            key_cols=["series_id"],
            group_col="group_id",
            as_of=cut.date(),
        )
        for methods in (ORDER, (CALIBRATED,))
    }
    chosen = run[ORDER].groupby("series_id")["model_params"].first().map(lambda p: json.loads(p).get("quantiles"))
    by_segment = {}
    for described in chosen.dropna():
        by_segment.setdefault(described["segment"], set()).add(described["method"])
        assert set(described["scores"]) in ({*ORDER}, set())  # scored, or too little evidence to choose by
        if not described["scores"]:
            assert described["method"] == DISTRIBUTION
    assert by_segment and all(len(methods) == 1 for methods in by_segment.values())
    assert any(d["scores"] for d in chosen.dropna())  # at least one segment had the evidence to choose
    selected, calibrated = _held_out(panel, cut, run[ORDER]), _held_out(panel, cut, run[(CALIBRATED,)])
    assert selected[0] < calibrated[0]  # a proper score: the selection never pays for coverage with pinball
    assert selected[1] >= 0.78


def test_a_series_alone_publishes_the_distributions_own_quantiles(sparse_group) -> None:
    panel, cut = sparse_group
    rows = panel.loc[(panel["series_id"] == panel["series_id"].iloc[0]) & (panel["date"] <= cut)]
    config = ForecastConfig()
    out = forecast_series(
        rows[["series_id", "date", "demand"]], config=config, key_cols=["series_id"], as_of=cut.date()
    )
    nominal = ForecastConfig(distribution={"quantile_methods": ["distribution"]})
    alone = forecast_series(
        rows[["series_id", "date", "demand"]], config=nominal, key_cols=["series_id"], as_of=cut.date()
    )
    assert json.loads(out["model_params"].iloc[0])["quantiles"]["method"] == DISTRIBUTION
    assert out[["p10", "p50", "p90"]].equals(alone[["p10", "p50", "p90"]])
