"""Replay inputs: the items frame checked and turned into arrays, and the demand frame as a day × item matrix.

A bad value belongs to one item, so it never stops the group: each item gets ``None`` or an error message naming
the item, the column and the value (all failed checks, joined by "; "), and the replay reports that item's rows as
invalid. Structural problems (a required column missing, duplicate items, demand that matches no item's keys)
raise ValueError: no item could be replayed meaningfully.

Items frame columns (one row per item):

* key columns: every column that is not an input below (or ``key_columns`` given explicitly), passed through;
* ``rule_kind`` + the rule parameters of :data:`lakehouse_inv.replenishment.rules.RULE_COLUMNS` (a parameter column
  a group's kinds do not use may be absent);
* terms: ``L`` (lead time, whole days ≥ 1: an order placed after closing arrives at the earliest the next
  morning), ``moq``, ``max_qty``, ``multiple``, ``max_inventory``, ``shelf_life_days`` (NaN = no limit / no
  expiry);
* costs (≥ 0): ``price``, ``unit_cost``, ``h`` (per unit on hand at the end of a day), ``K`` (per order line),
  ``missed_sale_cost`` (per lost unit), ``disposal_cost`` (per expired unit);
* shipments (optional, :mod:`lakehouse_inv.replenishment.shipments`): ``shipment_group`` (items with the same value
  share a truck: e.g. policy / store / supplier; missing = the item ships alone), ``shipment_cost`` (per shipment,
  shared by its lines), ``freight`` (per unit ordered), ``delivery_every`` (days between the supplier's delivery
  days), ``unit_volume``, ``min_shipment_volume``, ``max_shipment_volume``, ``max_shipment_value``.

Demand frame: the key columns shared with the items (e.g. store_id, product_id: every item with those keys, e.g.
each policy of the store-product, sees the same demand), ``date`` and ``requests`` (units). Days without a row,
or with a null ``requests``, have zero demand; duplicate rows for a day are summed. A negative or fractional
``requests`` invalidates the items of that series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lakehouse_inv.replenishment.delivery import DELIVERY_COLUMNS
from lakehouse_inv.replenishment.rules import RULE_COLUMNS, RULE_KINDS, RULE_PARAMETERS

DATE_COLUMN = "date"
REQUESTS_COLUMN = "requests"


def _whole(v: np.ndarray) -> np.ndarray:
    return np.isfinite(v) & (v == np.floor(v))


CHECKS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "finite": ("must be a finite number", np.isfinite),
    "positive": ("must be a number > 0", lambda v: np.isfinite(v) & (v > 0)),
    "non_negative": ("must be a number >= 0", lambda v: np.isfinite(v) & (v >= 0)),
    "whole_positive": ("must be a whole number >= 1", lambda v: _whole(v) & (v >= 1)),
    "whole_or_missing": ("must be a whole number >= 0 or missing", lambda v: np.isnan(v) | (_whole(v) & (v >= 0))),
    "limit": ("must be a number >= 0 or missing (no limit)", lambda v: np.isnan(v) | (v >= 0)),
    "non_negative_or_missing": ("must be a number >= 0 or missing", lambda v: np.isnan(v) | (v >= 0)),
    "whole_limit": (
        "must be a whole number >= 1 or missing (no limit)",
        lambda v: np.isnan(v) | (_whole(v) & (v >= 1)),
    ),
}
"""Check name → (requirement, predicate on a float array: True where valid)."""

ITEM_COLUMNS: dict[str, str] = {
    "L": "whole_positive",
    "moq": "limit",
    "max_qty": "limit",
    "multiple": "whole_limit",
    "max_inventory": "limit",
    "shelf_life_days": "whole_limit",
    "price": "non_negative",
    "unit_cost": "non_negative",
    "h": "non_negative",
    "K": "non_negative",
    "missed_sale_cost": "non_negative",
    "disposal_cost": "non_negative",
}
"""Required terms and cost columns → the check they must pass."""

SHIPMENT_NUMBERS: dict[str, str] = {
    "shipment_cost": "limit",
    "freight": "limit",
    "delivery_every": "whole_limit",
    "unit_volume": "limit",
    "min_shipment_volume": "limit",
    "max_shipment_volume": "limit",
    "max_shipment_value": "limit",
}
"""Optional shipment inputs (:mod:`lakehouse_inv.replenishment.shipments`) → the check they must pass; missing = 0
cost, deliveries every day, no limit."""
RULE_FROM, OPENING_UNITS, OPENING_EXPIRY = "rule_from", "opening_units", "opening_expiry"
SHIPMENT_GROUP = "shipment_group"
OPTIONAL_COLUMNS = frozenset(
    {RULE_FROM, OPENING_UNITS, OPENING_EXPIRY, SHIPMENT_GROUP, *DELIVERY_COLUMNS, *SHIPMENT_NUMBERS}
)
"""Optional items columns: a rule schedule, the opening stock, the delivery distributions and the shipment inputs
(module docstring)."""
RULE_PARAMETER_COLUMNS = tuple(name for name, _ in RULE_COLUMNS if name != "rule_kind")
INPUT_COLUMNS = frozenset(ITEM_COLUMNS) | {name for name, _ in RULE_COLUMNS} | OPTIONAL_COLUMNS


@dataclass(frozen=True)
class ItemInputs:
    """All items of a group: ``keys`` (key columns), ``problems`` (what is wrong with each item, empty when
    nothing), rule kind codes (-1 when unknown) and float arrays of every input column (NaN when absent)."""

    keys: pd.DataFrame
    problems: list[list[str]]
    kinds: np.ndarray
    values: dict[str, np.ndarray]

    def errors(self) -> np.ndarray:
        """Per item None, or one message naming the item and every problem."""
        return np.array(
            [f"item {_label(self.keys, i)}: " + "; ".join(p) if p else None for i, p in enumerate(self.problems)],
            dtype=object,
        )


def resolve_key_columns(items: pd.DataFrame, key_columns: Sequence[str] | None) -> list[str]:
    """``key_columns`` if given, else every items column that is not an input."""
    if key_columns is not None:
        return list(key_columns)
    return [column for column in items.columns if column not in INPUT_COLUMNS]


def prepare_items(items: pd.DataFrame, key_columns: Sequence[str]) -> ItemInputs:
    """Check every item (module docstring) and convert its inputs to float arrays."""
    missing = [c for c in ("rule_kind", *ITEM_COLUMNS, *key_columns) if c not in items.columns]
    if missing:
        raise ValueError(f"items frame is missing column(s) {', '.join(missing)}")
    keys = items[list(key_columns)].reset_index(drop=True)
    duplicated = keys.duplicated().to_numpy() if key_columns else np.zeros(len(keys), dtype=bool)
    if duplicated.any():
        raise ValueError(f"items frame has duplicate items: {_label(keys, int(np.argmax(duplicated)))}")
    problems: list[list[str]] = [[] for _ in range(len(items))]
    kind_names = items["rule_kind"].to_numpy(dtype=object)
    kinds = np.array([RULE_KINDS.index(k) if k in RULE_KINDS else -1 for k in kind_names], dtype=np.int64)
    for i in np.flatnonzero(kinds < 0):
        if pd.isna(kind_names[i]):
            problems[i].append("rule_kind: missing (no executable rule, e.g. the policy has no decision)")
        else:
            problems[i].append(f"rule_kind: must be one of {', '.join(RULE_KINDS)}, got {kind_names[i]!r}")
    values = {}
    required_or_shipment = {**ITEM_COLUMNS, **SHIPMENT_NUMBERS}
    for column in (*ITEM_COLUMNS, *SHIPMENT_NUMBERS, *RULE_PARAMETER_COLUMNS):
        values[column], readable = _numbers(items, column, problems)
        checks = [(required_or_shipment[column], readable, "")] if column in required_or_shipment else []
        checks += [
            (RULE_PARAMETERS[kind][column], readable & (kinds == code), f" (rule {kind})")
            for code, kind in enumerate(RULE_KINDS)
            if column in RULE_PARAMETERS[kind]
        ]
        for check, applies, context in checks:
            requirement, is_valid = CHECKS[check]
            for i in np.flatnonzero(applies & ~is_valid(values[column])):
                problems[i].append(f"{column}: {requirement}{context}, got {values[column][i]:g}")
    return ItemInputs(keys, problems, kinds, values)


def _label(keys: pd.DataFrame, i: int) -> str:
    """``store_id='S01', product_id='P02'`` for item i (its position when there are no key columns)."""
    if keys.shape[1] == 0:
        return f"#{i}"
    return ", ".join(f"{column}={keys.iat[i, j]!r}" for j, column in enumerate(keys.columns))


def _numbers(items: pd.DataFrame, column: str, problems: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """``(values, readable)``: the column as floats (NaN when absent or null) and where it could be read; a value
    that is not a number is recorded as a problem rather than read as a missing value."""
    if column not in items.columns:
        return np.full(len(items), np.nan), np.ones(len(items), dtype=bool)
    raw = items[column]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.to_numpy(dtype=np.float64, na_value=np.nan), np.ones(len(items), dtype=bool)
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    unreadable = np.isnan(numbers) & raw.notna().to_numpy()
    for i in np.flatnonzero(unreadable):
        problems[i].append(f"{column}: must be a number, got {raw.iat[i]!r}")
    return numbers, ~unreadable


def demand_matrix(inputs: ItemInputs, demand: pd.DataFrame, start: dt.date, n_days: int) -> np.ndarray:
    """Requests per day (rows, day 0 = ``start``) and item (columns, in ``inputs.keys`` order). A demand value that
    is not a whole number ≥ 0 is added to the problems of every item of its series (module docstring)."""
    missing = [c for c in (DATE_COLUMN, REQUESTS_COLUMN) if c not in demand.columns]
    if missing:
        raise ValueError(f"demand frame is missing column(s) {', '.join(missing)}")
    keys = inputs.keys
    join = [c for c in keys.columns if c in demand.columns]
    if not join and len(keys) > 1:
        raise ValueError("demand frame shares no key column with the items, so demand cannot be assigned to items")
    day = (as_days(demand[DATE_COLUMN]) - np.datetime64(start, "D")).astype(np.int64)
    in_window = (day >= 0) & (day < n_days)
    item_codes, row_codes = _joint_codes(keys, demand, join)
    series, item_series = np.unique(item_codes, return_inverse=True)
    row_series = pd.Index(series).get_indexer(row_codes)
    used = in_window & (row_series >= 0)
    if in_window.any() and not used.any():
        raise ValueError(f"no demand row matches the items on {', '.join(join)} (check the key values and types)")
    requests = pd.to_numeric(demand[REQUESTS_COLUMN], errors="coerce").to_numpy(dtype=np.float64)[used]
    requests = np.where(np.isnan(requests), 0.0, requests)
    day, rows = day[used], row_series[used]
    bad = ~_whole(requests) | (requests < 0)
    first_bad: dict[int, str] = {}
    for k in np.flatnonzero(bad):
        when = start + dt.timedelta(days=int(day[k]))
        first_bad.setdefault(
            int(rows[k]), f"demand.requests: must be a whole number >= 0, got {requests[k]:g} on {when}"
        )
    for i, s in enumerate(item_series):
        if s in first_bad:
            inputs.problems[i].append(first_bad[s])
    n_series = len(series)
    flat = np.bincount(day * n_series + rows, weights=np.where(bad, 0.0, requests), minlength=n_days * n_series)
    return flat.reshape(n_days, n_series)[:, item_series]


def _joint_codes(keys: pd.DataFrame, demand: pd.DataFrame, join: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct combination of the ``join`` values, for item rows and demand rows alike (values of
    different types never share a code; codes stay below the number of rows)."""
    codes = np.zeros(len(keys) + len(demand), dtype=np.int64)
    for column in join:
        values = np.concatenate([keys[column].to_numpy(object), demand[column].to_numpy(object)])
        column_codes, uniques = pd.factorize(values)
        codes, _ = pd.factorize(codes * (len(uniques) + 1) + column_codes + 1)
    return codes[: len(keys)], codes[len(keys) :]


def as_days(dates: pd.Series) -> np.ndarray:
    """Dates (datetime.date objects as Spark hands them over, strings or timestamps) as ``datetime64[D]``. Object
    columns are converted once per distinct date: a year of rows holds only 365 of them."""
    if dates.dtype != object:
        return pd.to_datetime(dates).to_numpy("datetime64[D]")
    codes, uniques = pd.factorize(dates, use_na_sentinel=False)
    return pd.to_datetime(uniques).to_numpy("datetime64[D]")[codes]
