"""optimize_partition: one row per item with keys passed through, exact on coupled stores, never raises."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from policy_brute_force import min_cost_under_capacity, pareto, perishable_grid, poisson_pmf, rs_grid, sq_grid

from lakehouse_inv.optimize import (
    POLICY_RESULT_SCHEMA,
    CouplingSpec,
    PartitionSpec,
    optimize_partition,
    policy_result_schema,
    solve_problem,
)
from lakehouse_inv.optimize.partition import POLICY_RESULT_COLUMNS


def store(n: int, seed: int, a_max: float = 30.0, L_max: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "store_id": "S1",
            "product_id": [f"P{j:03d}" for j in range(n)],
            "a": rng.uniform(0.2, a_max, n).round(2),
            "L": rng.integers(1, L_max + 1, n),
            "h": rng.uniform(0.005, 0.1, n).round(4),
            "K": rng.uniform(5, 50, n).round(1),
            "pi": rng.uniform(1, 20, n).round(1),
            "volume": rng.integers(1, 4, n).astype(float),
        }
    )


def test_uncoupled_store_matches_single_problems() -> None:
    items = store(40, seed=1)
    out = optimize_partition(items, PartitionSpec("sQ", key_columns=("store_id", "product_id")))
    assert list(out.columns) == ["store_id", "product_id"] + [name for name, _ in POLICY_RESULT_COLUMNS]
    assert out["product_id"].tolist() == items["product_id"].tolist()
    assert (out["status"] == "optimal").all()
    for row, item in zip(out.itertuples(), items.itertuples(), strict=True):
        single = solve_problem("sQ", {"a": item.a, "L": item.L, "h": item.h, "K": item.K, "pi": item.pi})
        assert json.loads(row.decision_json) == single.decision
        assert row.reorder_point == single.decision["s"] and row.order_quantity == single.decision["Q"]
        assert row.item_cost == pytest.approx(single.cost, rel=1e-12)
    assert out["objective"].iloc[0] == pytest.approx(out["item_cost"].sum(), rel=1e-9)


def sq_frontier(item: pd.Series, usage: str) -> tuple[np.ndarray, np.ndarray]:
    mu = item.a * item.L
    grid = sq_grid(item.a, int(item.L), item.h, item.K, item.pi, poisson_pmf(mu), 160, 700)
    s, Q = np.meshgrid(np.arange(161), np.arange(1, 701), indexing="ij")
    used = (s + Q) if usage == "peak" else np.maximum(0.0, Q / 2 + s - mu)
    return pareto(grid.ravel(), item.volume * used.ravel())


@pytest.mark.parametrize(("usage", "share"), [("peak", 0.6), ("peak", 0.9), ("average", 0.5), ("peak", 3.0)])
def test_coupled_store_matches_brute_force(usage: str, share: float) -> None:
    items = store(5, seed=4, a_max=6.0, L_max=6)
    free = optimize_partition(items, PartitionSpec("sQ", key_columns=("store_id", "product_id")))
    mu = items.a * items.L
    if usage == "peak":
        free_usage = float(((free.reorder_point + free.order_quantity) * items.volume).sum())
    else:
        free_usage = float((np.maximum(0.0, free.order_quantity / 2 + free.reorder_point - mu) * items.volume).sum())
    capacity = share * free_usage
    spec = PartitionSpec("sQ", couplings=(CouplingSpec(usage, capacity, "volume"),), key_columns=("product_id",))
    out = optimize_partition(items, spec)
    assert (out["status"] == "optimal").all()
    expected = min_cost_under_capacity([sq_frontier(item, usage) for _, item in items.iterrows()], capacity)
    assert out["objective"].iloc[0] == pytest.approx(expected, rel=1e-6)
    if usage == "peak":
        used = float(((out.reorder_point + out.order_quantity) * items.volume).sum())
    else:
        used = float((np.maximum(0.0, out.order_quantity / 2 + out.reorder_point - mu) * items.volume).sum())
    assert used <= capacity + 1e-9
    assert out["item_cost"].sum() == pytest.approx(expected, rel=1e-6)


def test_coupled_rs_store_matches_brute_force() -> None:
    items = store(3, seed=8, a_max=4.0, L_max=4)
    free = optimize_partition(items, PartitionSpec("RS", key_columns=("product_id",)))
    capacity = 0.85 * float(free["order_up_to"].sum())
    spec = PartitionSpec("RS", couplings=(CouplingSpec("peak", capacity),), key_columns=("product_id",))
    out = optimize_partition(items, spec)
    frontiers = []
    for _, item in items.iterrows():
        rows = rs_grid(item.a, int(item.L), item.h, item.K, item.pi, lambda d, a=item.a: poisson_pmf(a * d), 80, 40)
        frontiers.append(pareto(np.array([c for _, _, c in rows]), np.array([float(S) for _, S, _ in rows])))
    assert (out["status"] == "optimal").all()
    assert out["objective"].iloc[0] == pytest.approx(min_cost_under_capacity(frontiers, capacity), rel=1e-6)
    assert out["order_up_to"].sum() <= capacity


def test_coupled_perishable_store_matches_brute_force() -> None:
    items = store(3, seed=9, a_max=4.0, L_max=3)
    items["W"] = [1.0, 2.0, 0.5]
    items["life"] = [3, 5, 2]
    free = optimize_partition(items, PartitionSpec("sQ_perishable", key_columns=("product_id",)))
    capacity = 0.7 * float((free.reorder_point + free.order_quantity).sum())
    spec = PartitionSpec("sQ_perishable", couplings=(CouplingSpec("peak", capacity),), key_columns=("product_id",))
    out = optimize_partition(items, spec)
    frontiers = []
    for _, item in items.iterrows():
        lead, life = poisson_pmf(item.a * item.L), poisson_pmf(item.a * (item.L + item.life))
        grid = perishable_grid(item.a, int(item.L), item.h, item.K, item.pi, item.W, lead, life, 60, 150)
        s, Q = np.meshgrid(np.arange(61), np.arange(1, 151), indexing="ij")
        finite = np.isfinite(grid.ravel())
        frontiers.append(pareto(grid.ravel()[finite], (s + Q).ravel()[finite].astype(float)))
    assert (out["status"] == "optimal").all()
    assert out["objective"].iloc[0] == pytest.approx(min_cost_under_capacity(frontiers, capacity), rel=1e-6)


def test_two_couplings_at_once() -> None:
    """Shelf space (peak) and inventory value (average) together, both changing the optimum; the grid holds every
    point the average cap allows. Compared with pairwise enumeration."""
    items = store(2, seed=5, a_max=3.0, L_max=3)
    spec = PartitionSpec(
        "sQ",
        couplings=(CouplingSpec("peak", 60.0, "volume"), CouplingSpec("average", 8.0)),
        key_columns=("product_id",),
    )
    out = optimize_partition(items, spec)
    grids = []
    for _, item in items.iterrows():
        mu = item.a * item.L
        grid = sq_grid(item.a, int(item.L), item.h, item.K, item.pi, poisson_pmf(mu), 30, 60)
        s, Q = np.meshgrid(np.arange(31), np.arange(1, 61), indexing="ij")
        grids.append((grid.ravel(), (item.volume * (s + Q)).ravel(), np.maximum(0.0, Q / 2 + s - mu).ravel()))
    (c0, p0, v0), (c1, p1, v1) = grids
    fits = (p0[:, None] + p1[None, :] <= 60.0 + 1e-9) & (v0[:, None] + v1[None, :] <= 8.0 + 1e-9)
    expected = float(np.where(fits, c0[:, None] + c1[None, :], np.inf).min())
    assert (out["status"] == "optimal").all()
    assert out["objective"].iloc[0] == pytest.approx(expected, rel=1e-6)


def test_infeasible_coupling_gives_infeasible_rows() -> None:
    items = store(4, seed=2)
    spec = PartitionSpec("sQ", couplings=(CouplingSpec("peak", 2.0),))
    out = optimize_partition(items, spec)
    assert (out["status"] == "infeasible").all()
    assert out["decision_json"].isna().all()
    assert "exceeds the capacity" in out["message"].iloc[0]


def test_failing_item_in_uncoupled_store_only_fails_its_row() -> None:
    items = store(6, seed=3)
    items.loc[2, "L"] = -1
    items.loc[4, "h"] = float("nan")
    out = optimize_partition(items, PartitionSpec("sQ", key_columns=("store_id", "product_id")))
    assert out["status"].tolist() == ["optimal", "optimal", "error", "optimal", "error", "optimal"]
    assert "sQ.inputs.L: must be an integer >= 0" in out["message"].iloc[2]
    assert "sQ.inputs.h" in out["message"].iloc[4]
    assert out["product_id"].tolist() == items["product_id"].tolist()


def test_failing_item_in_coupled_store_fails_the_partition() -> None:
    items = store(3, seed=3)
    items.loc[1, "pi"] = -5.0
    out = optimize_partition(items, PartitionSpec("sQ", couplings=(CouplingSpec("peak", 500.0),)))
    assert (out["status"] == "error").all()
    assert "pi" in out["message"].iloc[0]


def test_missing_column_returns_error_rows_instead_of_raising() -> None:
    items = store(3, seed=3).drop(columns=["pi"])
    out = optimize_partition(items, PartitionSpec("sQ"))
    assert len(out) == 3
    assert (out["status"] == "error").all()
    assert "missing column 'pi'" in out["message"].iloc[0]


def test_empty_partition_returns_empty_frame() -> None:
    out = optimize_partition(store(0, seed=1), PartitionSpec("sQ", key_columns=("store_id", "product_id")))
    assert out.empty and "status" in out.columns


def test_demand_variance_and_pmf_columns() -> None:
    items = store(3, seed=6, a_max=5.0)
    items["demand_variance"] = [items.a[0] * 3, items.a[1] * 0.5, None]  # NB, Poisson (v ≤ a), Poisson
    items["demand_pmf"] = [None, None, json.dumps([0.5, 0.0, 0.5])]
    items.loc[2, "a"] = 1.0
    out = optimize_partition(items, PartitionSpec("sQ", key_columns=("product_id",)))
    nb = {"family": "negative_binomial", "variance": float(items.a[0] * 3)}
    expected = [
        solve_problem("sQ", {k: items.loc[0, k] for k in ("a", "L", "h", "K", "pi")} | {"demand": nb}),
        solve_problem("sQ", {k: items.loc[1, k] for k in ("a", "L", "h", "K", "pi")}),
        solve_problem(
            "sQ",
            {k: items.loc[2, k] for k in ("a", "L", "h", "K", "pi")}
            | {"demand": {"family": "empirical", "pmf": [0.5, 0, 0.5]}},
        ),
    ]
    assert [json.loads(d) for d in out["decision_json"]] == [r.decision for r in expected]


def test_ceoq_nvbudget_ww_clsp_partitions() -> None:
    ceoq = pd.DataFrame(
        {"sku": ["a", "b", "c"], "lam": [100.0, 200.0, 50.0], "K": [10.0, 5.0, 20.0], "C": [0.5, 0.2, 1.0]}
    )
    out = optimize_partition(ceoq, PartitionSpec("ceoq", b=8.0))
    single = solve_problem("ceoq", {"n": 3, "lam": [100, 200, 50], "K": [10, 5, 20], "C": [0.5, 0.2, 1], "b": 8.0})
    assert out["order_quantity"].tolist() == single.decision["Q"]
    assert out["objective"].iloc[0] == pytest.approx(single.cost)

    nv = pd.DataFrame({"sku": ["a", "b"], "d": [10.0, 20.0], "h": [1.0, 1.0], "b": [5.0, 3.0], "c": [2.0, 1.0]})
    out = optimize_partition(nv, PartitionSpec("nvbudget", V=30.0))
    single = solve_problem("nvbudget", {"n": 2, "d": [10, 20], "h": [1, 1], "b": [5, 3], "c": [2, 1], "V": 30.0})
    assert out["order_up_to"].tolist() == single.decision["s"]

    periods = pd.DataFrame(
        {
            "sku": ["a"] * 4 + ["b"] * 4,
            "t": [3, 1, 2, 4] * 2,
            "d": [20, 10, 0, 5, 5, 5, 5, 5],
            "K": [50.0] * 4 + [10.0] * 4,
            "h": [1.0] * 4 + [2.0] * 4,
        }
    )
    ww = optimize_partition(periods, PartitionSpec("ww"))
    assert ww["sku"].tolist() == ["a", "b"]
    a_alone = solve_problem("ww", {"T": 4, "d": [10, 0, 20, 5], "K": 50, "h": 1})
    assert ww["item_cost"].iloc[0] == pytest.approx(a_alone.cost)
    assert json.loads(ww["decision_json"].iloc[0]) == a_alone.decision

    clsp = optimize_partition(periods, PartitionSpec("clsp", C=16.0))
    single = solve_problem(
        "clsp", {"P": 2, "T": 4, "d": [[10, 0, 20, 5], [5, 5, 5, 5]], "K": [50, 10], "h": [1, 2], "C": 16.0}
    )
    assert clsp["status"].tolist() == ["optimal", "optimal"]
    assert clsp["objective"].iloc[0] == pytest.approx(single.cost)
    assert [json.loads(d)["x"] for d in clsp["decision_json"]] == single.decision["x"]

    infeasible = optimize_partition(periods, PartitionSpec("clsp", C=5.0))
    assert (infeasible["status"] == "infeasible").all()


def test_schema_constant_and_helper() -> None:
    assert POLICY_RESULT_SCHEMA.startswith("policy_type string, status string, decision_json string")
    schema = policy_result_schema([("store_id", "string"), ("product_id", "string")])
    assert schema == "store_id string, product_id string, " + POLICY_RESULT_SCHEMA
    names = [part.split()[0].lower() for part in schema.split(", ")]
    assert len(names) == len(set(names)), "Spark resolves column names case-insensitively"


def test_infeasible_item_in_uncoupled_store_keeps_the_others() -> None:
    """sQ_perishable with a = 0 has no option with Q − ER > 0; only that row is infeasible."""
    items = store(3, seed=12, a_max=5.0)
    items["W"], items["life"] = 1.0, 4
    items.loc[1, "a"] = 0.0
    out = optimize_partition(items, PartitionSpec("sQ_perishable", key_columns=("product_id",)))
    assert out["status"].tolist() == ["optimal", "infeasible", "optimal"]
    assert out["decision_json"].isna().tolist() == [False, True, False]


def test_rs_partition_reads_r_max_column() -> None:
    items = store(2, seed=13, a_max=2.0)
    items.loc[0, "a"] = 0.0
    items["R_max"] = [20, 365]
    out = optimize_partition(items, PartitionSpec("RS", key_columns=("product_id",)))
    assert out["review_period"].iloc[0] == 20.0 and out["order_up_to"].iloc[0] == 0.0
    single = solve_problem("RS", {k: items.loc[1, k] for k in ("a", "L", "h", "K", "pi")})
    assert json.loads(out["decision_json"].iloc[1]) == single.decision


def test_an_optimum_outside_the_sq_cost_model_is_an_error_row_not_optimal() -> None:
    """Holding through a 250-day lead time costs more than a backorder: the (s,Q) formula's minimum has negative
    net stock and a negative "cost"; the job must not publish it as an optimal policy (solve-policies agrees)."""
    items = pd.DataFrame(
        {
            "product_id": ["long", "normal"],
            "a": [3.0, 3.0],
            "L": [250, 2],
            "h": [0.05, 0.05],
            "K": [20.0, 20.0],
            "pi": [5.0, 5.0],
        }
    )
    out = optimize_partition(items, PartitionSpec("sQ", key_columns=("product_id",)))
    long, normal = out.iloc[0], out.iloc[1]
    assert long["status"] == "error" and "outside the (s,Q) cost model's validity" in long["message"]
    assert solve_problem("sQ", {"a": 3.0, "L": 250, "h": 0.05, "K": 20.0, "pi": 5.0}).status == "error"
    assert normal["status"] == "optimal" and normal["item_cost"] > 0
