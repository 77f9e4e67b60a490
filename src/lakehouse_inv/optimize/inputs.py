"""Validation of batch-interface inputs (docs/policies.md names) into solvable problems.

Every error names the field: ``sQ.inputs.L: must be an integer >= 0, got -1``. Unknown fields are errors too, so a
typo never silently falls back to a default.

Optional fields beyond docs/policies.md:

* ``demand`` (sQ, sQ_perishable, RS, nvbudget): ``{"family": "poisson"}`` (default),
  ``{"family": "negative_binomial", "variance": v}`` (per-day variance v > a), or
  ``{"family": "empirical", "pmf": [...]}`` (per-day pmf whose mean must equal ``a``). For nvbudget the spec
  describes the single period (mean ``d[i]``) and may be one spec for all items or a list of n specs.
* ``couplings`` (sQ, sQ_perishable, RS): ``[{"usage": "peak" | "average", "capacity": X, "weight": w}]`` caps on
  the item's own stock (weight defaults to 1).
* ``R_max`` (RS): largest review period considered, default 365.
* ``R_step`` (RS): review periods are multiples of it (the supplier's delivery rhythm in days), default 1.
* ``L_ci`` (sQ, sQ_perishable, RS): lead-time spread, +/- days (integer, default 0): the lead time is random and the
  lead-time demand compound (:mod:`lakehouse_inv.optimize.distributions`).
* ``alpha`` (sQ, sQ_perishable, RS): fill-rate target in [0, 1] (default none), a constraint on s or S
  (:mod:`lakehouse_inv.optimize.targets`).
* ``min_inventory`` (sQ, sQ_perishable, RS: integer; nvbudget: a list of n integers): floor on s, S or s_i
  (default 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np

from lakehouse_inv.optimize.ceoq import CeoqItem
from lakehouse_inv.optimize.distributions import DailyDemand
from lakehouse_inv.optimize.jrp import JrpItemInputs, JrpProblem
from lakehouse_inv.optimize.limits import active_limits
from lakehouse_inv.optimize.lotsizing import LotSizingData
from lakehouse_inv.optimize.newsvendor import NewsvendorItem
from lakehouse_inv.optimize.options import USAGE_KINDS, Coupling, ItemOptions
from lakehouse_inv.optimize.rs import DEFAULT_R_MAX, RSItem
from lakehouse_inv.optimize.sq import SQItem


class PolicyInputError(ValueError):
    """Invalid problem input; the message starts with the offending field, e.g. ``sQ.inputs.L``."""


@dataclass(frozen=True)
class OptionProblem:
    """Items choosing one option each (MCK) under couplings; ``list_decisions`` for n-item types (ceoq, nvbudget)."""

    items: list[ItemOptions]
    couplings: list[Coupling] = field(default_factory=list)
    list_decisions: bool = False


@dataclass(frozen=True)
class LotSizingProblem:
    """A ww (``per_product_lists=False``: decision ``x`` is one list) or clsp problem."""

    data: LotSizingData
    per_product_lists: bool


Problem = OptionProblem | LotSizingProblem | JrpProblem


MAX_MAGNITUDE = 1e12
"""Largest |value| of any numeric input. Every quantity of a problem (units a day, days, money per unit) is far
below it; a larger one is a unit or typing error, and products and ratios of two fields (``pi / h``) must stay
finite in the solvers' floats and integers."""
MIN_MAGNITUDE = 1e-12
"""Smallest |value| of a non-zero numeric input, for the same reason (``1 / h`` with ``h = 1e-320`` overflows)."""


def _magnitude(fields: Fields, name: str, value: Any) -> None:
    if abs(value) > MAX_MAGNITUDE or 0 < abs(value) < MIN_MAGNITUDE:
        raise fields.fail(name, f"must be 0 or between {MIN_MAGNITUDE:g} and {MAX_MAGNITUDE:g} in magnitude", value)


