"""The Spark metrics agree with the pandas definitions, and the improvement is measured on the same items."""

from __future__ import annotations

import datetime as dt
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from lakehouse_inv.evaluate.aggregate import ALL_STORES, period_metrics, with_improvement
from lakehouse_inv.evaluate.config import BaselineConfig
from lakehouse_inv.evaluate.inputs import baseline_items, replay_frame
from lakehouse_inv.evaluate.metrics import HIGHER_IS_BETTER, LOWER_IS_BETTER, metrics_by_period, period_bounds
from lakehouse_inv.evaluate.recommend import RECOMMENDED, recommended_items
from lakehouse_inv.optimize.policy_types import DECISION_RULES
from lakehouse_inv.replenishment.replay import replay
from lakehouse_inv.replenishment.rules import attach_rules

AS_OF = dt.date(2025, 3, 31)
START = dt.date(2025, 1, 1)
KEYS = ["policy_id", "store_id", "product_id"]


@pytest.fixture(scope="module")
def replay_rows() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    terms = {
        "L": 2,
        "moq": 4,
        "max_qty": 200,
        "multiple": 2,
        "max_inventory": 120,
        "price": 3.0,
        "unit_cost": 2.0,
        "h": 0.01,
        "K": 5.0,
        "missed_sale_cost": 1.0,
        "disposal_cost": 2.2,
        "a": 4.0,
    }
    items, demand = [], []
    for store in ("S1", "S2"):
        for product, life in (("P1", np.nan), ("P2", 4.0)):
            items.append(
                {
                    "policy_id": "sQ",
                    "store_id": store,
                    "product_id": product,
                    "policy_type": "sQ",
                    "decision_json": '{"s": 8, "Q": 20}',
                    "shelf_life_days": life,
                    **terms,
                }
            )
            items.append(
                {
                    "policy_id": "baseline",
                    "store_id": store,
                    "product_id": product,
                    "policy_type": "days_of_cover",
                    "decision_json": '{"R": 7, "cover_days": 12}',
                    "shelf_life_days": life,
                    **terms,
                }
            )
            days = pd.date_range(START, AS_OF).date
            demand.append(
                pd.DataFrame(
                    {"store_id": store, "product_id": product, "date": days, "requests": rng.poisson(4, len(days))}
                )
            )
    frame = attach_rules(pd.DataFrame(items).assign(period_days=1), rules=DECISION_RULES)
    return replay(frame, pd.concat(demand), start=START, end=AS_OF, key_columns=KEYS)


def test_spark_metrics_equal_the_pandas_definitions(spark, replay_rows):
    horizon = (AS_OF - START).days + 1
    periods = [(p, *period_bounds(p, AS_OF, horizon_days=horizon)) for p in ("last_week", "last_quarter", "horizon")]
    spark_rows = period_metrics(spark.createDataFrame(replay_rows), periods).toPandas()
    expected = metrics_by_period(
        replay_rows, ["policy_id", "store_id"], as_of=AS_OF, periods=[p for p, *_ in periods], horizon_days=horizon
    )
    merged = spark_rows.merge(expected, on=["policy_id", "store_id", "period"], suffixes=("", "_pandas"))
    assert len(merged) == len(expected) == 2 * 2 * 3
    for metric in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER):
        np.testing.assert_allclose(merged[metric], merged[f"{metric}_pandas"], rtol=1e-9, err_msg=metric)
    chain = spark_rows[spark_rows["store_id"] == ALL_STORES]
    assert set(chain["policy_id"]) == {"sQ", "baseline"} and (chain["items"] == 4).all()


