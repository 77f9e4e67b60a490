"""Policy configuration and the grouped pandas UDF around optimize_partition."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from chispa import assert_df_equality

from lakehouse_inv.config import ConfigError, load_config
from lakehouse_inv.optimize.config import PoliciesConfig, PolicyConfig
from lakehouse_inv.optimize.distributed import optimize_frame, partition_spec
from lakehouse_inv.optimize.features import policy_inputs
from lakehouse_inv.optimize.partition import optimize_partition
from lakehouse_inv.optimize.step import ordering_partitions
from lakehouse_inv.replenishment.shipments import delivery_day_mask

BASE = {"id": "p", "type": "sQ", "partition_fields": ["store_id", "product_id"]}


def _load(tmp_path, text: str) -> PoliciesConfig:
    (tmp_path / "base").mkdir(exist_ok=True)
    (tmp_path / "base" / "policies.yml").write_text(text)
    return load_config(PoliciesConfig, "policies", tmp_path)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"type": "sS"}, "policies.0.type"),
        ({"optimization_schedule": "every monday"}, "not a valid cron expression: 'every monday'"),
        ({"partition_fields": ["store_id", "aisle"]}, "unknown partition field(s) ['aisle']"),
        ({"partition_fields": ["product_id"]}, "must include store_id"),
        ({"couplings": [{"usage": "peak", "capacity": "storage_volume"}]}, "add it to partition_fields"),
        ({"type": "clsp"}, "must include supplier_id"),
        ({"solver": {"time_limit_s": 0}}, "policies.0.solver.time_limit_s"),
        ({"colour": "red"}, "policies.0.colour"),
        ({"replan": "order_days", "optimization_schedule": "0 2 * * 1"}, "needs an optimization_schedule that fires"),
        ({"replan": "weekly"}, "policies.0.replan"),
    ],
)
def test_bad_policy_config_is_rejected_naming_the_field(tmp_path, policy, message):
    entry = {**BASE, **policy}
    lines = "\n".join(
        f"    {k}: {v!r}" if isinstance(v, str) else f"    {k}: {v}" for k, v in entry.items() if k != "id"
    )
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"policies:\n  - id: p\n{lines}\n")
    assert "policies.yml" in str(err.value) and message in str(err.value)


def test_duplicate_ids_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match=r"duplicate policy id\(s\) \['p'\]"):
        _load(
            tmp_path,
            "policies:\n"
            "  - {id: p, type: sQ, partition_fields: [store_id]}\n"
            "  - {id: p, type: RS, partition_fields: [store_id]}\n",
        )


def test_schedule_fires_on_matching_days():
    weekly = PolicyConfig(**BASE, optimization_schedule="0 2 * * 1")
    assert weekly.fires_on(pd.Timestamp("2025-12-29").date(), weekly.optimization_schedule)  # a Monday
    assert not weekly.fires_on(pd.Timestamp("2025-12-30").date(), weekly.optimization_schedule)


def test_order_days_replan_keeps_the_partitions_that_can_order_or_lack_a_decision_whole(spark):
    """The day test is generate_orders' delivery calendar (an item orders nothing on any other day), per partition:
    P7 (weekly supplier) shares store S2's partition with P3 (every 3 days) and is solved with it on P3's days."""
    every = {"P1": 1, "P3": 3, "P7": 7, "Pn": None}
    items = spark.createDataFrame(
        [(s, p, e, False) for s in ("S1", "S2") for p, e in every.items() if s == "S1" or p in ("P3", "P7")],
        "store_id string, product_id string, delivery_every int, is_perishable boolean",
    )
    keys = "store_id string, product_id string"
    solved = spark.createDataFrame([("S1", p) for p in every] + [("S2", "P3")], keys)
    all_solved = solved.union(spark.createDataFrame([("S2", "P7")], keys))
    per_item = PolicyConfig(id="w", type="ww", partition_fields=["store_id", "product_id"])
    per_store = PolicyConfig(id="w", type="ww", partition_fields=["store_id"])
    first = dt.date(2025, 12, 29)
    calendar = delivery_day_mask(np.array([1, 3, 7, np.nan]), first, 21)  # (days, items) in every's order
    # a day on which P3 and P7 order, one on which only P3 does, one on which neither does
    days = [
        next(d for d in range(21) if (calendar[d][1], calendar[d][2]) == case)
        for case in [(True, True), (True, False), (False, False)]
    ]
    for offset in days:
        day = first + dt.timedelta(days=offset)
        kept = {(r.store_id, r.product_id) for r in ordering_partitions(items, per_item, day, solved).collect()}
        s1 = {("S1", p) for p, ok in zip(every, calendar[offset], strict=True) if ok}
        s2 = {("S2", p) for p, ok in zip(every, calendar[offset], strict=True) if ok and p in ("P3", "P7")}
        assert kept == s1 | s2 | {("S2", "P7")}  # P7 in S2 has no solved decision: kept every day
        stores = ordering_partitions(items, per_store, day, all_solved).groupBy("store_id").count().collect()
        # S1's daily item orders every day; S2's two items are solved together on either one's day, else neither
        expected = {"S1": 4, **({"S2": 2} if calendar[offset][1] or calendar[offset][2] else {})}
        assert {r.store_id: r["count"] for r in stores} == expected


def _items() -> pd.DataFrame:
    rows = []
    for s in ("S1", "S2"):
        for i, a in enumerate([0.5, 3.0, 12.0]):
            rows.append(
                {
                    "store_id": s,
                    "product_id": f"P{i}",
                    "a": a,
                    "L": 2 + i,
                    "h": 0.02,
                    "K": 40.0,
                    "pi": 3.0,
                    "demand_variance": a,
                }
            )
    return pd.DataFrame(rows)


def test_grouped_udf_equals_the_pandas_function_per_partition(spark):
    policy = PolicyConfig(id="sq", type="sQ", partition_fields=["store_id"])
    items = _items()
    expected = pd.concat(
        [
            optimize_partition(g, partition_spec(policy, g, ["store_id", "product_id"]))
            for _, g in items.groupby("store_id")
        ],
        ignore_index=True,
    )
    actual = optimize_frame(spark.createDataFrame(items), policy)
    columns = ["store_id", "product_id", "policy_type", "status", "decision_json", "reorder_point", "order_quantity"]
    assert_df_equality(
        actual.select(columns).orderBy("store_id", "product_id"),
        spark.createDataFrame(expected[columns]).orderBy("store_id", "product_id"),
        ignore_nullable=True,
    )
    assert set(expected["status"]) == {"optimal"}


def test_a_bad_partition_returns_error_rows_and_the_others_still_solve(spark):
    policy = PolicyConfig(id="sq", type="sQ", partition_fields=["store_id"])
    items = _items()
    items.loc[items["store_id"] == "S2", "L"] = -1
    rows = {(r.store_id, r.status) for r in optimize_frame(spark.createDataFrame(items), policy).collect()}
    assert rows == {("S1", "optimal"), ("S2", "error")}


def test_coupled_partition_gets_its_capacity_from_the_group(spark):
    policy = PolicyConfig(
        id="sq",
        type="sQ",
        partition_fields=["store_id", "storage_id"],
        couplings=[{"usage": "peak", "capacity": "storage_volume", "weight": "product_volume"}],
    )
    items = _items().assign(storage_id="ST1", product_volume=1.0)
    loose = optimize_frame(spark.createDataFrame(items.assign(_cap0=1e9)), policy).toPandas()
    tight = optimize_frame(spark.createDataFrame(items.assign(_cap0=40.0)), policy).toPandas()
    peak = lambda df: (df["reorder_point"] + df["order_quantity"]).groupby(df["store_id"]).sum()  # noqa: E731
    assert (peak(tight) <= 40 + 1e-9).all() and (peak(loose) > 40).all()
    assert set(tight["status"]) == {"optimal"}


def test_jrp_rows_from_the_item_inputs_solve_one_model_per_store_and_supplier(spark):
    """The jrp rows builder keeps the shelf life of perishables only and the supplier's shipment columns; the
    grouped UDF gives what the pandas function gives per store x supplier, one review period per partition."""
    policy = PolicyConfig(id="joint", type="jrp", partition_fields=["store_id", "supplier_id"])
    rows = []
    for s in ("S1", "S2"):
        for i, a in enumerate([0.5, 3.0, 12.0, 2.0]):
            rows.append(
                {
                    "store_id": s,
                    "product_id": f"P{i}",
                    "supplier_id": "SUP1" if i < 2 else "SUP2",
                    "storage_id": "ST1",
                    "department_id": "D1",
                    "is_perishable": i == 3,
                    "life": 5 if i == 3 else 0,
                    "a": a,
                    "demand_variance": a * 1.5,
                    "L": 2,
                    "h": 0.02,
                    "K": 1.0,
                    "pi": 3.0,
                    "W": 2.5,
                    "unit_cost": 2.0,
                    "product_volume": 1.0,
                    "max_inventory": 500,
                    "L_ci": 1,
                    "alpha": 0.95,
                    "min_inventory": 0,
                    "shipment_cost": 20.0 if i < 2 else 8.0,
                    "delivery_every": 2 if i < 2 else 1,
                    "min_shipment_volume": math.nan,
                    "max_shipment_volume": 100.0 if i < 2 else math.nan,
                    "max_shipment_value": math.nan,
                }
            )
    items = spark.createDataFrame(pd.DataFrame(rows))
    inputs = policy_inputs(items, None, None, policy, horizon_days=28)
    frame = inputs.toPandas()
    assert frame["life"].isna().tolist() == [i != 3 for _ in ("S1", "S2") for i in range(4)]
    assert set(frame["L"]) == {1}  # the demand lead time of a 2-day lead time
    keys = ["store_id", "product_id", "supplier_id"]
    expected = pd.concat(
        [optimize_partition(g, partition_spec(policy, g, keys)) for _, g in frame.groupby(["store_id", "supplier_id"])],
        ignore_index=True,
    )
    actual = optimize_frame(inputs, policy).toPandas()
    columns = [*keys, "status", "decision_json", "review_period", "order_up_to", "objective"]
    order = ["store_id", "product_id"]
    assert (
        actual[columns]
        .sort_values(order, ignore_index=True)
        .equals(expected[columns].sort_values(order, ignore_index=True))
    )
    assert set(actual["status"]) == {"optimal"}
    assert actual.groupby(["store_id", "supplier_id"])["review_period"].nunique().eq(1).all()


@pytest.mark.parametrize(("policy_type", "expected"), [("RS", [0, 0, 1, 4]), ("sQ", [0, 2, 3, 6])])
def test_order_up_to_levels_plan_with_the_demand_lead_time(spark, policy_type, expected):
    """An order placed after closing arrives before opening L days later, so an order-up-to level lasts L − 1 days
    before its delivery (0 for next-morning delivery, and for a lead time below one day, which counts as one); a
    reorder point, seen again only at the next delivery day's close, covers L + every − 1."""
    policy = PolicyConfig(id="p", type=policy_type, partition_fields=["store_id", "product_id"])
    rows = [
        {
            "store_id": "S1",
            "product_id": f"P{i}",
            "a": 2.0,
            "demand_variance": 2.0,
            "L": L,
            "h": 0.1,
            "K": 1.0,
            "pi": 3.0,
            "delivery_every": every,
        }
        for i, (L, every) in enumerate([(0, 1), (1, 2), (2, 2), (5, 2)])
    ]
    items = spark.createDataFrame(pd.DataFrame(rows))
    frame = policy_inputs(items, None, None, policy, horizon_days=28).toPandas().sort_values("product_id")
    assert frame["L"].tolist() == expected
    if policy_type == "RS":  # with or without a delivery rhythm
        plain = policy_inputs(items.drop("delivery_every"), None, None, policy, horizon_days=28).toPandas()
        assert plain.sort_values("product_id")["L"].tolist() == expected
