"""Order lines: supplier terms (MOQ, maximum, multiple, storage room) applied to what a policy needs."""

from __future__ import annotations

from lakehouse_inv.orders.terms import (
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
    "OrderLine",
    "SupplierTerms",
    "TermsStages",
    "apply_supplier_terms",
    "apply_supplier_terms_array",
]