def test_improvement_compares_with_the_baseline_on_the_policy_items(spark, replay_rows):
    rows = spark.createDataFrame(
        replay_rows[~((replay_rows["policy_id"] == "sQ") & (replay_rows["product_id"] == "P2"))]
    )
    periods = [("horizon", START, AS_OF)]
    policy_items = rows.select(*KEYS).distinct()
    same_items = rows.where("policy_id = 'baseline'").drop("policy_id").join(policy_items, ["store_id", "product_id"])
    scored = with_improvement(period_metrics(rows, periods), period_metrics(same_items, periods), "baseline").toPandas()
    sq = scored[(scored["policy_id"] == "sQ") & (scored["store_id"] == ALL_STORES)].iloc[0]
    base_p1 = replay_rows[(replay_rows["policy_id"] == "baseline") & (replay_rows["product_id"] == "P1")]
    assert sq["items"] == 2
    assert sq["total_revenue_baseline"] == pytest.approx(base_p1["revenue"].sum())
    assert sq["total_revenue_improvement"] == pytest.approx(
        (sq["total_revenue"] - base_p1["revenue"].sum()) / base_p1["revenue"].sum()
    )
    assert sq["total_cost_improvement"] == pytest.approx(
        (sq["total_cost_baseline"] - sq["total_cost"]) / sq["total_cost_baseline"]
    )
    assert sq["profit_improvement"] == pytest.approx(
        (sq["profit"] - sq["profit_baseline"]) / abs(sq["profit_baseline"])
    )


def test_service_cover_baseline_reads_service_level_shelf_life_and_variability(spark):
    terms = spark.createDataFrame(
        [("S1", "P1", 4.0, 6.0, 0.99, 3, 10.0), ("S1", "P2", 2.0, 2.0, None, 12, None)],
        "store_id string, product_id string, a double, demand_variance double, service_level double, L int, "
        "shelf_life_days double",
    )
    config = BaselineConfig(id="baseline", rule="service_cover", default_service_level=0.9)
    items = baseline_items(terms, config).toPandas().sort_values("product_id").reset_index(drop=True)
    rules = attach_rules(items)
    assert rules["rule_kind"].tolist() == ["service_cover", "service_cover"]
    perishable, lasting = rules.iloc[0], rules.iloc[1]
    # P1: shelf life 10 → reviews every min(7, 5) days, z = Φ⁻¹(0.99); P2: no shelf life, default level 0.9
    assert (perishable["review_period"], perishable["cover_days"], perishable["sell_within_days"]) == (5, 8, 10)
    assert perishable["safety_z"] == pytest.approx(NormalDist().inv_cdf(0.99))
    assert perishable["prior_daily_variance"] == 6.0 and perishable["lead_days"] == 3
    assert (lasting["review_period"], lasting["cover_days"]) == (7, 7 + 12)
    assert lasting["safety_z"] == pytest.approx(NormalDist().inv_cdf(0.9)) and np.isnan(lasting["sell_within_days"])


def test_segments_split_every_store_and_the_chain(spark, replay_rows):
    segment = np.where(replay_rows["product_id"] == "P2", "perishable", "non_perishable")
    rows = spark.createDataFrame(replay_rows.assign(segment=segment))
    scored = (
        period_metrics(rows, [("horizon", START, AS_OF)])
        .toPandas()
        .set_index(["policy_id", "store_id", "segment"])
        .sort_index()
    )
    for store in ("S1", "S2", ALL_STORES):
        assert {s for p, st, s in scored.index if st == store} == {"all", "perishable", "non_perishable"}
    whole, parts = scored.loc[("sQ", ALL_STORES, "all")], scored.loc[("sQ", ALL_STORES)].drop("all")
    assert whole["profit"] == pytest.approx(parts["profit"].sum())
    perishable = replay_rows[(replay_rows["policy_id"] == "sQ") & (replay_rows["product_id"] == "P2")]
    cell = scored.loc[("sQ", ALL_STORES, "perishable")]
    revenue = perishable["revenue"].sum()
    assert cell["gross_margin"] == pytest.approx((revenue - perishable["purchase_cost"].sum()) / revenue)
    assert cell["waste_rate"] == pytest.approx(perishable["disposed"].sum() / perishable["received"].sum())
    assert cell["ordering_cost_share"] == pytest.approx(perishable["ordering_cost"].sum() / revenue)
    assert scored.loc[("sQ", ALL_STORES, "non_perishable"), "waste_rate"] == 0


