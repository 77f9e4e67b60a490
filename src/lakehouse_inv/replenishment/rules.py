"""Executable replenishment rules: what an item orders at the end of each day, built from a policy decision.

A rule only decides how many units are *needed*; supplier terms (:mod:`lakehouse_inv.replenishment.terms`) then turn the
need into an order line. ``IP`` is the inventory position at the end of the day after sales and disposal: on hand +
on order (there are no backorders). Days are numbered from the replay's first day (day 0).

=================  =====================================================================================
``reorder_point``  (s, Q), continuous review: if IP ≤ s, need n·Q with the smallest n such that IP + n·Q > s,
                   i.e. n = ⌊(s − IP)/Q⌋ + 1.
``order_up_to``    (R, S, offset): on review days, (day − offset) mod R = 0, need S − IP. With
                   ``review_calendar`` = 1 the days are counted on the calendar instead (day numbers since
                   1970-01-01, the delivery calendar's epoch), so a rule replaced by one with the same R keeps its
                   rhythm rather than reviewing again on the day it took effect.
``replacement``    baseline "order last week's sales": on review days (R, offset) need the units sold since
                   the previous review (today included). Before the first review the count starts at
                   ``initial_order``, so the first review orders the opening stock.
``days_of_cover``  baseline: on review days need ⌈cover_days × average daily sales⌉ − IP, the average taken
                   over the last SALES_HISTORY_DAYS days (days before day 0 count as ``prior_daily_sales``).
``service_cover``  baseline: on review days need ⌈cover_days × m + safety_z × σ × √cover_days⌉ − IP, where m
                   and σ are the mean and (population) standard deviation of the daily sales on the *in-stock*
                   days among the last SALES_HISTORY_DAYS days: days that opened with stock (after the morning
                   delivery). A day that opened with an empty shelf sold nothing whatever its demand and is left
                   out, so a stock-out does not shrink the average and the next orders with it. Days before
                   day 0 are in stock, with mean ``prior_daily_sales`` and variance ``prior_daily_variance``;
                   with no in-stock day in the window m = prior_daily_sales and σ = 0. With a shelf life
                   ``sell_within_days`` the need is capped at ⌊m × sell_within_days − max(0, IP − m ×
                   (lead_days − 1))⌋: what the new batch can sell before it expires at the average rate, after
                   the stock expected to be left when it arrives has sold first (IP minus the sales of the
                   lead_days − 1 days between the order, placed after closing, and the delivery).
``none``           never orders.
=================  =====================================================================================

:func:`rule_from_decision` maps docs/policies.md decisions to rules through each type's :class:`DecisionRule`: the
baselines' are :data:`BASELINE_RULES`, each optimized type's is in its ``PolicyType`` spec
(:mod:`lakehouse_inv.optimize.policy_types`), one of the readers below (⌈x⌉ is taken after rounding x to 9
decimals, so 0.1·30 = 3.0000000000000004 gives 3):

* ``sQ``, ``sQ_perishable``: reorder_point(s, Q) from the decision.
* ``ceoq``: reorder_point(s = ⌈a·(L + every − 1)⌉, Q from the decision): the forecast demand over the protection
  interval. Orders go out on the supplier's delivery days only (every ``delivery_every`` days), so an order not
  placed today waits ``every`` days and the stock must last until the next order's delivery: L + every − 1 days of
  sales (L when deliveries are daily), the interval sQ's solver plans with. It is the deterministic EOQ's own
  reorder point on that calendar, not safety stock: ceoq's model has no demand spread or shortage cost to size
  any, and holding none is what sets it apart from sQ.
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
* ``service_cover`` (baseline, what a competent store manager does; decision may give ``R``, the longest review
  period, default 7, ``service_level``, default 0.95, ``shelf_life_days``, ``demand_variance``, ``offset``):
  review every R' = max(1, min(R, ⌊shelf life / 2⌋)) days (R without a shelf life: each batch gets at least two
  reviews before it expires, so short-life products are reviewed daily; reviewing only once per shelf life
  leaves the cap no room for safety stock and lets the sales average shrink after every stock-out),
  cover_days = L + R', safety_z = max(0, Φ⁻¹(min(service_level, MAX_SERVICE_LEVEL))) (the safety stock
  z·σ·√(L + R') is z × the coefficient of variation σ/m × √(L + R') days of average sales), sell_within_days =
  shelf life, lead_days = L, prior_daily_sales = a and prior_daily_variance = ``demand_variance`` (default a, as
  for Poisson demand).
* ``none``: never orders (tests; a store that stopped ordering).

``min_inventory`` m (the store's minimum stock, optional): every optimized type's level is raised to it, s ← max(s, m)
for reorder_point and S ← max(S, m) for order_up_to rules. sQ, sQ_perishable, RS and nvbudget decisions already
satisfy it (their models constrain s or S, :mod:`lakehouse_inv.optimize.targets`); it matters for ceoq, ww and clsp,
whose levels are derived here. Baselines are left as they are (they model what the store does without the system).

Rule parameters are validated where rules run (:mod:`lakehouse_inv.replenishment.items`), so a rule frame from any
source gets the same checks.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from lakehouse_inv.ranges import SERVICE_LEVEL

REORDER_POINT, ORDER_UP_TO, REPLACEMENT, DAYS_OF_COVER, NONE, SERVICE_COVER = 0, 1, 2, 3, 4, 5
RULE_KINDS = ("reorder_point", "order_up_to", "replacement", "days_of_cover", "none", "service_cover")
"""Rule kind names indexed by the codes above."""
REVIEW_KINDS = (ORDER_UP_TO, REPLACEMENT, DAYS_OF_COVER, SERVICE_COVER)

BASELINE_REVIEW_DAYS = 7
MAX_SERVICE_LEVEL = SERVICE_LEVEL.high
"""service_cover: a service level of 1 (no stock-out ever) has no normal quantile; it is read as this (z = 3.72)."""
SALES_HISTORY_DAYS = 28

RULE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rule_kind", "string"),
    ("reorder_point", "double"),
    ("order_quantity", "double"),
    ("review_period", "double"),
    ("order_up_to", "double"),
    ("review_offset", "double"),
    ("review_calendar", "double"),
    ("initial_order", "double"),
    ("cover_days", "double"),
    ("prior_daily_sales", "double"),
    ("prior_daily_variance", "double"),
    ("safety_z", "double"),
    ("sell_within_days", "double"),
    ("lead_days", "double"),
)
"""Rule columns of a replay items frame (name, Spark type); NaN where a kind does not use a parameter. Named, not
lettered: Spark resolves column names case-insensitively, so ``s`` and ``S`` would collide."""

RULE_PARAMETERS: dict[str, dict[str, str]] = {
    "reorder_point": {"reorder_point": "finite", "order_quantity": "positive"},
    "order_up_to": {
        "review_period": "whole_positive",
        "order_up_to": "finite",
        "review_offset": "whole_or_missing",
        "review_calendar": "whole_or_missing",
    },
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
    "service_cover": {
        "review_period": "whole_positive",
        "cover_days": "positive",
        "prior_daily_sales": "non_negative",
        "review_offset": "whole_or_missing",
        "prior_daily_variance": "non_negative_or_missing",
        "safety_z": "non_negative_or_missing",
        "sell_within_days": "whole_limit",
        "lead_days": "whole_or_missing",
    },
    "none": {},
}
"""Parameters each kind needs, with the check (named in :data:`lakehouse_inv.replenishment.items.CHECKS`) they must
pass; a missing review_offset, prior_daily_variance or safety_z is 0, a missing lead_days 1 and a missing
sell_within_days no cap."""


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
    review_calendar: float = math.nan
    initial_order: float = math.nan
    cover_days: float = math.nan
    prior_daily_sales: float = math.nan
    prior_daily_variance: float = math.nan
    safety_z: float = math.nan
    sell_within_days: float = math.nan
    lead_days: float = math.nan

    def columns(self) -> dict[str, Any]:
        """The rule as RULE_COLUMNS values, for one row of a replay items frame."""
        return asdict(self)


def reorder_point_rule(s: float, Q: float) -> Rule:
    """(s, Q): order multiples of Q once IP ≤ s."""
    return Rule("reorder_point", reorder_point=float(s), order_quantity=float(Q))


def order_up_to_rule(R: int, S: float, offset: int = 0, *, calendar: bool = False) -> Rule:
    """(R, S): every R days from day ``offset``, order up to S; with ``calendar`` the days are the calendar's
    (module docstring)."""
    return Rule(
        "order_up_to",
        review_period=float(R),
        order_up_to=float(S),
        review_offset=float(offset),
        review_calendar=1.0 if calendar else math.nan,
    )


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


def service_cover_rule(
    cover_days: float,
    prior_daily_sales: float,
    R: int,
    offset: int = 0,
    *,
    safety_z: float,
    prior_daily_variance: float,
    sell_within_days: float = math.nan,
    lead_days: float,
) -> Rule:
    """Baseline: every R days, order up to ``cover_days`` of the in-stock average daily sales plus ``safety_z``
    standard deviations of the sales over ``cover_days``, within what sells before expiry (module docstring)."""
    return Rule(
        "service_cover",
        review_period=float(R),
        cover_days=float(cover_days),
        prior_daily_sales=float(prior_daily_sales),
        review_offset=float(offset),
        prior_daily_variance=float(prior_daily_variance),
        safety_z=float(safety_z),
        sell_within_days=float(sell_within_days),
        lead_days=float(lead_days),
    )


def store_manager_rule(
    *,
    a: float,
    L: int,
    service_level: float = 0.95,
    shelf_life_days: float | None = None,
    demand_variance: float | None = None,
    R: int = BASELINE_REVIEW_DAYS,
    offset: int = 0,
) -> Rule:
    """The ``service_cover`` baseline of one item from its forecast rate, lead time, service level and shelf life
    (module docstring)."""
    if not 0 <= service_level <= 1:
        raise ValueError(f"service_cover decision: 'service_level' must be in [0, 1], got {service_level:g}")
    life = math.nan if shelf_life_days is None else float(shelf_life_days)
    if life < 1:
        raise ValueError(f"service_cover decision: 'shelf_life_days' must be >= 1, got {life:g}")
    review = max(1, min(int(R), int(life // 2))) if math.isfinite(life) else int(R)
    return service_cover_rule(
        L + review,
        a,
        review,
        offset,
        safety_z=max(0.0, NormalDist().inv_cdf(min(max(service_level, SERVICE_LEVEL.low), MAX_SERVICE_LEVEL))),
        prior_daily_variance=a if demand_variance is None else float(demand_variance),
        sell_within_days=life,
        lead_days=float(L),
    )


NO_ORDERS = Rule("none")


def ceil_units(x: float) -> int:
    """⌈x⌉ after rounding x to 9 decimals (float noise must not add a unit)."""
    return math.ceil(round(x, 9))


RuleReader = Callable[[Mapping[str, Any], float, int, int], Rule]
"""``(decision, a, L, period_days) -> Rule``: one item's executable rule from its decision (module docstring)."""


