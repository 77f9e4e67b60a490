"""Quantile methods chosen per segment by scaled pinball loss with coverage as a constraint (no Spark)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

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
    paired_noise,
    pit_bounds,
)
from lakehouse_inv.forecast.series import forecast_series
from support.synthetic import simulate_retail_panel

ORDER = (DISTRIBUTION, CALIBRATED, CONFORMAL)


def test_the_lowest_pinball_among_honest_methods_wins_and_under_coverage_disqualifies() -> None:
    scores = {
        DISTRIBUTION: Score(loss=25.0, covered=93, days=100, split_covered=80),  # closed band of counts holds more
        CALIBRATED: Score(loss=28.0, covered=80, days=100, split_covered=79),
        CONFORMAL: Score(loss=20.0, covered=85, days=100, split_covered=70),  # under-covers once ties are split
    }
    assert choose(scores, 0.78, ORDER) == DISTRIBUTION
    assert choose(scores, 0.78, ORDER, min_days=101) == DISTRIBUTION  # too little evidence: the first method
    assert choose(scores | {CALIBRATED: Score(24.0, 80, 100, 80)}, 0.78, ORDER) == CALIBRATED
    assert (
        choose({m: Score(1.0, 99, 100, 50 + 10 * i) for i, m in enumerate(ORDER)}, 0.78, ORDER) == CONFORMAL
    )  # best covering with ties split


def test_a_lead_within_the_noise_of_the_series_keeps_the_first_method() -> None:
    """Four series of 100 days each; the challenger's lead is 0.01 a day on the pooled days. When the series disagree
    (two gain 0.05, two lose 0.03) that is noise and the first method stays; when they all gain alike it switches."""
    first = [Score(loss=30.0, covered=80, days=100, split_covered=80) for _ in range(4)]
    mixed = [Score(30.0 + d, 80, 100, 80) for d in (-5.0, -5.0, 3.0, 3.0)]
    alike = [Score(29.0, 80, 100, 80) for _ in range(4)]
    assert paired_noise(first, alike) == pytest.approx(0.0)
    assert paired_noise(first, mixed) == pytest.approx(np.sqrt(4 / 3 * 4 * 4.0**2) / 400)
    for other, expected in ((mixed, DISTRIBUTION), (alike, CONFORMAL)):
        totals = {DISTRIBUTION: sum(first[1:], first[0]), CONFORMAL: sum(other[1:], other[0])}
        noise = {CONFORMAL: paired_noise(first, other)}
        assert choose(totals, 0.78, ORDER, noise=noise, switch_z=2.0) == expected
        assert choose(totals, 0.78, ORDER) == CONFORMAL  # without the noise rule the lower loss always wins
    assert paired_noise(first[:1], alike[:1]) == np.inf  # one series: no spread to judge by


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


SMALL_GBM = {"enabled": True, "min_series": 5, "train_origins": 6, "n_estimators": 20, "min_child_samples": 20}


def test_the_global_model_is_deterministic_and_forecasts_each_series_own_level(sparse_group) -> None:
    from lakehouse_inv.forecast.config import GlobalModelConfig
    from lakehouse_inv.forecast.global_model import global_candidate
    from lakehouse_inv.forecast.history import prepare_history

    panel, cut = sparse_group
    histories = [
        prepare_history(rows[["date", "demand"]], as_of=cut.date(), history_days=730, horizon=28)
        for _, rows in panel[panel["date"] <= cut].groupby("series_id", sort=True)
    ]
    options = GlobalModelConfig(**SMALL_GBM)
    first = global_candidate(histories, horizon=28, levels=[0.1, 0.5, 0.9], config=options)
    again = global_candidate(histories, horizon=28, levels=[0.1, 0.5, 0.9], config=options)
    assert all(np.array_equal(a, b) for a, b in zip(first.mean, again.mean, strict=True))
    for mean, quantiles in zip(first.mean, first.quantiles, strict=True):
        assert mean.shape == (28,) and (mean >= 0).all() and quantiles.shape == (28, 3)
        assert (np.diff(quantiles, axis=1) >= 0).all()
    recent = np.array([h.demand[-84:].mean() for h in histories])
    forecast = np.array([m.mean() for m in first.mean])
    assert np.corrcoef(recent, forecast)[0, 1] > 0.8  # one model, each series at its own level


def test_a_group_with_the_global_model_keeps_valid_rows_and_records_where_it_replaced(sparse_group) -> None:
    panel, cut = sparse_group
    past = panel.loc[panel["date"] <= cut, ["series_id", "group_id", "date", "demand"]]
    config = ForecastConfig(global_model=SMALL_GBM, distribution={"min_pooled_days": 100})
    out = forecast_group(past, config=config, key_cols=["series_id"], group_col="group_id", as_of=cut.date())
    assert len(out) == 24 * config.horizon and (out["mean"] >= 0).all()
    assert ((out["p10"] <= out["p50"]) & (out["p50"] <= out["p90"])).all()
    replaced = out[out["model"] == "global_gbm"].groupby("series_id")["model_params"].first().map(json.loads)
    for params in replaced:
        scores = params["global_model"]["scores"]
        assert scores["global_gbm"]["pinball"] < scores["per_series"]["pinball"]
        assert scores["global_gbm"]["pit_coverage"] >= config.distribution.coverage_min


def test_a_segment_where_the_global_model_wins_on_the_last_days_publishes_its_forecasts(sparse_group, monkeypatch):
    """The orchestration alone: a stand-in global model that knew the evaluation days wins every segment with enough
    evidence, and its final forecasts (and quantiles) replace those series' per-series ones."""
    import lakehouse_inv.forecast.global_model as global_model

    def stand_in(histories, *, horizon, levels, config, holdout=0):
        if holdout:  # the evaluation: exactly the days it is scored on
            quantiles = [np.repeat(h.demand[-holdout:, None], len(levels), axis=1).astype(np.int64) for h in histories]
            quantiles = [np.vstack([q, np.zeros((horizon - holdout, len(levels)), np.int64)]) for q in quantiles]
        else:
            quantiles = [np.tile(np.arange(len(levels)), (horizon, 1)) for _ in histories]
        return global_model.GlobalForecasts([np.full(horizon, 0.5) for _ in histories], quantiles, 0.0)

    monkeypatch.setattr(global_model, "global_candidate", stand_in)
    panel, cut = sparse_group
    past = panel.loc[panel["date"] <= cut, ["series_id", "group_id", "date", "demand"]]
    config = ForecastConfig(global_model=SMALL_GBM, distribution={"min_pooled_days": 100})
    out = forecast_group(past, config=config, key_cols=["series_id"], group_col="group_id", as_of=cut.date())
    replaced = out[out["model"] == "global_gbm"]
    assert replaced["series_id"].nunique() >= 10
    assert (replaced["mean"] == 0.5).all() and (replaced[["p10", "p50", "p90"]].to_numpy() == [0, 1, 2]).all()
    for params in replaced.groupby("series_id")["model_params"].first().map(json.loads):
        scores = params["global_model"]["scores"]
        assert scores["global_gbm"]["pinball"] == 0 and scores["per_series"]["pinball"] > 0
    off = forecast_group(past, config=ForecastConfig(), key_cols=["series_id"], group_col="group_id", as_of=cut.date())
    assert not (off["model"] == "global_gbm").any()


