"""A slow, obvious replay of one item (Python lists of batches, one day at a time) to check the vectorised one.

It follows the semantics of lakehouse_inv.replenishment.replay literally and shares only the supplier terms (tested on
their own) with it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lakehouse_inv.replenishment.terms import apply_supplier_terms


def reference_replay(item: Mapping[str, Any], demand: list[int]) -> dict[str, list[float]]:
    """Daily sold, lost, received, disposed, on_hand_end, on_order_end, ordered, unit_days_sold, cycles_closed and
    cycles_with_stockout of one item (RULE_COLUMNS + terms as in a replay items row)."""
    life = item["shelf_life_days"]
    batches: list[list[int]] = []  # [units, arrival day], oldest first
    arrivals: dict[int, float] = {}
    kind = item["rule_kind"]
    period = 1 if math.isnan(item["review_period"]) else int(item["review_period"])
    offset = 0 if math.isnan(item["review_offset"]) else int(item["review_offset"])
    sold_since_review = 0.0 if math.isnan(item["initial_order"]) else item["initial_order"]
    prior, prior_variance = item["prior_daily_sales"], _value(item, "prior_daily_variance")
    sales_history = [prior] * 28
    # service_cover: (in stock, sales, square) of the last 28 days; a prior day is in stock with its expected square
    in_stock_history = [(True, prior, prior**2 + prior_variance)] * 28
    in_cycle = cycle_lost = False
    out: dict[str, list[float]] = {name: [] for name in _MEASURES}
    for day, requests in enumerate(demand):
        received = arrivals.pop(day, 0.0)
        closed = received > 0 and in_cycle
        out["cycles_closed"].append(int(closed))
        out["cycles_with_stockout"].append(int(closed and cycle_lost))
        if received > 0:
            batches.append([received, day])
            in_cycle, cycle_lost = True, False

        in_stock = sum(b[0] for b in batches) > 0
        sold = min(requests, sum(b[0] for b in batches))
        unit_days = 0
        to_sell = sold
        while to_sell:
            take = min(to_sell, batches[0][0])
            unit_days += take * (day - batches[0][1] + 1)
            batches[0][0] -= take
            to_sell -= take
            if batches[0][0] == 0:
                batches.pop(0)
        cycle_lost |= requests > sold
        disposed = 0
        if not math.isnan(life):
            disposed = sum(b[0] for b in batches if b[1] + life - 1 <= day)
            batches = [b for b in batches if b[1] + life - 1 > day]

        on_hand = sum(b[0] for b in batches)
        position = on_hand + sum(arrivals.values())
        sold_since_review += sold
        sales_history = [*sales_history[1:], sold]
        in_stock_history = [*in_stock_history[1:], (in_stock, sold, sold * sold)]
        reviewing = (day - offset) % period == 0
        if kind == "reorder_point":
            s, Q = item["reorder_point"], item["order_quantity"]
            need = (math.floor((s - position) / Q) + 1) * Q if position <= s else 0
        elif kind == "order_up_to":
            need = item["order_up_to"] - position if reviewing else 0
        elif kind == "replacement":
            need = sold_since_review if reviewing else 0
            sold_since_review = 0.0 if reviewing else sold_since_review
        elif kind == "days_of_cover":
            target = math.ceil(round(item["cover_days"] * sum(sales_history) / 28, 9))
            need = target - position if reviewing else 0
        elif kind == "service_cover":
            seen = [(x, q) for counted, x, q in in_stock_history if counted]
            mean = sum(x for x, _ in seen) / len(seen) if seen else prior
            variance = max(sum(q for _, q in seen) / len(seen) - mean**2, 0.0) if seen else 0.0
            cover = item["cover_days"]
            target = math.ceil(round(cover * mean + _value(item, "safety_z") * math.sqrt(variance * cover), 9))
            need = target - position if reviewing else 0
            if reviewing and not math.isnan(_value(item, "sell_within_days", math.nan)):
                sellable = mean * item["sell_within_days"] - max(
                    position - mean * max(_value(item, "lead_days", 1.0) - 1, 0.0), 0.0
                )
                need = min(need, math.floor(round(sellable, 9)))
        else:
            need = 0
        max_inventory = item["max_inventory"]
        line = apply_supplier_terms(
            need, moq=item["moq"], max_qty=item["max_qty"], multiple=item["multiple"], room=max_inventory - position
        )
        if line.quantity > 0:
            arrivals[day + int(item["L"])] = line.quantity
        for name, value in (
            ("sold", sold),
            ("lost", requests - sold),
            ("received", received),
            ("disposed", disposed),
            ("on_hand_end", on_hand),
            ("on_order_end", sum(arrivals.values())),
            ("ordered", line.quantity),
            ("unit_days_sold", unit_days),
        ):
            out[name].append(value)
    return out


def _value(item: Mapping[str, Any], name: str, missing: float = 0.0) -> float:
    value = item.get(name, math.nan)
    return missing if value is None or math.isnan(value) else float(value)


_MEASURES = (
    "sold",
    "lost",
    "received",
    "disposed",
    "on_hand_end",
    "on_order_end",
    "ordered",
    "unit_days_sold",
    "cycles_closed",
    "cycles_with_stockout",
)