@dataclass(frozen=True)
class DecisionRule:
    """How one policy type's decision becomes a rule. ``optimized``: the level is raised to the item's
    ``min_inventory`` (baselines model what the store does without the system and are left as they are); a row of
    an optimized type without a decision (an unsolved policy) gets no rule, a baseline needs none.
    ``protection_interval``: the reader is given the protection interval L + delivery_every − 1 as its L, for a
    reorder point the decision does not set (ceoq): orders go out on the supplier's delivery days only, so a reorder
    point seen on one must carry the demand until the order after the next can arrive, not only the lead time
    (sQ's solver plans with the same interval, :func:`lakehouse_inv.optimize.frames.item_rows`)."""

    read: RuleReader
    optimized: bool = True
    protection_interval: bool = False


def reorder_point_reader(decision: Mapping[str, Any], a: float, L: int, period_days: int, *, kind: str) -> Rule:
    """reorder_point(s, Q) from the decision's s and Q (sQ, sQ_perishable)."""
    return reorder_point_rule(_number(decision, "s", kind), _number(decision, "Q", kind))


def lead_time_reorder_point_reader(
    decision: Mapping[str, Any], a: float, L: int, period_days: int, *, kind: str
) -> Rule:
    """reorder_point(⌈a·L⌉, Q): the decision gives only Q (ceoq); reorder at the forecast demand over L, the
    protection interval when the type's :class:`DecisionRule` asks for it (no safety stock: the model is
    deterministic, with neither a demand spread nor a shortage cost to size one)."""
    return reorder_point_rule(ceil_units(a * L), _number(decision, "Q", kind))