def test_a_conformal_band_splits_its_edge_ties_at_the_levels_it_was_drawn_at() -> None:
    """Pooled PITs spread twice as wide as the model says: the conformal levels move outwards, the band is drawn
    there, and a count on an edge is split at those levels, not the nominal ones."""
    from lakehouse_inv.forecast.engine import SeriesForecast
    from lakehouse_inv.forecast.quantile_methods import PIT_GRID, LevelMap

    share = np.interp(PIT_GRID, [0, 0.1, 0.9, 1], [0, 0.2, 0.8, 1])  # 20% of days below the model's p10
    forecast = SeriesForecast(
        np.full(5, 6.0), CountDistribution("poisson"), "m", {}, quantile_method=CONFORMAL, level_map=LevelMap(share)
    )
    low, high = forecast.band_levels()
    assert (low, high) == pytest.approx(tuple(LevelMap(share).levels([0.1, 0.9])))
    assert (low, high) == pytest.approx((0.05, 0.95))
    bounds = forecast.quantiles([0.1, 0.9], 0.8)
    y = bounds[:, 0].astype(float)  # every day on the lower edge
    inside = forecast.split_inside(y, bounds[:, 0], bounds[:, 1])
    below, at = stats.poisson.cdf(y - 1, 6.0), stats.poisson.cdf(y, 6.0)
    assert inside == pytest.approx((at - np.maximum(below, low)) / (at - below))
    nominal = SeriesForecast(np.full(5, 6.0), CountDistribution("poisson"), "m", {})
    assert nominal.band_levels() == pytest.approx((0.1, 0.9))
