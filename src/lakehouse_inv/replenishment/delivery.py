"""Uncertain deliveries for the replay: late and short deliveries drawn as the data says, the same for every policy.

Per store-product the replay can be given what its supplier actually did (optional items columns, see
:mod:`lakehouse_inv.replenishment.items`):

* ``lead_time_deviations``: observed delivery day − promised delivery day of past orders (days, ≥ −L + 1; late
  deliveries are positive), an empirical distribution;
* ``received_shares``: observed units received / units ordered of past orders (short shipments are < 1);
* ``lead_time_ci_days``: the supplier's stated ± range of the lead time, used when no deviation was observed: the
  deviation is then uniform on the whole days −ci … +ci.

An order placed at the end of day t then arrives on day t + max(1, L + deviation_t) with ⌊quantity × share_t⌋
units, where deviation_t and share_t are drawn by inverse transform from uniforms u_t, v_t that depend only on the
series' key values (store, product) and the day: **common random numbers**, so every policy of a store-product
meets the same late and short deliveries on the same days and differences in the results come from the policies.
Without any of the columns (or with empty distributions and ci = 0) deliveries are exactly as promised.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

DEVIATIONS, SHARES, CI = "lead_time_deviations", "received_shares", "lead_time_ci_days"
DELIVERY_COLUMNS = (DEVIATIONS, SHARES, CI)


def series_seed(values: Sequence[object]) -> int:
    """A stable 32-bit seed from a series' key values (the same on every machine and Python process)."""
    return zlib.crc32("\x1f".join(str(v) for v in values).encode("utf-8"))


def _empirical(values: object) -> np.ndarray:
    """A per-row array cell (list, numpy array, None/NaN) as a sorted float array of its finite values."""
    if values is None or (isinstance(values, float) and np.isnan(values)):
        return np.zeros(0)
    array = np.asarray(values, dtype=np.float64).ravel()
    return np.sort(array[np.isfinite(array)])


def _quantile(sorted_values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse transform of an empirical distribution: the value at rank ⌊u·n⌋."""
    return sorted_values[np.minimum((u * len(sorted_values)).astype(np.int64), len(sorted_values) - 1)]


def delivery_draws(
    items: pd.DataFrame, series_columns: Sequence[str], lead: np.ndarray, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(lead_days, received_share)``, each (n_days, items): the lead time of an order placed on each day and the
    share of it that arrives (module docstring). ``lead`` is the items' promised lead time (≥ 1)."""
    n = len(items)
    lead_days = np.tile(lead.astype(np.int64), (n_days, 1))
    shares = np.ones((n_days, n))
    present = [c for c in DELIVERY_COLUMNS if c in items.columns]
    if not present or n == 0:
        return lead_days, shares
    cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    keys = items[list(series_columns)].itertuples(index=False, name=None) if series_columns else [()] * n
    # the columns as plain arrays: one row lookup per item in a DataFrame costs more than the draws themselves
    none = np.full(n, None, dtype=object)
    observed = items[DEVIATIONS].to_numpy(object) if DEVIATIONS in items.columns else none
    shared = items[SHARES].to_numpy(object) if SHARES in items.columns else none
    spread = pd.to_numeric(items[CI], errors="coerce").to_numpy(np.float64) if CI in items.columns else np.zeros(n)
    for i, key in enumerate(keys):
        deviations, received = _empirical(observed[i]), _empirical(shared[i])
        ci = float(spread[i]) if np.isfinite(spread[i]) else 0.0
        if len(deviations) == 0 and ci <= 0 and len(received) == 0:
            continue
        if key not in cache:
            rng = np.random.default_rng(series_seed(key))
            cache[key] = (rng.random(n_days), rng.random(n_days))
        u, v = cache[key]
        if len(deviations):
            deviation = _quantile(deviations, u)
        else:
            width = round(ci)
            deviation = np.minimum((u * (2 * width + 1)).astype(np.int64), 2 * width) - width
        lead_days[:, i] = np.maximum(1, lead[i] + np.round(deviation)).astype(np.int64)
        if len(received):
            shares[:, i] = np.clip(_quantile(received, v), 0.0, 1.0)
    return lead_days, shares