def order_up_to_reader(decision: Mapping[str, Any], a: float, L: int, period_days: int, *, kind: str) -> Rule:
    """order_up_to(R, S, offset 0) from the decision's R and S (RS)."""
    return order_up_to_rule(_number(decision, "R", kind), _number(decision, "S", kind))


def calendar_order_up_to_reader(decision: Mapping[str, Any], a: float, L: int, period_days: int, *, kind: str) -> Rule:
    """order_up_to(R, S) on the calendar (jrp): a partition's items review on the same calendar days every R days,
    and a re-optimization that keeps R keeps the shipments' rhythm."""
    return order_up_to_rule(_number(decision, "R", kind), _number(decision, "S", kind), calendar=True)


def newsvendor_reader(decision: Mapping[str, Any], a: float, L: int, period_days: int, *, kind: str) -> Rule:
    """order_up_to(R, s + ⌈a·(L − 1)⌉): the newsvendor level plus the demand still to sell before it arrives."""
    R = _number(decision, "R", kind, 1)
    return order_up_to_rule(R, _number(decision, "s", kind) + ceil_units(a * (L - 1)))


def plan_reader(decision: Mapping[str, Any], a: float, L: int, period_days: int, *, kind: str) -> Rule:
    """order_up_to from a lot-sizing plan x (ww, clsp), spread to days first."""
    return _plan_rule(_daily_plan(_plan(decision, kind), period_days), L)