def test_gain_captured_is_the_share_of_the_gap_to_the_ceiling_and_null_with_a_reason(spark):
    from chispa import assert_df_equality

    from lakehouse_inv.evaluate.gain import with_ceiling

    key = "policy_id string, store_id string, segment string, period string"
    metrics = spark.createDataFrame(
        [
            ("sQ", "ALL", "all", "horizon", 130.0, 100.0, 1000.0, 1000.0),  # 30 of the 60 to gain
            ("baseline", "ALL", "all", "horizon", 100.0, 100.0, 1000.0, 1000.0),  # the baseline itself: 0
            ("sQ", "S1", "all", "horizon", 50.0, 48.0, 1000.0, 1000.0),  # ceiling 51: 3 < 0.5 % of revenue
            ("sQ", "S2", "all", "horizon", 80.0, 40.0, 1000.0, 1000.0),  # above its ceiling 70: a defect
            ("recommended", "S2", "all", "horizon", 80.0, 40.0, 1000.0, 1000.0),  # a replay too: a defect
            ("sQ", "S3", "all", "horizon", 80.0, 40.0, 1000.0, 1000.0),  # no ceiling
            ("sQ", "S4", "all", "horizon", 80.0, 40.0, 1000.0, 1000.0),  # a dual bound
        ],
        f"{key}, profit double, profit_baseline double, total_revenue double, total_revenue_baseline double",
    )
    ceilings = spark.createDataFrame(
        [
            ("sQ", "ALL", "all", "horizon", 160.0, "optimal"),
            ("baseline", "ALL", "all", "horizon", 160.0, "optimal"),
            ("sQ", "S1", "all", "horizon", 51.0, "optimal"),
            ("sQ", "S2", "all", "horizon", 70.0, "optimal"),
            ("recommended", "S2", "all", "horizon", 70.0, "optimal"),
            ("sQ", "S3", "all", "horizon", None, "error"),
            ("sQ", "S4", "all", "horizon", 140.0, "bound, optimal"),
        ],
        f"{key}, profit_ceiling double, ceiling_status string",
    )
    out = with_ceiling(metrics, ceilings).select("policy_id", "store_id", "gain_captured", "ceiling_note")
    expected = spark.createDataFrame(
        [
            ("sQ", "ALL", 0.5, None),
            ("baseline", "ALL", 0.0, None),
            ("sQ", "S1", None, "no gain to capture: the baseline is within 0.5 % of revenue of the ceiling"),
            ("sQ", "S2", 40.0 / 30.0, "defect: profit above the ceiling"),
            ("recommended", "S2", 40.0 / 30.0, "defect: profit above the ceiling"),
            ("sQ", "S3", None, "no ceiling: error"),
            (
                "sQ",
                "S4",
                0.4,
                "ceiling is an upper bound, not a proven optimum (bound, optimal): the gain captured is understated, "
                "never overstated",
            ),
        ],
        "policy_id string, store_id string, gain_captured double, ceiling_note string",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_the_recommended_portfolio_ships_the_lines_of_a_store_and_supplier_together(spark):
    """P1 is recommended under ``every2`` (orders every other day), P2 under ``daily``. Each policy's own replay
    shares a truck (10 per shipment) between P1 and P2; replayed as one set, the portfolio pays one truck on each
    day either line orders: 5 each on the days both order, 10 for P2 alone on the others. (Rows borrowed from the
    two replays would charge P2 only 5 on the days it ships alone: half a truck nobody pays for.)"""
    days = 6
    terms = {"L": 1, "moq": 1, "max_qty": 100, "multiple": 1, "max_inventory": 100, "price": 3.0, "unit_cost": 2.0}
    terms |= {"h": 0.0, "K": 0.0, "missed_sale_cost": 0.0, "disposal_cost": 0.0, "a": 4.0, "shelf_life_days": None}
    terms |= {"shipment_group": "S1/SUP1", "shipment_cost": 10.0, "freight": 0.0, "delivery_every": 1.0}
    rules = {"every2": '{"R": 2, "cover_days": 4}', "daily": '{"R": 1, "cover_days": 2}'}
    items = pd.DataFrame(
        [
            {"policy_id": policy, "store_id": "S1", "product_id": product, "policy_type": "days_of_cover"}
            | {"decision_json": rule, "period_days": 1, **terms}
            for policy, rule in rules.items()
            for product in ("P1", "P2")
        ]
    )
    demand = pd.DataFrame(
        [("S1", p, START + dt.timedelta(days=d), 4.0) for p in ("P1", "P2") for d in range(days)],
        columns=["store_id", "product_id", "date", "requests"],
    )
    chosen = spark.createDataFrame(
        [("every2", "S1", "P1"), ("daily", "S1", "P2")], "policy_id string, store_id string, product_id string"
    )
    end = START + dt.timedelta(days=days - 1)
    portfolio = replay_frame(
        recommended_items(spark.createDataFrame(items), chosen), spark.createDataFrame(demand), START, end
    ).toPandas()
    assert set(portfolio["policy_id"]) == {RECOMMENDED} and len(portfolio) == 2 * days
    cost = portfolio.pivot(index="date", columns="product_id", values="ordering_cost")
    ordered = portfolio.pivot(index="date", columns="product_id", values="ordered") > 0
    both, p2_alone = ordered["P1"] & ordered["P2"], ordered["P2"] & ~ordered["P1"]
    assert both.any() and p2_alone.any()
    assert (cost.loc[both, "P1"] == 5.0).all() and (cost.loc[both, "P2"] == 5.0).all()
    assert (cost.loc[p2_alone, "P2"] == 10.0).all()
    assert (cost.sum(axis=1)[ordered.any(axis=1)] == 10.0).all()


def test_period_metrics_equal_one_cube_over_the_item_days(spark, replay_rows):
    """The staged aggregation (per policy x store x segment x day, then per period, then the cube of those rows)
    gives what one cube over the item-day rows of each period gives, the chain's item and day counts included, when
    stores cover different days and the periods overlap."""
    from pyspark.sql import functions as F

    from lakehouse_inv.evaluate.aggregate import GROUP, SUMS
    from lakehouse_inv.lakehouse.numeric import exact_sum

    frame = replay_rows.assign(segment=np.where(replay_rows["product_id"] == "P2", "perishable", "non_perishable"))
    gaps = (frame["store_id"] == "S2") & (pd.to_datetime(frame["date"]).dt.day <= 3)
    frame = frame[~gaps].copy()  # S2 has no rows on the first days of each month: the chain's days are S1's
    frame.loc[frame.index[::17], "status"] = "invalid"
    rows = spark.createDataFrame(frame).repartition(5)
    periods = [("last_week", dt.date(2025, 3, 25), AS_OF), ("horizon", START, AS_OF)]
    got = period_metrics(rows, periods).toPandas()
    for name, start, end in periods:
        window = rows.where((F.col("status") == "ok") & F.col("date").between(F.lit(start), F.lit(end)))
        reference = (
            window.cube(*GROUP)
            .agg(
                F.countDistinct("store_id", "product_id").alias("items"),
                F.countDistinct("date").alias("n_days"),
                *[exact_sum(c).alias(c) for c in SUMS],
                *[F.grouping(c).alias(f"_all_{c}") for c in GROUP],
            )
            .where("_all_policy_id = 0")
            .toPandas()
        )
        reference["store_id"] = reference["store_id"].where(reference["_all_store_id"] == 0, ALL_STORES)
        reference["segment"] = reference["segment"].where(reference["_all_segment"] == 0, "all")
        mine = got[got["period"] == name].merge(reference, on=GROUP, suffixes=("", "_ref"))
        assert len(mine) == len(reference) == len(got[got["period"] == name]) == 2 * 3 * 3
        assert (mine["items"] == mine["items_ref"]).all() and (mine["n_days"] == mine["n_days_ref"]).all()
        for column, ref in (("demand", "demand_ref"), ("sold", "sold_ref"), ("disposed", "disposed_ref")):
            assert (mine[column] == mine[ref]).all(), column
        assert (mine["total_revenue"] == mine["revenue"]).all()
    chain = got[(got["store_id"] == ALL_STORES) & (got["segment"] == "all") & (got["period"] == "horizon")]
    assert (chain["n_days"] == (AS_OF - START).days + 1).all() and (chain["items"] == 4).all()
