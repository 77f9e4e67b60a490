"""Replenishment: the executable rules, supplier terms and day-by-day replay shared by ordering and evaluation.

``generate_orders`` (:mod:`lakehouse_inv.generate_orders`) and ``evaluate`` (:mod:`lakehouse_inv.evaluate`) both import
from here and never from each other, so the rule that places today's order is the rule the evaluation replays.

* :mod:`~lakehouse_inv.replenishment.rules`: policy decisions and baselines → executable rules
  (:func:`rule_from_decision`, :func:`attach_rules`) and their vectorised execution (:class:`RuleExecutor`).
* :mod:`~lakehouse_inv.replenishment.terms`: supplier terms (MOQ, maximum, multiple, storage room) applied to a need.
* :mod:`~lakehouse_inv.replenishment.replay`: the day-by-day simulation, a pandas function for applyInPandas
  (:func:`replay`, output schema :data:`REPLAY_SCHEMA`); inputs checked in :mod:`~lakehouse_inv.replenishment.items`.
"""

from __future__ import annotations

from lakehouse_inv.replenishment.replay import REPLAY_COLUMNS, REPLAY_SCHEMA, replay, replay_schema
from lakehouse_inv.replenishment.rules import RULE_COLUMNS, RULE_KINDS, Rule, attach_rules, rule_from_decision
from lakehouse_inv.replenishment.terms import (
    ADJUSTED,
    BLOCKED,
    NO_ORDER,
    ORDER_STATUSES,
    PLACED,
    OrderLine,
    SupplierTerms,
    TermsStages,
    apply_supplier_terms,
    apply_supplier_terms_array,
)

__all__ = [
    "ADJUSTED",
    "BLOCKED",
    "NO_ORDER",
    "ORDER_STATUSES",
    "PLACED",
    "REPLAY_COLUMNS",
    "REPLAY_SCHEMA",
    "RULE_COLUMNS",
    "RULE_KINDS",
    "OrderLine",
    "Rule",
    "SupplierTerms",
    "TermsStages",
    "apply_supplier_terms",
    "apply_supplier_terms_array",
    "attach_rules",
    "replay",
    "replay_schema",
    "rule_from_decision",
]