def _replacement(decision: Mapping[str, Any], a: float, L: int, period_days: int) -> Rule:
    R = _number(decision, "R", "replacement", BASELINE_REVIEW_DAYS)
    return replacement_rule(ceil_units(a * (L + R)), R, _number(decision, "offset", "replacement", 0))


def _days_of_cover(decision: Mapping[str, Any], a: float, L: int, period_days: int) -> Rule:
    R = _number(decision, "R", "days_of_cover", BASELINE_REVIEW_DAYS)
    cover = _number(decision, "cover_days", "days_of_cover", L + R)
    return days_of_cover_rule(cover, a, R, _number(decision, "offset", "days_of_cover", 0))


def _service_cover(decision: Mapping[str, Any], a: float, L: int, period_days: int) -> Rule:
    kind = "service_cover"
    life, variance = decision.get("shelf_life_days"), decision.get("demand_variance")
    return store_manager_rule(
        a=a,
        L=L,
        service_level=_number(decision, "service_level", kind, 0.95),
        shelf_life_days=None if life is None else _number(decision, "shelf_life_days", kind),
        demand_variance=None if variance is None else _number(decision, "demand_variance", kind),
        R=int(_number(decision, "R", kind, BASELINE_REVIEW_DAYS)),
        offset=int(_number(decision, "offset", kind, 0)),
    )


BASELINE_RULES: dict[str, DecisionRule] = {
    "replacement": DecisionRule(_replacement, optimized=False),
    "days_of_cover": DecisionRule(_days_of_cover, optimized=False),
    "service_cover": DecisionRule(_service_cover, optimized=False),
    "none": DecisionRule(lambda decision, a, L, period_days: NO_ORDERS, optimized=False),
}
"""The baselines (no decision needed). The optimized policy types' rules are in their ``PolicyType`` specs
(:data:`lakehouse_inv.optimize.policy_types.DECISION_RULES` is both); callers pass those to
:func:`rule_from_decision` and :func:`attach_rules`."""


