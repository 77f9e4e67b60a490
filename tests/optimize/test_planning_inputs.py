"""What the policies plan with: the cost of an order line as the replay charges shipments, and the inputs of each
objective (profit or cost, service level as a floor or a penalty)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from lakehouse_inv.optimize.config import PolicyConfig
from lakehouse_inv.optimize.features import line_cost, planning_inputs


def test_a_line_costs_the_shipment_only_when_no_other_line_would_bring_the_truck(spark) -> None:
    rows = [
        ("S1", "V1", 1, 100.0, 2.0),  # P(the other line sells nothing in a day) = e^-1.5
        ("S1", "V1", 1, 100.0, 1.5),  # and e^-2
        ("S1", "V2", 7, 80.0, 0.3),  # V2's only line in S1: it alone makes the truck come
        ("S2", "V1", 1, 100.0, 0.0),  # a line that never sells, with a seller: e^-0.4
        ("S2", "V1", 1, 100.0, 0.4),
    ]
    frame = spark.createDataFrame(
        rows, "store_id string, supplier_id string, delivery_every int, shipping_cost double, a double"
    )
    got = sorted((r.store_id, r.supplier_id, r.a, r.K) for r in frame.withColumn("K", line_cost([])).collect())
    assert [k for *_, k in got] == pytest.approx(
        [100 * math.exp(-2.0), 100 * math.exp(-1.5), 80.0, 100 * math.exp(-0.4), 100.0]
    )


def test_a_line_whose_truck_always_comes_costs_nothing(spark) -> None:
    """exp(−7 × 9) ≈ 4e-28 of a shipment is 0, not a magnitude the solvers reject as a unit error."""
    frame = spark.createDataFrame(
        [("S1", "V1", 7, 50.0, 9.0), ("S1", "V1", 7, 50.0, 0.5)],
        "store_id string, supplier_id string, delivery_every int, shipping_cost double, a double",
    )
    K = {r.a: r.K for r in frame.withColumn("K", line_cost([])).collect()}
    assert K[0.5] == 0.0 and K[9.0] == pytest.approx(50 * math.exp(-3.5), abs=1e-6)


def test_a_weekly_supplier_waits_a_week_for_the_other_lines_to_sell(spark) -> None:
    frame = spark.createDataFrame(
        [("S1", "V1", 7, 50.0, 0.1), ("S1", "V1", 7, 50.0, 0.05)],
        "store_id string, supplier_id string, delivery_every int, shipping_cost double, a double",
    )
    K = {r.a: r.K for r in frame.withColumn("K", line_cost([])).collect()}
    assert pytest.approx({0.1: 50 * math.exp(-7 * 0.05), 0.05: 50 * math.exp(-7 * 0.1)}) == K


@pytest.mark.parametrize(
    "objective, service_level, pi, alpha",
    [("profit", "floor", 0.97, 0.95), ("profit", "penalty", 0.97 + 1.2, None), ("cost", "floor", 1.2, 0.95)],
)
def test_planning_inputs_per_objective(spark, objective, service_level, pi, alpha) -> None:
    items = spark.createDataFrame(
        [("S1", "P1", 0.97, 1.2, 0.95, 2.2, 0.03)],
        "store_id string, product_id string, margin double, pi double, alpha double, W double, freight double",
    )
    policy = PolicyConfig(
        id="p", type="sQ", partition_fields=["store_id"], objective=objective, service_level=service_level
    )
    row = planning_inputs(items, policy).first()
    assert row.pi == pytest.approx(pi) and row.alpha == alpha
    assert pytest.approx(2.23) == row.W  # an expired unit also lost the freight paid to bring it


def test_the_objective_is_recorded_and_a_penalty_needs_a_service_level() -> None:
    assert PolicyConfig(id="p", type="RS", partition_fields=["store_id"]).objective_label == "profit/floor"
    assert PolicyConfig(id="p", type="ww", partition_fields=["store_id"], objective="cost").objective_label == "cost"
    with pytest.raises(ValidationError, match="service_level applies to"):
        PolicyConfig(id="p", type="ceoq", partition_fields=["store_id", "storage_id"], service_level="penalty")
    with pytest.raises(ValidationError, match="objective"):
        PolicyConfig(id="p", type="sQ", partition_fields=["store_id"], objective="revenue")
