"""The per-group runner's pandas side: each group reaches the function in one order, whatever order the rows
arrived in, also when a column holds arrays (Arrow lists)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lakehouse_inv.grouped import BUCKET, _each_group


def test_groups_reach_the_function_in_one_order_with_array_columns() -> None:
    rows = pd.DataFrame(
        {
            BUCKET: [0] * 4,
            "k": ["b", "a", "a", "a"],
            "late": [np.array([0.5, 0.5]), None, np.array([1.0]), np.array([0.9, 0.1])],
            "y": [1, 2, 2, 2],
        }
    )
    seen: list[list[object]] = []

    def record(group: pd.DataFrame) -> pd.DataFrame:
        seen.append([None if v is None else tuple(v) for v in group["late"]])
        return group

    forward = _each_group(rows, keys=["k"], fn=record, columns=["k", "late", "y"], array_columns=["late"])
    backward = _each_group(rows.iloc[::-1], keys=["k"], fn=record, columns=["k", "late", "y"], array_columns=["late"])
    assert seen[:2] == seen[2:] and seen[0] == [(0.9, 0.1), (1.0,), None]
    assert forward["k"].tolist() == backward["k"].tolist() == ["a", "a", "a", "b"]