def rule_from_decision(
    policy_type: str,
    decision: Mapping[str, Any] | None,
    *,
    a: float,
    L: int,
    period_days: int = 1,
    min_inventory: float = 0.0,
    delivery_every: int = 1,
    rules: Mapping[str, DecisionRule] = BASELINE_RULES,
) -> Rule:
    """The executable rule of one item (module docstring for the formulas), for optimized types put on the supplier's
    delivery rhythm (:func:`on_delivery_rhythm`, ``delivery_every`` days) and its level raised to ``min_inventory``.
    ``decision`` is the item's own decision (docs/policies.md names; list types give this item's entry, ww/clsp its
    plan ``x``); ``a`` is the forecast demand per day, ``L`` the lead time in days and
    ``period_days`` the length of a ww/clsp plan period (the plan is read as daily, each period's quantity on its
    first day). ``rules`` maps the known policy types to their :class:`DecisionRule`. Raises ValueError for an
    unknown type or a malformed decision."""
    if policy_type not in rules:
        raise ValueError(f"unknown policy type {policy_type!r}; expected one of {', '.join(rules)}")
    known = rules[policy_type]
    lead = L + max(int(delivery_every), 1) - 1 if known.optimized and known.protection_interval else L
    rule = known.read(decision or {}, a, lead, period_days)
    if not known.optimized:
        return rule
    rule = on_delivery_rhythm(rule, a, delivery_every)
    if not min_inventory > 0:
        return rule
    if rule.rule_kind == "reorder_point" and rule.reorder_point < min_inventory:
        return replace(rule, reorder_point=float(min_inventory))
    if rule.rule_kind == "order_up_to" and rule.order_up_to < min_inventory:
        return replace(rule, order_up_to=float(min_inventory))
    return rule


def on_delivery_rhythm(rule: Rule, a: float, every: int) -> Rule:
    """An order_up_to rule whose review period R is not a multiple of the supplier's delivery rhythm (orders go out
    on delivery days only, so the replay and ``generate_orders`` move each review to the next one): R' = the next
    multiple of ``every``, and S' = S + ⌈a·(R' − R)⌉, the forecast demand of the days the longer cycle adds. A rule
    already on the rhythm (RS solves R on it) is unchanged; so is every other kind."""
    every = max(int(every), 1)
    if rule.rule_kind != "order_up_to" or every == 1 or int(rule.review_period) % every == 0:
        return rule
    R = every * math.ceil(rule.review_period / every)
    return replace(
        rule,
        review_period=float(R),
        order_up_to=rule.order_up_to + ceil_units(a * (R - rule.review_period)),
        review_offset=float(np.nan_to_num(rule.review_offset) % R),
    )


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
    min_inventory_column: str = "min_inventory",
    delivery_column: str = "delivery_every",
    rules: Mapping[str, DecisionRule] = BASELINE_RULES,
) -> pd.DataFrame:
    """``frame`` with RULE_COLUMNS added from each row's policy type (one of ``rules``) and decision (a dict or JSON
    text, as in policy results). A row of an optimized type without a decision (an unsolved policy) gets
    ``rule_kind`` None, which the replay reports as an invalid item; a malformed decision raises ValueError naming the
    row. Where the frame has ``min_inventory_column`` (null = 0), optimized types' levels are raised to it; where it
    has ``delivery_column`` (null = 1), their rules are put on the delivery rhythm (:func:`on_delivery_rhythm`)."""
    rows = []
    periods = frame[period_column] if period_column else pd.Series(1, index=frame.index)
    floors = frame[min_inventory_column] if min_inventory_column in frame.columns else pd.Series(0, index=frame.index)
    floors = pd.to_numeric(floors, errors="coerce").fillna(0.0)
    rhythm = frame[delivery_column] if delivery_column in frame.columns else pd.Series(1, index=frame.index)
    rhythm = pd.to_numeric(rhythm, errors="coerce").fillna(1).astype(int)
    columns = (frame[type_column], frame[decision_column], frame[a_column], frame[L_column], periods, floors, rhythm)
    for position, (policy_type, decision, a, L, period_days, floor, every) in enumerate(zip(*columns, strict=True)):
        parsed = json.loads(decision) if isinstance(decision, str) else decision
        known = rules.get(policy_type)
        if not isinstance(parsed, Mapping) and (known is None or known.optimized):  # None / NaN: nothing solved
            rows.append(Rule(None).columns())
            continue
        try:
            decision_or_none = parsed if isinstance(parsed, Mapping) else None
            rule = rule_from_decision(
                policy_type,
                decision_or_none,
                a=float(a),
                L=int(L),
                period_days=int(period_days),
                min_inventory=float(floor),
                delivery_every=int(every),
                rules=rules,
            )
            rows.append(rule.columns())
        except ValueError as exc:
            raise ValueError(f"row {position}: {exc}") from None
    rules = pd.DataFrame(rows, columns=[name for name, _ in RULE_COLUMNS], index=frame.index)
    return frame.drop(columns=[c for c in rules.columns if c in frame.columns]).join(rules)


