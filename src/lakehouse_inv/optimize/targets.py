"""Per-item service targets and stock floors of the single-item policies (sQ, sQ_perishable, RS, nvbudget).

Each item may carry

* ``alpha``: its service-level target, the seed's ``service_level`` ("target fraction of demand fulfilled"), i.e. a
  **fill rate**. sQ, sQ_perishable and RS use it as a hard constraint on the decision (below); nvbudget uses it as a
  penalty floor (the critical ratio, :mod:`lakehouse_inv.optimize.features`), because a hard per-item constraint
  could make the shared purchase budget infeasible;
* ``min_inventory``: the units the store always wants to keep. It is a floor on the level the policy plans to
  replenish to: ``s ≥ min_inventory`` (sQ, sQ_perishable: the inventory position never falls below it without an
  order), ``S ≥ min_inventory`` (RS), ``s ≥ min_inventory`` (nvbudget).

Fill rates are those of the backorder models the costs come from (X = lead-time demand, X_R = demand over L + R,
both compound when the lead time has a spread):

* (s,Q):  ``β(s,Q) = 1 − (L(s; X) − L(s+Q; X)) / Q``. With unit demands the inventory position is uniform on
  s+1 … s+Q and ``L(s) − L(s+Q) = Σ_{k=s}^{s+Q−1} P(X > k)`` is the expected shortage per cycle, so this is exact for
  Poisson demand; for batch demand it is the standard approximation. For sQ_perishable the same formula is used
  (Chiu's model charges outdating, not extra shortage).
* (R,S):  ``β(R,S) = 1 − (L(S; X_R) − L(S; X)) / (a·R)``, the expected shortage of one review cycle over its demand.

Both shortages are non-increasing in the level (s or S) because the loss function's slope is ``−P(X > k)`` and X_R
dominates X; so the constraint ``β ≥ α`` is exactly ``level ≥ floor`` with the floor found by bisection, and for a
fixed Q (or R) the convex cost is minimised over the half-line ``level ≥ max(floor, min_inventory)`` by clipping the
unconstrained minimiser there. That keeps every generator's pruning (bands, dominance, the Q and R bounds) valid, so
the optima stay exact and proven. A target of 1 is read at the tables' precision (shortage ≤ ~1e-12 units).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lakehouse_inv.optimize.distributions import DemandDistribution


def check_fill_rate(alpha: float | None) -> float | None:
    """``alpha`` as a float in [0, 1], or None (no target); a target of 0 is no target."""
    if alpha is None or (isinstance(alpha, float) and math.isnan(alpha)):
        return None
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"service level alpha must lie in [0, 1], got {alpha!r}")
    return float(alpha) if alpha > 0 else None


def table_top(distribution: DemandDistribution) -> int:
    """``hi + 1``: the first k with ``P(X > k) = 0`` in the table, where the loss function stops changing."""
    return distribution.lo + len(distribution.sf_table) - 1


def lowest_level(shortage: Callable[[np.ndarray], np.ndarray], allowed: np.ndarray, top: int) -> np.ndarray:
    """Per entry of ``allowed``, the smallest integer ``k`` in ``[0, top]`` with ``shortage(k) ≤ allowed`` (``top``
    when none is), for ``shortage`` non-increasing in k and vectorised over the shape of ``allowed``."""
    lo = np.zeros(np.shape(allowed), dtype=np.int64)
    hi = np.full(np.shape(allowed), top, dtype=np.int64)
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        ok = shortage(mid) <= allowed
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid + 1)
    return lo


def sq_fill_floor(lead_demand: DemandDistribution, Q: np.ndarray, alpha: float) -> np.ndarray:
    """Smallest ``s ≥ 0`` with ``β(s,Q) ≥ alpha`` for each Q."""
    Q = np.asarray(Q, dtype=np.int64)
    return lowest_level(
        lambda s: lead_demand.loss(s) - lead_demand.loss(s + Q), (1.0 - alpha) * Q, table_top(lead_demand)
    )


def rs_fill_floor(
    review_demand: DemandDistribution, lead_demand: DemandDistribution, a: float, R: int, alpha: float
) -> int:
    """Smallest ``S ≥ 0`` with ``β(R,S) ≥ alpha`` (one vectorised pass over the tables' support)."""
    top = max(table_top(review_demand), table_top(lead_demand))
    S = np.arange(top + 1)
    ok = review_demand.loss(S) - lead_demand.loss(S) <= (1.0 - alpha) * a * R
    return int(np.argmax(ok)) if ok.any() else top


def sq_fill_rate(lead_demand: DemandDistribution, s: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """β(s,Q) (1 where the lead time has no demand)."""
    shortage = lead_demand.loss(s) - lead_demand.loss(np.asarray(s) + np.asarray(Q))
    return 1.0 - shortage / np.asarray(Q, dtype=float)
