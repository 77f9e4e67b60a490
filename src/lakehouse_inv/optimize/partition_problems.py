"""One problem over a whole partition from its rows (plain records): the partition path of ceoq, nvbudget, ww,
clsp and jrp in :func:`lakehouse_inv.optimize.partition.optimize_partition`, and the row-value helpers it shares.

Each builder gets the partition's records, the row positions of each item (one row, or for the lot-sizing types the
rows of the item's periods sorted by ``t``) and the partition's native capacity (ceoq ``b``, nvbudget ``V``, clsp
``C``) and the type's parser, and returns the validated batch-interface problem.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

import numpy as np

from lakehouse_inv.optimize.inputs import LotSizingProblem, PolicyInputError, Problem
from lakehouse_inv.optimize.lotsizing import LotSizingData

Parse = Callable[[dict[str, Any]], Problem]
"""Validates batch-interface inputs of the type being solved (its spec's parser, errors prefixed by its name)."""
PartitionProblem = Callable[[list[dict[str, Any]], list[list[int]], float | None, Parse], Problem]
"""``(records, item row positions, native capacity, parse) -> problem``."""


def plain(value: Any) -> Any:
    """numpy scalars and Spark decimals → Python numbers, so validation and JSON match the batch interface."""
    if isinstance(value, Decimal):
        return float(value)
    return value.item() if isinstance(value, np.generic) else value


def present(value: Any) -> bool:
    if isinstance(value, list | tuple | np.ndarray):
        return len(value) > 0
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def demand_spec(record: dict[str, Any], mean: Any) -> dict[str, Any] | None:
    """``demand_pmf`` (list or JSON string) → empirical; ``demand_variance`` above the mean → negative binomial."""
    pmf = record.get("demand_pmf")
    if present(pmf):
        return {"family": "empirical", "pmf": json.loads(pmf) if isinstance(pmf, str) else [float(p) for p in pmf]}
    variance = record.get("demand_variance")
    if present(variance) and isinstance(mean, int | float) and float(variance) > mean > 0:
        return {"family": "negative_binomial", "variance": float(variance)}
    return None


def _heads(records: list[dict[str, Any]], groups: list[list[int]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    heads = [records[group[0]] for group in groups]
    return {name: [plain(h[name]) for h in heads] for name in names}


def ceoq_problem(records: list[dict[str, Any]], groups: list[list[int]], b: float | None, parse: Parse) -> Problem:
    return parse({"n": len(groups), **_heads(records, groups, ("lam", "K", "C")), "b": b})


def nvbudget_problem(records: list[dict[str, Any]], groups: list[list[int]], V: float | None, parse: Parse) -> Problem:
    heads = [records[group[0]] for group in groups]
    column = _heads(records, groups, ("d", "h", "b", "c"))
    inputs: dict[str, Any] = {"n": len(groups), **column, "V": V}
    demands = [demand_spec(head, d) for head, d in zip(heads, column["d"], strict=True)]
    if any(demands):
        inputs["demand"] = demands
    floors = [plain(h.get("min_inventory")) if present(h.get("min_inventory")) else 0 for h in heads]
    if any(floors):
        inputs["min_inventory"] = floors
    return parse(inputs)


def _period_inputs(records: list[dict[str, Any]], groups: list[list[int]]) -> dict[str, Any]:
    """P items x T periods of demand (periods = the partition's sorted ``t``), with the item-level K and h."""
    periods = sorted({plain(record["t"]) for record in records})
    position = {t: j for j, t in enumerate(periods)}
    demand = np.zeros((len(groups), len(periods)))
    for i, group in enumerate(groups):
        for j in group:
            demand[i, position[plain(records[j]["t"])]] += records[j]["d"]
    return {"P": len(groups), "T": len(periods), "d": demand.tolist(), **_heads(records, groups, ("K", "h"))}


def clsp_problem(records: list[dict[str, Any]], groups: list[list[int]], C: float | None, parse: Parse) -> Problem:
    return parse(_period_inputs(records, groups) | {"C": C})


def independent_ww_problem(
    records: list[dict[str, Any]], groups: list[list[int]], _: float | None, parse: Parse
) -> Problem:
    """Each item validated as its own single-item lot-sizing problem, then all solved together in one uncapacitated
    lot-sizing model."""
    inputs = _period_inputs(records, groups)
    parts = []
    for i in range(inputs["P"]):
        single = {"T": inputs["T"], "d": inputs["d"][i], "K": inputs["K"][i], "h": inputs["h"][i]}
        try:
            parts.append(cast(LotSizingProblem, parse(single)))
        except PolicyInputError as exc:
            raise PolicyInputError(f"item {i}: {exc}") from None
    data = LotSizingData(
        np.vstack([p.data.demand for p in parts]),
        np.concatenate([p.data.K for p in parts]),
        np.concatenate([p.data.h for p in parts]),
    )
    return LotSizingProblem(data, per_product_lists=True)


JRP_ITEM_COLUMNS = {
    "L_ci": "L_ci",
    "alpha": "alpha",
    "min_inventory": "min_inventory",
    "max_inventory": "max_inventory",
    "W": "W",
    "life": "life",
    "product_volume": "volume",
    "unit_cost": "unit_cost",
}
"""Optional per-item columns of a jrp partition → its batch-interface lists (a null is "none" for that item)."""
JRP_SHIPMENT_COLUMNS = {
    "shipment_cost": "K",
    "delivery_every": "every",
    "min_shipment_volume": "min_volume",
    "max_shipment_volume": "max_volume",
    "max_shipment_value": "max_value",
}
"""The supplier's columns of a jrp partition (one value per partition) → its batch-interface scalars."""


def jrp_problem(records: list[dict[str, Any]], groups: list[list[int]], _: float | None, parse: Parse) -> Problem:
    """One store x supplier (:mod:`lakehouse_inv.optimize.jrp`): the items' columns as lists and the supplier's
    shipment columns, the same on every row of the partition, as scalars (rows that disagree are an error naming
    the column: the partition is not one supplier's truck)."""
    heads = [records[group[0]] for group in groups]
    inputs: dict[str, Any] = {"n": len(groups), **_heads(records, groups, ("a", "L", "h", "pi"))}
    for column, name in JRP_ITEM_COLUMNS.items():
        values = [plain(h.get(column)) if present(h.get(column)) else None for h in heads]
        if any(v is not None for v in values):
            inputs[name] = values
    for column, name in JRP_SHIPMENT_COLUMNS.items():
        values = sorted({plain(h.get(column)) for h in heads if present(h.get(column))})
        if len(values) > 1:
            raise PolicyInputError(
                f"column {column!r} differs within the partition ({values[0]:g} … {values[-1]:g}): one supplier's "
                "shipments are planned together, so partition by store_id and supplier_id"
            )
        if values:
            inputs[name] = values[0]
    demands = [demand_spec(head, a) for head, a in zip(heads, inputs["a"], strict=True)]
    if any(demands):
        inputs["demand"] = demands
    return parse(inputs)