class RuleExecutor:
    """Runs the rules of a group of items, vectorised: call :meth:`record_sales` then :meth:`needed` once per day.

    ``params`` holds one float array per RULE_COLUMNS parameter (NaN where unused), ``kinds`` the kind codes.
    :meth:`switch` replaces some items' rules from a given day on (a walk-forward re-optimization): what the items
    sold so far stays in their sales windows, and a review rule's calendar restarts on the day it took effect
    (reviews on days ``switch day + offset + k·R``), except for an order_up_to rule on the calendar
    (``review_calendar`` = 1: reviews on the days whose number since 1970-01-01 is ``offset + k·R``; day 0 is
    ``calendar_day0`` days after 1970-01-01, 0 when not given)."""

    def __init__(
        self, kinds: np.ndarray, params: Mapping[str, np.ndarray], n_days: int, calendar_day0: int = 0
    ) -> None:
        self._calendar_day0 = int(calendar_day0)
        self._params = {name: np.array(values, dtype=np.float64) for name, values in params.items()}
        self._kind_codes = np.array(kinds, dtype=np.int64)
        self._days = np.arange(n_days, dtype=np.float64)[:, None]
        self.review_due = np.zeros((n_days, len(self._kind_codes)), dtype=bool)
        """(n_days, n_items): whether each item reviews at the end of each day."""
        self._sold_since_review = np.nan_to_num(self._params["initial_order"], nan=0.0)
        self._prior = np.nan_to_num(self._params["prior_daily_sales"], nan=0.0)
        self._sales = _RollingWindow(self._prior)
        # service_cover: in-stock days only: count, sales and squared sales (a prior day counts its expected square)
        prior_square = self._prior**2 + np.nan_to_num(self._params["prior_daily_variance"], nan=0.0)
        self._in_stock = (_RollingWindow(np.ones_like(self._prior)), _RollingWindow(self._prior))
        self._in_stock_squares = _RollingWindow(prior_square)
        self._derive(np.arange(len(self._kind_codes)), 0)

    def _derive(self, items: np.ndarray, day: int) -> None:
        """Recompute what follows from the parameters of ``items``, whose rules apply from ``day``."""
        kinds, p = self._kind_codes, self._params
        self._kinds = [(code, None if np.all(kinds == code) else kinds == code) for code in np.unique(kinds)]
        self._has = {code for code, _ in self._kinds}
        periodic = np.isin(kinds[items], REVIEW_KINDS)
        period = np.where(periodic, p["review_period"][items], 1.0)
        offset = np.nan_to_num(p["review_offset"][items], nan=0.0)
        days = self._days[day:] - day
        calendar = p.get("review_calendar")
        if calendar is not None:
            on_calendar = np.nan_to_num(calendar[items], nan=0.0) > 0
            days = np.where(on_calendar, self._days[day:] + self._calendar_day0, days)
        self.review_due[day:, items] = periodic & ((days - offset) % period == 0)
        self._replacement = kinds == REPLACEMENT
        self._safety_z = np.nan_to_num(p["safety_z"], nan=0.0)
        self._sell_within = p["sell_within_days"]
        self._capped = np.isfinite(self._sell_within)
        self._days_before_arrival = np.maximum(np.nan_to_num(p["lead_days"], nan=1.0) - 1.0, 0.0)
        self._prior = np.nan_to_num(p["prior_daily_sales"], nan=0.0)

    def switch(self, day: int, items: np.ndarray, kinds: np.ndarray, params: Mapping[str, np.ndarray]) -> None:
        """From the end of ``day`` on, ``items`` (indices) run the rules ``kinds``/``params`` (one entry per index).
        An item switching to a replacement rule starts counting at its ``initial_order``."""
        items = np.asarray(items, dtype=np.int64)
        newly_replacement = (np.asarray(kinds) == REPLACEMENT) & (self._kind_codes[items] != REPLACEMENT)
        self._kind_codes[items] = kinds
        for name, values in params.items():
            self._params[name][items] = values
        started = items[newly_replacement]
        self._sold_since_review[started] = np.nan_to_num(self._params["initial_order"][started], nan=0.0)
        self._derive(items, day)

    def record_sales(self, day: int, sold: np.ndarray, in_stock: np.ndarray | None = None) -> None:
        """Today's sales, before :meth:`needed` (replacement, days_of_cover and service_cover count them), and
        whether each item opened the day with stock (service_cover averages in-stock days only; None = all).
        Every item's windows are kept, whatever its rule, so a rule switched in later sees the sales before."""
        self._sold_since_review += sold
        self._sales.push(day, sold)
        counted = np.ones_like(sold) if in_stock is None else in_stock.astype(np.float64)
        days, sales = self._in_stock
        days.push(day, counted)
        sales.push(day, sold * counted)
        self._in_stock_squares.push(day, sold * sold * counted)

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
        if code == DAYS_OF_COVER:
            target = np.ceil(np.round(p["cover_days"] * self._sales.total / SALES_HISTORY_DAYS, 9))
            return np.where(due, target - position, 0.0)
        if not due.any():
            return np.zeros_like(position)
        return np.where(due, self._service_cover_need(position), 0.0)

    def _service_cover_need(self, position: np.ndarray) -> np.ndarray:
        """service_cover: cover days of in-stock sales plus safety stock, minus IP, within the shelf-life cap."""
        cover = self._params["cover_days"]
        days, sales = self._in_stock
        seen = days.total > 0.5
        count = np.where(seen, days.total, 1.0)
        mean = np.where(seen, sales.total / count, self._prior)
        variance = np.where(seen, np.maximum(self._in_stock_squares.total / count - mean * mean, 0.0), 0.0)
        target = cover * mean + self._safety_z * np.sqrt(variance * np.nan_to_num(cover, nan=0.0))
        need = np.ceil(np.round(target, 9)) - position
        sellable = mean * self._sell_within - np.maximum(position - mean * self._days_before_arrival, 0.0)
        return np.where(self._capped, np.minimum(need, np.floor(np.round(sellable, 9))), need)


class _RollingWindow:
    """Per item the sum of a daily value over the last SALES_HISTORY_DAYS days, the days before day 0 holding
    ``prior``."""

    def __init__(self, prior: np.ndarray) -> None:
        self._history = np.tile(prior, (SALES_HISTORY_DAYS, 1))
        self.total = prior * SALES_HISTORY_DAYS

    def push(self, day: int, value: np.ndarray) -> None:
        slot = day % SALES_HISTORY_DAYS
        self.total = self.total + (value - self._history[slot])
        self._history[slot] = value
