"""Executable replenishment rules: what an item orders at the end of each day, built from a policy decision.

A rule only decides how many units are *needed*; supplier terms (:mod:`lakehouse_inv.replenishment.terms`) then turn the
need into an order line. ``IP`` is the inventory position at the end of the day after sales and disposal: on hand +
on order (there are no backorders). Days are numbered from the replay's first day (day 0).

=================  =====================================================================================
``reorder_point``  (s, Q), continuous review: if IP ≤ s, need n·Q with the smallest n such that IP + n·Q > s,
                   i.e. n = ⌊(s − IP)/Q⌋ + 1.
``order_up_to``    (R, S, offset): on review days, (day − offset) mod R = 0, need S − IP.
``replacement``    baseline "order last week's sales": on review days (R, offset) need the units sold since
                   the previous review (today included). Before the first review the count starts at
                   ``initial_order``, so the first review orders the opening stock.
``days_of_cover``  baseline: on review days need ⌈cover_days × average daily sales⌉ − IP, the average taken
                   over the last SALES_HISTORY_DAYS days (days before day 0 count as ``prior_daily_sales``).
``none``           never orders.
=================  =====================================================================================

:func:`rule_from_decision` maps policies.md decisions to rules (⌈x⌉ below is taken after rounding x to 9
decimals, so 0.1·30 = 3.0000000000000004 gives 3):

* ``sQ``, ``sQ_perishable``: reorder_point(s, Q) from the decision.
* ``ceoq``: reorder_point(s = ⌈a·L⌉, the lead-time demand at the forecast rate; Q from the decision).
* ``RS``: order_up_to(R, S, offset 0) from the decision.
* ``nvbudget``: order_up_to(R, S = s + ⌈a·(L − 1)⌉, offset 0), R = the decision's newsvendor period (default 1
  day). The newsvendor level s is the stock wanted on the shelf when the order arrives; IP also counts the L − 1
  days of demand still to be sold before it does, so S = s exactly when L = 1.
* ``ww``, ``clsp`` (plan x over T days, period t = replay day t — a plan over longer periods is first spread to
  days, each period's quantity on its first day; order days t_1 < … < t_m where x_t > 0):
  R = max(1, ⌊median(t_{k+1} − t_k) + ½⌋) if m ≥ 2, else T; S = ⌈(Σ x / T)·(L + R)⌉, the plan's average
  daily quantity over lead time + review period; offset = (t_1 − L) mod R, so the first review falls L days
  before the plan's first delivery (0 when m = 0; then S = 0 and nothing is ordered).
* ``replacement`` (baseline; decision may give ``R``, default 7, and ``offset``): initial_order = ⌈a·(L + R)⌉,
  the forecast demand until the second order can arrive. The rule keeps IP at that level at each review as
  long as nothing expires; expired units are not replaced (the practice it models only looks at sales).
* ``days_of_cover`` (baseline; decision may give ``R``, default 7, ``cover_days``, default L + R, ``offset``):
  prior_daily_sales = a.
* ``none``: never orders (tests; a store that stopped ordering).

Rule parameters are validated where rules run (:mod:`lakehouse_inv.replenishment.items`), so a rule frame from any
source gets the same checks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

REORDER_POINT, ORDER_UP_TO, REPLACEMENT, DAYS_OF_COVER, NONE = 0, 1, 2, 3, 4
RULE_KINDS = ("reorder_point", "order_up_to", "replacement", "days_of_cover", "none")
"""Rule kind names indexed by the codes above."""
REVIEW_KINDS = (ORDER_UP_TO, REPLACEMENT, DAYS_OF_COVER)

BASELINE_REVIEW_DAYS = 7
SALES_HISTORY_DAYS = 28

OPTIMIZED_TYPES = ("sQ", "sQ_perishable", "ceoq", "RS", "nvbudget", "ww", "clsp")
BASELINE_TYPES = ("replacement", "days_of_cover", "none")
"""Policy types :func:`rule_from_decision` knows: policies.md's optimized types, and baselines (no decision)."""

