"""Metric definitions on hand-built replay rows, periods, and improvement over a baseline."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.evaluate.metrics import compute_metrics, improvement_vs, metrics_by_period, period_bounds

DAY1 = dt.date(2025, 6, 1)


def rows() -> pd.DataFrame:
    """Two items of one store over three days (X sells at price 2, Y at price 1), as replay would emit them."""
    days = [DAY1 + dt.timedelta(days=d) for d in range(3)]
    x = pd.DataFrame(
        {
            "store_id": "S1",
            "sku": "X",
            "date": days,
            "status": "ok",
            "demand": [4, 2, 3],
            "sold": [4, 1, 3],
            "lost": [0, 1, 0],
            "disposed": [0, 0, 1],
            "orders": [1, 0, 1],
            "revenue": [8.0, 2.0, 6.0],
            "unit_days_sold": [6, 2, 3],
            "inventory_value_end": [10.0, 6.0, 8.0],
            "cycles_closed": [0, 1, 1],
            "cycles_with_stockout": [0, 1, 0],
            "holding_cost": [1.0, 0.6, 0.8],
            "ordering_cost": [5.0, 0.0, 5.0],
            "stockout_cost": [0.0, 1.5, 0.0],
            "disposal_cost": [0.0, 0.0, 0.5],
            "purchase_cost": [4.8, 1.2, 3.6],  # sold × unit cost 1.2
        }
    )
    y = x.assign(
        sku="Y",
        demand=[1, 1, 1],
        sold=[1, 1, 0],
        lost=[0, 0, 1],
        disposed=0,
        orders=[1, 0, 0],
        revenue=[1.0, 1.0, 0.0],
        unit_days_sold=[1, 2, 0],
        inventory_value_end=[2.0, 1.0, 0.0],
        cycles_closed=0,
        cycles_with_stockout=0,
        holding_cost=[0.2, 0.1, 0.0],
        ordering_cost=[5.0, 0.0, 0.0],
        stockout_cost=[0.0, 0.0, 1.5],
        disposal_cost=0.0,
        purchase_cost=[0.5, 0.5, 0.0],  # sold × unit cost 0.5
    )
    return pd.concat([x, y], ignore_index=True)


def test_metric_definitions_per_item() -> None:
    x = compute_metrics(rows(), ["store_id", "sku"]).set_index("sku").loc["X"]
    assert x["total_revenue"] == 16.0  # TR = 8 + 2 + 6
    assert x["normalized_revenue"] == pytest.approx(16 / 11)  # NR = TR / (6 + 2 + 3) unit-days
    assert x["stockout_events"] == 1  # NSE = Σ lost
    assert x["average_inventory_value"] == pytest.approx(8.0)  # (10 + 6 + 8) / 3 days
    assert x["turnover_ratio"] == pytest.approx(2.0)  # TOR = 16 / 8
    assert x["fill_rate"] == pytest.approx(8 / 9)
    assert x["cycle_service_level"] == pytest.approx(0.5)  # 1 − 1 stocked-out / 2 closed cycles
    assert x[["holding_cost", "ordering_cost", "stockout_cost", "disposal_cost"]].tolist() == pytest.approx(
        [2.4, 10.0, 1.5, 0.5]
    )
    assert x["total_cost"] == pytest.approx(14.4)
    assert (x["n_days"], x["invalid_rows"]) == (3, 0)


def test_profit_subtracts_purchases_holding_ordering_and_disposal_but_not_missed_sales() -> None:
    metrics = compute_metrics(rows(), ["store_id", "sku"]).set_index("sku")
    # X: 16 revenue − 9.6 purchases of the 8 units sold − 2.4 holding − 10 ordering − 0.5 disposal; the 1.5
    # missed-sale cost is reported (stockout_cost) but not paid
    assert metrics.loc["X", "purchase_cost"] == pytest.approx(9.6)
    assert metrics.loc["X", "profit"] == pytest.approx(16 - 9.6 - 2.4 - 10 - 0.5)
    assert metrics.loc["Y", "profit"] == pytest.approx(2 - 1.0 - 0.3 - 5)  # -4.3
    store = compute_metrics(rows(), ["store_id"]).iloc[0]
    assert store["profit"] == pytest.approx(-6.5 - 4.3)
    base = compute_metrics(rows().assign(revenue=lambda r: r["revenue"] * 2), ["store_id"])  # profit 7.2
    better = improvement_vs(compute_metrics(rows(), ["store_id"]), base, on=["store_id"]).iloc[0]
    # (−10.8 − 7.2) / |7.2|: a loss where the baseline profits is worse, whatever the signs
    assert better["profit_baseline"] == pytest.approx(7.2)
    assert better["profit_improvement"] == pytest.approx((-10.8 - 7.2) / 7.2)


def test_store_level_turnover_uses_the_store_total_inventory_per_day() -> None:
    store = compute_metrics(rows(), ["store_id"]).iloc[0]
    assert store["total_revenue"] == 18.0
    assert store["average_inventory_value"] == pytest.approx((24 + 3) / 3)  # Σ value / 3 days, not / 6 rows
    assert store["turnover_ratio"] == pytest.approx(18 / 9)
    assert store["normalized_revenue"] == pytest.approx(18 / 14)
    assert store["fill_rate"] == pytest.approx(10 / 12)
    # Y closed no cycle: the store's CSL is X's
    assert store["cycle_service_level"] == pytest.approx(0.5)


def test_undefined_ratios_are_nan_not_zero() -> None:
    idle = rows().assign(sold=0, revenue=0.0, unit_days_sold=0, inventory_value_end=0.0, demand=0, cycles_closed=0)
    metrics = compute_metrics(idle, ["sku"])
    for name in ("normalized_revenue", "turnover_ratio", "fill_rate", "cycle_service_level"):
        assert metrics[name].isna().all(), name
    assert (metrics["total_revenue"] == 0).all()


def test_period_filter_keeps_the_dates_in_range() -> None:
    metrics = compute_metrics(rows(), ["sku"], start=DAY1 + dt.timedelta(days=1), end=DAY1 + dt.timedelta(days=2))
    x = metrics.set_index("sku").loc["X"]
    assert (x["n_days"], x["total_revenue"], x["average_inventory_value"]) == (2, 8.0, 7.0)


def test_invalid_rows_are_left_out_and_counted() -> None:
    data = rows()
    y = data["sku"] == "Y"
    data.loc[y, "status"] = "invalid"
    data.loc[y, ["sold", "revenue"]] = np.nan
    metrics = compute_metrics(data, ["store_id"]).iloc[0]
    assert metrics["total_revenue"] == 16.0
    assert metrics["invalid_rows"] == 3
    only_invalid = compute_metrics(data[y], ["sku"]).iloc[0]
    assert np.isnan(only_invalid["total_revenue"]) and only_invalid["n_days"] == 0


def test_period_bounds_end_on_the_as_of_date() -> None:
    as_of = dt.date(2025, 6, 30)
    assert period_bounds("last_week", as_of) == (dt.date(2025, 6, 24), as_of)
    assert period_bounds("last_month", as_of) == (dt.date(2025, 6, 3), as_of)
    assert period_bounds("last_quarter", as_of) == (dt.date(2025, 4, 1), as_of)
    assert period_bounds("horizon", as_of, horizon_days=365) == (dt.date(2024, 7, 1), as_of)
    with pytest.raises(ValueError, match="horizon_days"):
        period_bounds("horizon", as_of)
    with pytest.raises(ValueError, match="unknown period"):
        period_bounds("last_year", as_of)


def test_metrics_by_period_stacks_the_periods() -> None:
    metrics = metrics_by_period(
        rows(), ["sku"], as_of=DAY1 + dt.timedelta(days=2), periods=["last_week", "horizon"], horizon_days=1
    )
    assert list(metrics.columns[:4]) == ["sku", "period", "period_start", "period_end"]
    horizon_x = metrics[(metrics["period"] == "horizon") & (metrics["sku"] == "X")].iloc[0]
    assert (horizon_x["n_days"], horizon_x["total_revenue"]) == (1, 6.0)


def test_improvement_is_positive_when_better_in_either_direction() -> None:
    policy = pd.DataFrame(
        {"store_id": ["S1", "S2"], "policy": "sQ", "total_revenue": [120.0, 0.0], "total_cost": [30.0, 5.0]}
    )
    baseline = pd.DataFrame(
        {"store_id": ["S1", "S2"], "policy": "base", "total_revenue": [100.0, 0.0], "total_cost": [40.0, 0.0]}
    )
    for frame in (policy, baseline):
        for name in (
            "normalized_revenue",
            "turnover_ratio",
            "fill_rate",
            "cycle_service_level",
            "stockout_events",
            "profit",
        ):
            frame[name] = 1.0
        for name in ("holding_cost", "ordering_cost", "stockout_cost", "disposal_cost"):
            frame[name] = 0.0
    result = improvement_vs(policy, baseline, on=["store_id"]).set_index("store_id")
    assert result.loc["S1", "total_revenue_improvement"] == pytest.approx(0.2)  # (120 − 100) / 100
    assert result.loc["S1", "total_cost_improvement"] == pytest.approx(0.25)  # (40 − 30) / 40: lower is better
    assert result.loc["S1", "total_revenue_baseline"] == 100.0
    assert result.loc["S2", "total_revenue_improvement"] == 0.0  # 0 vs 0: no change
    assert np.isnan(result.loc["S2", "total_cost_improvement"])  # 5 vs 0: no finite relative change
    assert result.loc["S1", "policy"] == "sQ"
    with pytest.raises(ValueError, match="several rows"):
        improvement_vs(policy, pd.concat([baseline, baseline]), on=["store_id"])


def test_profit_change_is_never_a_percentage_of_a_loss_or_of_almost_nothing() -> None:
    policy = compute_metrics(rows(), ["store_id"])  # profit −10.8 on revenue 18
    losing = compute_metrics(rows().assign(revenue=lambda r: r["revenue"] * 0.5), ["store_id"])  # profit −19.8
    scored = improvement_vs(policy, losing, on=["store_id"]).iloc[0]
    assert scored["profit"] - scored["profit_baseline"] == pytest.approx(9.0)  # better by 9 in money
    assert np.isnan(scored["profit_improvement"])  # not "+45 %" of a loss
    # a baseline profit of 0.1 on revenue 28.9 (0.35 % of it): too small to divide by
    tiny = compute_metrics(rows().assign(revenue=lambda r: r["revenue"] * (18 + 10.9) / 18), ["store_id"])
    assert tiny["profit"].iloc[0] == pytest.approx(0.1)
    assert np.isnan(improvement_vs(policy, tiny, on=["store_id"]).iloc[0]["profit_improvement"])


def test_the_comparison_table_prints_the_ceiling_gain_captured_and_money_as_share_of_revenue() -> None:
    from lakehouse_inv.evaluate.job import comparison_table

    row = {
        "policy_id": "recommended",
        "items": 120,
        "total_revenue": 100_000.0,
        "normalized_revenue": 0.5,
        "stockout_events": 100.0,
        "turnover_ratio": 5.0,
        "fill_rate": 0.95,
        "cycle_service_level": 0.9,
        "disposed": 50.0,
        "total_cost": 9_000.0,
        "profit": 5_000.0,
        "total_revenue_improvement": 0.01,
        "fill_rate_baseline": 0.96,
        "profit_baseline": -300.0,  # a loss: no percentage of it
        "total_revenue_baseline": 99_000.0,
        "profit_ceiling": 12_000.0,
        "gain_captured": 0.43,
    }
    unsolved = dict(row, policy_id="other", profit_ceiling=None, gain_captured=float("nan"))
    lines = comparison_table(pd.DataFrame([row, unsolved])).splitlines()
    assert "ceiling" in lines[0] and "gain captured" in lines[0] and "% rev" in lines[0]
    cells = lines[2].split()
    assert cells[-5:] == ["+5,300", "n/a", "+5.4%", "12,000", "43.0%"]  # money, % of the loss: n/a, % of revenue
    assert lines[3].split()[-2:] == ["n/a", "n/a"]