class Fields:
    """Reads one problem's inputs, remembering which fields were used."""

    def __init__(self, type_id: str, inputs: Any) -> None:
        if not isinstance(inputs, Mapping):
            raise PolicyInputError(f"{type_id}.inputs: must be an object, got {type(inputs).__name__}")
        self.prefix = f"{type_id}.inputs"
        self.inputs = inputs
        self.used: set[str] = set()

    def fail(self, name: str, requirement: str, value: Any) -> PolicyInputError:
        shown = value.item() if isinstance(value, np.generic) else value
        return PolicyInputError(f"{self.prefix}.{name}: {requirement}, got {shown!r}")

    def raw(self, name: str, default: Any = ...) -> Any:
        self.used.add(name)
        if name not in self.inputs or self.inputs[name] is None:
            if default is ...:
                raise PolicyInputError(f"{self.prefix}.{name}: is required")
            return default
        return self.inputs[name]

    def check_number(self, name: str, value: Any, minimum: float, strict: bool) -> float:
        sign = ">" if strict else ">="
        if isinstance(value, bool | np.bool_) or not isinstance(value, Real) or not math.isfinite(value):
            raise self.fail(name, f"must be a number {sign} {minimum:g}", value)
        if value < minimum or (strict and value == minimum):
            raise self.fail(name, f"must be a number {sign} {minimum:g}", value)
        _magnitude(self, name, value)
        return float(value)

    def number(self, name: str, minimum: float = 0.0, strict: bool = False, default: Any = ...) -> float:
        return self.check_number(name, self.raw(name, default), minimum, strict)

    def integer(self, name: str, minimum: int = 0, default: Any = ...) -> int:
        value = self.raw(name, default)
        integral = isinstance(value, Integral) or (isinstance(value, Real) and float(value).is_integer())
        if isinstance(value, bool | np.bool_) or not integral or value < minimum:
            raise self.fail(name, f"must be an integer >= {minimum}", value)
        _magnitude(self, name, value)
        return int(value)

    def numbers(self, name: str, length: int, minimum: float = 0.0, strict: bool = False) -> np.ndarray:
        values = self.raw(name)
        if not isinstance(values, list | tuple) or len(values) != length:
            raise self.fail(name, f"must be a list of {length} numbers", values)
        return np.array([self.check_number(f"{name}[{j}]", v, minimum, strict) for j, v in enumerate(values)])

    def matrix(self, name: str, rows: int, columns: int) -> np.ndarray:
        values = self.raw(name)
        if not isinstance(values, list | tuple) or len(values) != rows:
            raise self.fail(name, f"must be a list of {rows} lists", values)
        result = np.zeros((rows, columns))
        for i, row in enumerate(values):
            if not isinstance(row, list | tuple) or len(row) != columns:
                raise self.fail(f"{name}[{i}]", f"must be a list of {columns} numbers", row)
            result[i] = [self.check_number(f"{name}[{i}][{t}]", v, 0.0, False) for t, v in enumerate(row)]
        return result

    def finish(self) -> None:
        unknown = sorted(set(self.inputs) - self.used)
        if unknown:
            raise PolicyInputError(f"{self.prefix}.{unknown[0]}: unknown field")