RULE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rule_kind", "string"),
    ("reorder_point", "double"),
    ("order_quantity", "double"),
    ("review_period", "double"),
    ("order_up_to", "double"),
    ("review_offset", "double"),
    ("initial_order", "double"),
    ("cover_days", "double"),
    ("prior_daily_sales", "double"),
)
"""Rule columns of a replay items frame (name, Spark type); NaN where a kind does not use a parameter. Named, not
lettered: Spark resolves column names case-insensitively, so ``s`` and ``S`` would collide."""

RULE_PARAMETERS: dict[str, dict[str, str]] = {
    "reorder_point": {"reorder_point": "finite", "order_quantity": "positive"},
    "order_up_to": {"review_period": "whole_positive", "order_up_to": "finite", "review_offset": "whole_or_missing"},
    "replacement": {
        "review_period": "whole_positive",
        "initial_order": "non_negative",
        "review_offset": "whole_or_missing",
    },
    "days_of_cover": {
        "review_period": "whole_positive",
        "cover_days": "positive",
        "prior_daily_sales": "non_negative",
        "review_offset": "whole_or_missing",
    },
    "none": {},
}
"""Parameters each kind needs, with the check (named in :data:`lakehouse_inv.replenishment.items.CHECKS`) they must
pass; a missing review_offset is 0."""


@dataclass(frozen=True)
class Rule:
    """One item's rule: ``rule_kind`` (one of RULE_KINDS; None = no executable rule, e.g. an unsolved policy) and
    the parameters that kind uses (NaN otherwise)."""

    rule_kind: str | None
    reorder_point: float = math.nan
    order_quantity: float = math.nan
    review_period: float = math.nan
    order_up_to: float = math.nan
    review_offset: float = math.nan
    initial_order: float = math.nan
    cover_days: float = math.nan
    prior_daily_sales: float = math.nan

    def columns(self) -> dict[str, Any]:
        """The rule as RULE_COLUMNS values, for one row of a replay items frame."""
        return asdict(self)


def reorder_point_rule(s: float, Q: float) -> Rule:
    """(s, Q): order multiples of Q once IP ≤ s."""
    return Rule("reorder_point", reorder_point=float(s), order_quantity=float(Q))


def order_up_to_rule(R: int, S: float, offset: int = 0) -> Rule:
    """(R, S): every R days from day ``offset``, order up to S."""
    return Rule("order_up_to", review_period=float(R), order_up_to=float(S), review_offset=float(offset))


def replacement_rule(initial_order: float, R: int = BASELINE_REVIEW_DAYS, offset: int = 0) -> Rule:
    """Baseline: every R days, reorder what sold since the last review (first: ``initial_order``)."""
    return Rule("replacement", review_period=float(R), initial_order=float(initial_order), review_offset=float(offset))


def days_of_cover_rule(
    cover_days: float, prior_daily_sales: float, R: int = BASELINE_REVIEW_DAYS, offset: int = 0
) -> Rule:
    """Baseline: every R days, order up to ``cover_days`` of the average daily sales of the last 28 days."""
    return Rule(
        "days_of_cover",
        review_period=float(R),
        cover_days=float(cover_days),
        prior_daily_sales=float(prior_daily_sales),
        review_offset=float(offset),
    )


NO_ORDERS = Rule("none")


def ceil_units(x: float) -> int:
    """⌈x⌉ after rounding x to 9 decimals (float noise must not add a unit)."""
    return math.ceil(round(x, 9))


def rule_from_decision(
    policy_type: str, decision: Mapping[str, Any] | None, *, a: float, L: int, period_days: int = 1
) -> Rule:
    """The executable rule of one item (module docstring for the formulas). ``decision`` is the item's own decision
    (policies.md names; list types give this item's entry, ww/clsp its plan ``x``); ``a`` is the forecast demand per
    day, ``L`` the lead time in days and ``period_days`` the length of a ww/clsp plan period (the plan is read as
    daily, each period's quantity on its first day). Raises ValueError for an unknown type or a malformed decision."""
    decision = decision or {}
    if policy_type in ("sQ", "sQ_perishable"):
        return reorder_point_rule(_number(decision, "s", policy_type), _number(decision, "Q", policy_type))
    if policy_type == "ceoq":
        return reorder_point_rule(ceil_units(a * L), _number(decision, "Q", policy_type))
    if policy_type == "RS":
        return order_up_to_rule(_number(decision, "R", policy_type), _number(decision, "S", policy_type))
    if policy_type == "nvbudget":
        R = _number(decision, "R", policy_type, 1)
        return order_up_to_rule(R, _number(decision, "s", policy_type) + ceil_units(a * (L - 1)))
    if policy_type in ("ww", "clsp"):
        return _plan_rule(_daily_plan(_plan(decision, policy_type), period_days), L)
    if policy_type == "replacement":
        R = _number(decision, "R", policy_type, BASELINE_REVIEW_DAYS)
        return replacement_rule(ceil_units(a * (L + R)), R, _number(decision, "offset", policy_type, 0))
    if policy_type == "days_of_cover":
        R = _number(decision, "R", policy_type, BASELINE_REVIEW_DAYS)
        cover = _number(decision, "cover_days", policy_type, L + R)
        return days_of_cover_rule(cover, a, R, _number(decision, "offset", policy_type, 0))
    if policy_type == "none":
        return NO_ORDERS
    known = ", ".join((*OPTIMIZED_TYPES, *BASELINE_TYPES))
    raise ValueError(f"unknown policy type {policy_type!r}; expected one of {known}")


def _plan_rule(x: np.ndarray, L: int) -> Rule:
    """order_up_to from a lot-sizing plan (module docstring)."""
    order_days = np.flatnonzero(x > 0)
    T = len(x)
    R = max(1, math.floor(float(np.median(np.diff(order_days))) + 0.5)) if len(order_days) >= 2 else T
    S = ceil_units(float(x.sum()) / T * (L + R))
    offset = (int(order_days[0]) - L) % R if len(order_days) else 0
    return order_up_to_rule(R, S, offset)


def _daily_plan(x: np.ndarray, period_days: int) -> np.ndarray:
    """A plan over periods of ``period_days`` days as a daily plan: each period's quantity on its first day."""
    if period_days == 1:
        return x
    daily = np.zeros(len(x) * period_days)
    daily[::period_days] = x
    return daily