def _daily_demand(fields: Fields, name: str, spec: Any, mean: float, mean_name: str) -> DailyDemand:
    """Per-day demand from a ``demand`` spec (None = Poisson) whose mean must be ``mean`` (field ``mean_name``)."""
    families = {"poisson": set(), "negative_binomial": {"variance"}, "empirical": {"pmf"}}
    if spec is None:
        return DailyDemand.poisson(mean)
    if not isinstance(spec, Mapping) or spec.get("family", "poisson") not in families:
        raise fields.fail(name, 'must be {"family": "poisson" | "negative_binomial" | "empirical", ...}', spec)
    family = spec.get("family", "poisson")
    unknown = sorted(set(spec) - {"family"} - families[family])
    if unknown:
        raise PolicyInputError(f"{fields.prefix}.{name}.{unknown[0]}: unknown field for family {family}")
    if family == "poisson":
        return DailyDemand.poisson(mean)
    if family == "negative_binomial":
        variance = fields.check_number(f"{name}.variance", spec.get("variance"), 0.0, True)
        if not variance > mean > 0:
            raise fields.fail(f"{name}.variance", f"must exceed {mean_name} = {mean:g} (which must be > 0)", variance)
        return DailyDemand.negative_binomial(mean, variance)
    try:
        demand = DailyDemand.empirical(spec.get("pmf"))
    except (TypeError, ValueError) as exc:
        raise fields.fail(f"{name}.pmf", f"must be a per-day pmf ({exc})", spec.get("pmf")) from None
    if abs(demand.mean - mean) > 1e-6 * max(1.0, mean):
        raise fields.fail(f"{name}.pmf", f"mean {demand.mean:.9g} must equal {mean_name} = {mean:g}", spec.get("pmf"))
    return demand


_COUPLING_FIELDS = {"usage", "capacity", "weight"}


def _item_couplings(fields: Fields) -> list[Coupling]:
    specs = fields.raw("couplings", [])
    if not isinstance(specs, list):
        raise fields.fail("couplings", "must be a list", specs)
    couplings = []
    for k, spec in enumerate(specs):
        name = f"couplings[{k}]"
        if not isinstance(spec, Mapping) or spec.get("usage") not in USAGE_KINDS or set(spec) - _COUPLING_FIELDS:
            raise fields.fail(name, 'must be {"usage": "peak" | "average", "capacity": X, "weight": w}', spec)
        capacity = fields.check_number(f"{name}.capacity", spec.get("capacity"), 0.0, False)
        weight = fields.check_number(f"{name}.weight", spec.get("weight", 1.0), 0.0, False)
        couplings.append(Coupling(spec["usage"], capacity, np.array([weight])))
    return couplings


def _single_sku(fields: Fields) -> tuple[float, int, float, float, float]:
    """``a, L, h, K, pi`` shared by sQ, sQ_perishable and RS (h > 0, else stock would be free)."""
    a, L = fields.number("a"), fields.integer("L")
    return a, L, fields.number("h", strict=True), fields.number("K"), fields.number("pi")


def _targets(fields: Fields) -> dict[str, Any]:
    """The optional ``L_ci``, ``alpha`` and ``min_inventory`` of sQ, sQ_perishable and RS."""
    alpha = fields.raw("alpha", None)
    if alpha is not None:
        alpha = fields.check_number("alpha", alpha, 0.0, False)
        if alpha > 1:
            raise fields.fail("alpha", "must be a fill rate in [0, 1]", alpha)
    return {
        "L_ci": fields.integer("L_ci", default=0),
        "alpha": alpha,
        "min_inventory": fields.integer("min_inventory", default=0),
    }


def parse_continuous_review(fields: Fields, perishable: bool) -> OptionProblem:
    a, L, h, K, pi = _single_sku(fields)
    terms = (fields.number("W"), fields.integer("life")) if perishable else None
    demand = _daily_demand(fields, "demand", fields.raw("demand", None), a, "a")
    item = SQItem(a, L, h, K, pi, demand, terms, **_targets(fields))
    return OptionProblem([item], _item_couplings(fields))


def parse_rs(fields: Fields) -> OptionProblem:
    a, L, h, K, pi = _single_sku(fields)
    R_max = fields.integer("R_max", minimum=1, default=DEFAULT_R_MAX)
    R_step = fields.integer("R_step", minimum=1, default=1)
    if R_step > R_max:
        raise fields.fail("R_step", f"must be at most R_max = {R_max}", R_step)
    demand = _daily_demand(fields, "demand", fields.raw("demand", None), a, "a")
    item = RSItem(a, L, h, K, pi, demand, R_max, R_step=R_step, **_targets(fields))
    return OptionProblem([item], _item_couplings(fields))


def parse_ceoq(fields: Fields) -> OptionProblem:
    n = fields.integer("n", minimum=1)
    lam, K = fields.numbers("lam", n), fields.numbers("K", n)
    C = fields.numbers("C", n, strict=True)
    b = fields.number("b")
    items: list[ItemOptions] = [CeoqItem(lam[i], K[i], C[i]) for i in range(n)]
    return OptionProblem(items, [Coupling("average", b, C)], list_decisions=True)


def parse_nvbudget(fields: Fields) -> OptionProblem:
    n = fields.integer("n", minimum=1)
    d, h, b, c = (fields.numbers(name, n) for name in ("d", "h", "b", "c"))
    V = fields.number("V")
    spec = fields.raw("demand", None)
    if isinstance(spec, list) and len(spec) != n:
        raise fields.fail("demand", f"must be one spec or a list of {n} specs", spec)
    specs = [(f"demand[{i}]", spec[i]) for i in range(n)] if isinstance(spec, list) else [("demand", spec)] * n
    floors = [0] * n
    if fields.raw("min_inventory", None) is not None:
        values = fields.numbers("min_inventory", n)
        for i, v in enumerate(values):
            if not float(v).is_integer():
                raise fields.fail(f"min_inventory[{i}]", "must be an integer >= 0", float(v))
        floors = [int(v) for v in values]
    items: list[ItemOptions] = [
        NewsvendorItem(
            h[i], b[i], _daily_demand(fields, specs[i][0], specs[i][1], d[i], f"d[{i}]"), min_inventory=floors[i]
        )
        for i in range(n)
    ]
    return OptionProblem(items, [Coupling("peak", V, c)], list_decisions=True)


def _check_cells(fields: Fields, name: str, products: int, periods: int) -> None:
    """Reject a lot-sizing problem above the size limit before reading its demand or building its MILP."""
    limit = active_limits().max_lot_sizing_cells
    if products * periods > limit:
        raise PolicyInputError(
            f"{fields.prefix}.{name}: {products} product(s) x {periods} periods = {products * periods:,} cells exceed "
            f"the size limit of {limit:,} (solve-policies --max-lot-sizing-cells)"
        )


def parse_ww(fields: Fields) -> LotSizingProblem:
    T = fields.integer("T", minimum=1)
    _check_cells(fields, "T", 1, T)
    data = LotSizingData(
        fields.numbers("d", T)[None, :], np.array([fields.number("K")]), np.array([fields.number("h")])
    )
    return LotSizingProblem(data, per_product_lists=False)


def parse_clsp(fields: Fields) -> LotSizingProblem:
    P, T = fields.integer("P", minimum=1), fields.integer("T", minimum=1)
    _check_cells(fields, "T", P, T)
    data = LotSizingData(fields.matrix("d", P, T), fields.numbers("K", P), fields.numbers("h", P), fields.number("C"))
    return LotSizingProblem(data, per_product_lists=True)


def _optional_list(fields: Fields, name: str, n: int, integer: bool = False, minimum: float = 0.0) -> list[Any]:
    """An optional per-item list (absent = all None); a null entry means "none" for that item."""
    values = fields.raw(name, None)
    if values is None:
        return [None] * n
    if not isinstance(values, list | tuple) or len(values) != n:
        raise fields.fail(name, f"must be a list of {n} numbers (null = none)", values)
    out: list[Any] = []
    for j, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        number = fields.check_number(f"{name}[{j}]", value, minimum, False)
        if integer and not number.is_integer():
            raise fields.fail(f"{name}[{j}]", f"must be an integer >= {minimum:g}", value)
        out.append(int(number) if integer else number)
    return out