def _number(decision: Mapping[str, Any], name: str, policy_type: str, default: float | None = None) -> float:
    value = decision.get(name, default)
    if value is None:
        raise ValueError(f"{policy_type} decision: missing {name!r}")
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{policy_type} decision: {name!r} must be a number (this item's own value), got {value!r}")
    return float(value)


def _plan(decision: Mapping[str, Any], policy_type: str) -> np.ndarray:
    x = decision.get("x")
    if not isinstance(x, list | tuple | np.ndarray) or len(x) == 0:
        raise ValueError(f"{policy_type} decision: 'x' must be this item's non-empty plan (a list of numbers)")
    if any(isinstance(v, list | tuple) for v in x):
        raise ValueError(f"{policy_type} decision: 'x' is a list of plans; pass this item's own plan")
    return np.asarray(x, dtype=np.float64)


def attach_rules(
    frame: pd.DataFrame,
    *,
    type_column: str = "policy_type",
    decision_column: str = "decision_json",
    a_column: str = "a",
    L_column: str = "L",
    period_column: str | None = None,
) -> pd.DataFrame:
    """``frame`` with RULE_COLUMNS added from each row's policy type and decision (a dict or JSON text, as in
    policy results). A row without a decision (an unsolved policy) gets ``rule_kind`` None, which the replay reports
    as an invalid item; a malformed decision raises ValueError naming the row."""
    rows = []
    periods = frame[period_column] if period_column else pd.Series(1, index=frame.index)
    for position, (policy_type, decision, a, L, period_days) in enumerate(
        zip(frame[type_column], frame[decision_column], frame[a_column], frame[L_column], periods, strict=True)
    ):
        parsed = json.loads(decision) if isinstance(decision, str) else decision
        if not isinstance(parsed, Mapping) and policy_type not in BASELINE_TYPES:  # None / NaN: nothing solved
            rows.append(Rule(None).columns())
            continue
        try:
            decision_or_none = parsed if isinstance(parsed, Mapping) else None
            rule = rule_from_decision(policy_type, decision_or_none, a=float(a), L=int(L), period_days=int(period_days))
            rows.append(rule.columns())
        except ValueError as exc:
            raise ValueError(f"row {position}: {exc}") from None
    rules = pd.DataFrame(rows, columns=[name for name, _ in RULE_COLUMNS], index=frame.index)
    return frame.drop(columns=[c for c in rules.columns if c in frame.columns]).join(rules)


class RuleExecutor:
    """Runs the rules of a group of items, vectorised: call :meth:`record_sales` then :meth:`needed` once per day.

    ``params`` holds one float array per RULE_COLUMNS parameter (NaN where unused), ``kinds`` the kind codes."""

    def __init__(self, kinds: np.ndarray, params: Mapping[str, np.ndarray], n_days: int) -> None:
        self._params = params
        self._kinds = [(code, None if np.all(kinds == code) else kinds == code) for code in np.unique(kinds)]
        self._has = {code for code, _ in self._kinds}
        periodic = np.isin(kinds, REVIEW_KINDS)
        period = np.where(periodic, params["review_period"], 1.0)
        offset = np.nan_to_num(params["review_offset"], nan=0.0)
        days = np.arange(n_days, dtype=np.float64)[:, None]
        self.review_due = periodic & ((days - offset) % period == 0)
        """(n_days, n_items): whether each item reviews at the end of each day."""
        self._replacement = kinds == REPLACEMENT
        self._sold_since_review = np.nan_to_num(params["initial_order"], nan=0.0)
        prior = np.nan_to_num(params["prior_daily_sales"], nan=0.0)
        self._sales_history = np.tile(prior, (SALES_HISTORY_DAYS, 1))
        self._sales_sum = prior * SALES_HISTORY_DAYS

    def record_sales(self, day: int, sold: np.ndarray) -> None:
        """Today's sales, before :meth:`needed` (replacement and days_of_cover count them)."""
        if REPLACEMENT in self._has:
            self._sold_since_review += sold
        if DAYS_OF_COVER in self._has:
            slot = day % SALES_HISTORY_DAYS
            self._sales_sum += sold - self._sales_history[slot]
            self._sales_history[slot] = sold

    def needed(self, day: int, position: np.ndarray) -> np.ndarray:
        """Units each item needs at the end of ``day`` given its inventory position (≤ 0: no order). Closes the
        review period of replacement items reviewing today."""
        need = np.zeros_like(position)
        for code, mask in self._kinds:
            if code == NONE:
                continue
            part = self._need_of_kind(code, day, position)
            need = part if mask is None else np.where(mask, part, need)
        if REPLACEMENT in self._has:
            self._sold_since_review[self.review_due[day] & self._replacement] = 0.0
        return need

    def _need_of_kind(self, code: int, day: int, position: np.ndarray) -> np.ndarray:
        p = self._params
        if code == REORDER_POINT:
            s, Q = p["reorder_point"], p["order_quantity"]
            return np.where(position <= s, (np.floor((s - position) / Q) + 1.0) * Q, 0.0)
        due = self.review_due[day]
        if code == ORDER_UP_TO:
            return np.where(due, p["order_up_to"] - position, 0.0)
        if code == REPLACEMENT:
            return np.where(due, self._sold_since_review, 0.0)
        target = np.ceil(np.round(p["cover_days"] * self._sales_sum / SALES_HISTORY_DAYS, 9))
        return np.where(due, target - position, 0.0)