def parse_jrp(fields: Fields) -> JrpProblem:
    """Joint replenishment of one store x supplier (:mod:`lakehouse_inv.optimize.jrp`)."""
    n = fields.integer("n", minimum=1)
    a, h, pi = fields.numbers("a", n), fields.numbers("h", n, strict=True), fields.numbers("pi", n)
    L = [int(v) for v in _required_integers(fields, "L", n)]
    every = fields.integer("every", minimum=1, default=1)
    R_max = fields.integer("R_max", minimum=1, default=DEFAULT_R_MAX)
    if R_max < every:
        raise fields.fail("R_max", f"must be >= every = {every} (the review period is a multiple of it)", R_max)
    spec = fields.raw("demand", None)
    if isinstance(spec, list) and len(spec) != n:
        raise fields.fail("demand", f"must be one spec or a list of {n} specs", spec)
    specs = [(f"demand[{i}]", spec[i]) for i in range(n)] if isinstance(spec, list) else [("demand", spec)] * n
    L_ci = _optional_list(fields, "L_ci", n, integer=True)
    alpha = _optional_list(fields, "alpha", n)
    for j, value in enumerate(alpha):
        if value is not None and value > 1:
            raise fields.fail(f"alpha[{j}]", "must be a fill rate in [0, 1]", value)
    floors = _optional_list(fields, "min_inventory", n, integer=True)
    caps = _optional_list(fields, "max_inventory", n)
    W, life = _optional_list(fields, "W", n), _optional_list(fields, "life", n, integer=True, minimum=1)
    volume, unit_cost = _optional_list(fields, "volume", n), _optional_list(fields, "unit_cost", n)
    limits = {name: fields.raw(name, None) for name in ("min_volume", "max_volume", "max_value")}
    for name, value in limits.items():
        if value is not None:
            limits[name] = fields.check_number(name, value, 0.0, False)
    for name, needed in (("min_volume", volume), ("max_volume", volume), ("max_value", unit_cost)):
        if limits[name] is not None and any(v is None for v in needed):
            which = "volume" if needed is volume else "unit_cost"
            raise fields.fail(which, f"needs a value for every item when {name} is set", None)
    low, high = limits["min_volume"], limits["max_volume"]
    if low is not None and high is not None and low > high:
        raise fields.fail("min_volume", f"must be <= max_volume = {high:g}", low)
    items = []
    for i in range(n):
        if floors[i] is not None and caps[i] is not None and floors[i] > caps[i]:
            raise fields.fail(f"min_inventory[{i}]", f"must be <= max_inventory[{i}] = {caps[i]:g}", floors[i])
        items.append(
            JrpItemInputs(
                a=float(a[i]),
                L=L[i],
                h=float(h[i]),
                pi=float(pi[i]),
                demand=_daily_demand(fields, specs[i][0], specs[i][1], float(a[i]), f"a[{i}]"),
                L_ci=L_ci[i] or 0,
                alpha=alpha[i],
                min_inventory=floors[i] or 0,
                max_inventory=caps[i],
                W=W[i] or 0.0,
                life=life[i],
                volume=volume[i] or 0.0,
                unit_cost=unit_cost[i] or 0.0,
            )
        )
    return JrpProblem(items, fields.number("K"), every, R_max, **limits)


def _required_integers(fields: Fields, name: str, n: int) -> list[int]:
    values = fields.numbers(name, n)
    for j, value in enumerate(values):
        if not float(value).is_integer():
            raise fields.fail(f"{name}[{j}]", "must be an integer >= 0", float(value))
    return [int(v) for v in values]


Parser = Callable[[Fields], Problem]
"""Reads one policy type's batch-interface inputs into its problem (the ``parse`` of its ``PolicyType`` spec)."""


def parse_sq(fields: Fields) -> OptionProblem:
    return parse_continuous_review(fields, perishable=False)


def parse_sq_perishable(fields: Fields) -> OptionProblem:
    return parse_continuous_review(fields, perishable=True)


def parse_with(type_id: str, parser: Parser, inputs: Any) -> Problem:
    """Validate ``inputs`` of policy ``type_id`` with its ``parser``; raises :class:`PolicyInputError` naming the
    field, also for a field the parser did not read."""
    fields = Fields(type_id, inputs)
    problem = parser(fields)
    fields.finish()
    return problem
