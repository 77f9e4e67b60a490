"""The simulated retailer's static world: master data (what a retailer exports) and hidden demand parameters.

Everything is drawn from ``numpy.random.default_rng([seed, STREAM])`` so the same seed always yields the
same world, whatever the simulated date range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lakehouse_inv.config import SimulatorConfig
from lakehouse_inv.replenishment.shipments import DELIVERY_EPOCH

WORLD_STREAM = 1
SPARSE_STREAM = 4
DEPARTMENT_NAMES = ["Bakery", "Dairy", "Produce", "Grocery", "Household", "Frozen", "Beverages", "Personal care"]
STORAGE_NAMES = ["Shelves", "Refrigerators", "Freezers", "Backroom", "Aisle ends", "Cold room"]
SHELF_LIVES_DAYS = np.array([2, 3, 5, 7, 10, 14])
SHELF_LIFE_WEIGHTS = np.array([0.2, 0.2, 0.2, 0.2, 0.1, 0.1])
"""The product's natural shelf life (bread 2-3 days, produce 5-7, dairy 10-14), lengthened for slow movers."""
MIN_UNITS_PER_LIFE = 12.0
"""Units the slowest store must sell within one shelf life (several cases, so a case never outlives its sales)."""
TRAFFIC_MEAN, TRAFFIC_SD, TRAFFIC_MIN = 60_000.0, 15_000.0, 25_000.0
"""Visitors a day (seed 004's sample store: 60,000)."""
FRESH_SPEED = 1.5
"""Perishables sell this many times faster per visitor than ambient products (fresh food is a top-seller)."""
MSRP_MULTIPLIER, FRESH_MSRP_MULTIPLIER = (1.35, 1.7), (1.45, 1.85)
"""MSRP / cost; price = cost + 0.8 (MSRP - cost) gives gross margins of about 22-36 % (ambient) and 26-40 %
(fresh, which carries its shrink): a supermarket's 25-30 % overall."""
PACK_SIZES = np.array([1, 2, 4, 6, 12, 24])
AMBIENT_DELIVERY_DAYS = np.array([3, 7])
"""Days between an ambient supplier's deliveries (2-3 times a week, or weekly); fresh suppliers deliver daily, and the
store orders on the delivery calendar (DELIVERY_EPOCH) the replay and generate_orders use."""
DELIVERY_COST_SHARE = (0.015, 0.03)
"""A supplier's cost per delivery as a share of the sales it delivers to an average store."""
FREIGHT_SHARE = (0.005, 0.015)
"""Per-unit freight as a share of the unit cost: delivery cost per shipment + freight = 2-4 % of sales."""
SHIPMENT_LIMIT_SHARE = 0.4
"""Share of suppliers (at least one) with a minimum shipping volume, a maximum one, and a purchase budget per order
(each drawn apart)."""
MIN_VOLUME_FACTOR, MAX_VOLUME_FACTOR = (0.3, 0.6), (1.3, 3.0)
"""Minimum: this share of the smallest store's average delivery volume; maximum (and budget): this multiple of the
largest store's average delivery volume (value), so a busy day can hit the limit."""
STORAGE_SLACK, TIGHT_STORAGE_SLACK, TIGHT_STORAGE_SHARE = (1.3, 1.8), (0.85, 1.0), 0.1
"""Storage volume and cost budget as a multiple of what the items need at their peak; a tenth of the spaces tight."""


def shelf_life_text(days: int) -> str:
    """Render a shelf life the way the retailer's export does ("3 days", "1 week", "2 weeks")."""
    if days % 7 == 0:
        weeks = days // 7
        return f"{weeks} week" if weeks == 1 else f"{weeks} weeks"
    return f"{days} day" if days == 1 else f"{days} days"


def _ids(prefix: str, n: int) -> list[str]:
    width = max(2, len(str(n)))
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


@dataclass(frozen=True)
class World:
    """Master data frames (exported to landing) and per-series hidden parameters (never exported).

    Series are the store x product pairs, indexed 0..n_series-1 in ``store_products`` row order.
    """

    stores: pd.DataFrame
    store_storage: pd.DataFrame
    departments: pd.DataFrame
    brands: pd.DataFrame
    products: pd.DataFrame
    store_products: pd.DataFrame
    suppliers: pd.DataFrame
    store_product_suppliers: pd.DataFrame
    # hidden, per series
    base_rate: np.ndarray  # mean requests/day before weekday, drift, season and price effects
    elasticity: np.ndarray
    dow_profile: np.ndarray  # (n_series, 7) multipliers, Monday first, mean 1
    season_phase: np.ndarray
    dispersion: np.ndarray  # gamma shape of the daily rate shock; large = Poisson
    shelf_life: np.ndarray  # days, 0 = does not expire
    lead_time: np.ndarray  # primary supplier's promised lead time, days
    lead_time_ci: np.ndarray
    review_days: np.ndarray  # the store's current ordering rhythm (primary supplier's shipment frequency)
    review_offset: np.ndarray
    cover_factor: np.ndarray  # how generously the store's buyer covers lead time + review demand
    moq: np.ndarray
    max_order: np.ndarray
    multiple: np.ndarray
    max_inventory: np.ndarray
    unit_cost: np.ndarray
    primary_supplier: np.ndarray

    @property
    def n_series(self) -> int:
        return len(self.store_products)


def build_world(cfg: SimulatorConfig) -> World:
    """The calibrated chain (README "The simulated retailer"): every range below is a grocery chain's, and every
    departure from seed 004 is listed there with its reason."""
    rng = np.random.default_rng([cfg.seed, WORLD_STREAM])
    n_st, n_dep, n_sup, n_space = cfg.n_stores, cfg.n_departments, cfg.n_suppliers, cfg.n_storage_spaces
    store_ids, brand_ids, supplier_ids = _ids("S", n_st), _ids("B", cfg.n_brands), _ids("SUP", n_sup)
    product_ids = _ids("P", cfg.n_products)
    dept_ids = _ids("D", n_dep)
    space_ids = _ids("ST", n_space)

    # seed 004: demand grows with the store's daily visitors (its sample store: 60,000)
    traffic = np.clip(rng.normal(TRAFFIC_MEAN, TRAFFIC_SD, n_st), TRAFFIC_MIN, None).round(0)
    stores = pd.DataFrame(
        {
            "store_id": store_ids,
            "store_name": [f"Store {i + 1}" for i in range(n_st)],
            "avg_household_income": rng.normal(70000, 18000, n_st).clip(25000).round(0),
            "avg_traffic": traffic,
            "open_hour": cfg.open_hour,
            "close_hour": cfg.close_hour,
        }
    )
    departments = pd.DataFrame(
        [
            {"store_id": s, "department_id": d, "department_name": DEPARTMENT_NAMES[j % len(DEPARTMENT_NAMES)]}
            for s in store_ids
            for j, d in enumerate(dept_ids)
        ]
    )

    desirability = rng.uniform(0.7, 1.3, cfg.n_brands)
    brands = pd.DataFrame({"brand_id": brand_ids, "brand_name": [f"Brand {i + 1}" for i in range(cfg.n_brands)]})

    n_prod = cfg.n_products
    prod_brand = np.repeat(np.arange(cfg.n_brands), cfg.products_per_brand)
    prod_dept = rng.integers(0, n_dep, n_prod)
    perishable = rng.random(n_prod) < cfg.perishable_share
    prod_cost = np.exp(rng.normal(np.log(4.0), 0.7, n_prod)).clip(0.3, 60)
    # units bought per 10,000 visitors: fresh food is among the fastest movers of a grocery store
    per_visitor = np.exp(rng.normal(np.log(0.35), 0.9, n_prod)) * np.where(perishable, FRESH_SPEED, 1.0) / 10_000
    prod_elasticity = rng.uniform(-1.3, -0.7, n_prod)
    markup = np.where(perishable, rng.uniform(*FRESH_MSRP_MULTIPLIER, n_prod), rng.uniform(*MSRP_MULTIPLIER, n_prod))
    volume = rng.uniform(0.2, 4.0, n_prod).round(2)

    # shelf life conditional on speed: the shortest life (at least the product's natural one) within which the
    # slowest store sells MIN_UNITS_PER_LIFE units, so one case never outlives its sales
    slowest = per_visitor * traffic.min() * desirability[prod_brand]
    natural = rng.choice(len(SHELF_LIVES_DAYS), n_prod, p=SHELF_LIFE_WEIGHTS)
    enough = (slowest[:, None] * SHELF_LIVES_DAYS[None, :]) >= MIN_UNITS_PER_LIFE
    needed = np.where(enough.any(axis=1), enough.argmax(axis=1), len(SHELF_LIVES_DAYS) - 1)
    life = np.where(perishable, SHELF_LIVES_DAYS[np.maximum(natural, needed)], 0)

    # fresh suppliers (daily delivery, short lead times) bring the perishables, ambient ones the rest
    n_fresh = min(max(1, round(n_sup * cfg.perishable_share)), n_sup - 1) if n_sup > 1 else 1
    fresh_sup, ambient_sup = np.arange(n_fresh), np.arange(n_fresh, n_sup) if n_sup > 1 else np.arange(1)
    prod_supplier = np.where(
        perishable, fresh_sup[prod_brand % len(fresh_sup)], ambient_sup[prod_brand % len(ambient_sup)]
    )
    sup_fresh = np.isin(np.arange(n_sup), fresh_sup) if n_sup > 1 else np.array([bool(perishable.any())])
    sup_every = np.where(sup_fresh, 1, rng.choice(AMBIENT_DELIVERY_DAYS, n_sup))
    products = pd.DataFrame(
        {
            "product_id": product_ids,
            "brand_id": [brand_ids[b] for b in prod_brand],
            "product_name": [
                f"{DEPARTMENT_NAMES[d % len(DEPARTMENT_NAMES)]} item {i + 1}" for i, d in enumerate(prod_dept)
            ],
            "department_id": [dept_ids[d] for d in prod_dept],
            "msrp": (prod_cost * markup).round(2),
            "product_volume": volume,
            "shelf_life": [shelf_life_text(int(x)) if x else "" for x in life],
        }
    )

    # store x product series, store-major
    s_idx = np.repeat(np.arange(n_st), n_prod)
    p_idx = np.tile(np.arange(n_prod), n_st)
    n = n_st * n_prod
    base_rate = np.clip(per_visitor[p_idx] * traffic[s_idx] * desirability[prod_brand[p_idx]], 0.05, None)
    if cfg.sparse_item_share > 0:  # own stream: the default world's draws stay the same
        sparse_rng = np.random.default_rng([cfg.seed, SPARSE_STREAM])
        sparse = sparse_rng.random(n) < cfg.sparse_item_share
        base_rate = np.where(sparse, base_rate * sparse_rng.uniform(0.03, 0.15, n), base_rate)
    cost = prod_cost[p_idx] * rng.uniform(0.9, 1.1, n)
    msrp = products["msrp"].to_numpy()[p_idx]
    margin = np.maximum(msrp - cost, 0.05 * cost)
    price = np.clip(rng.normal(cost + 0.8 * margin, 0.05 * margin), cost * 1.02, np.maximum(msrp, cost * 1.03)).round(2)
    cold = life[p_idx] > 0
    space = np.where(cold, 1 % n_space, rng.choice([0, 3 % n_space], n)).astype(int)
    holding = cost * 0.25 / 365 * np.where(cold, 2.0, 1.0) * rng.uniform(0.8, 1.5, n)
    lead_time = np.where(cold, rng.integers(1, 3, n), rng.integers(2, 8, n))
    primary_supplier = prod_supplier[p_idx]
    review = sup_every[primary_supplier]
    mean_rate = base_rate
    # case packs: a perishable's case sells within a quarter of its shelf life, an ambient one within half a delivery
    # cycle (at least 2 days), so neither forces stock the store cannot sell
    case_room = np.where(cold, mean_rate * life[p_idx] / 4, mean_rate * np.maximum(review, 4) / 2)
    pack = PACK_SIZES[np.maximum((PACK_SIZES[None, :] <= case_room[:, None]).sum(axis=1) - 1, 0)]
    moq = pack * np.where(~cold & (rng.random(n) < 0.3), 2, 1)
    max_order = np.maximum(moq * 4, np.ceil(mean_rate * 60 / pack) * pack).astype(int)
    max_inventory = np.ceil(mean_rate * 45 + 3 * moq).astype(int)

    # a delivery costs the share of the truck the modelled lines fill: DELIVERY_COST_SHARE of the sales a delivery
    # of the supplier's lines brings to an average store (the 20 products stand for a truck of hundreds of lines)
    delivery_sales = np.bincount(primary_supplier, weights=mean_rate * price * review, minlength=n_sup) / n_st
    shipping_cost = (delivery_sales * rng.uniform(*DELIVERY_COST_SHARE, n_sup)).round(2)
    # per store x supplier: volume and purchase value of a delivery, the basis of the suppliers' shipment limits
    store_sup = s_idx * n_sup + primary_supplier
    delivery_volume = np.bincount(store_sup, weights=mean_rate * review * volume[p_idx], minlength=n_st * n_sup)
    delivery_value = np.bincount(store_sup, weights=mean_rate * review * cost, minlength=n_st * n_sup)
    delivery_volume, delivery_value = delivery_volume.reshape(n_st, n_sup), delivery_value.reshape(n_st, n_sup)
    limited = max(1, round(SHIPMENT_LIMIT_SHARE * n_sup))  # exactly this many suppliers have each limit
    has_min, has_max, has_budget = (rng.permutation(n_sup) < limited for _ in range(3))
    served = delivery_volume > 0
    smallest = np.where(served, delivery_volume, np.inf).min(axis=0)
    min_volume = np.where(has_min & np.isfinite(smallest), smallest * rng.uniform(*MIN_VOLUME_FACTOR, n_sup), -1.0)
    max_volume = np.where(has_max, delivery_volume.max(axis=0) * rng.uniform(*MAX_VOLUME_FACTOR, n_sup), -1.0)
    budget = np.where(has_budget, delivery_value.max(axis=0) * rng.uniform(*MAX_VOLUME_FACTOR, n_sup), -1.0)
    suppliers = pd.DataFrame(
        {
            "supplier_id": supplier_ids,
            "supplier_name": [f"Supplier {i + 1}" for i in range(n_sup)],
            "shipping_cost": shipping_cost,
            "min_shipping_volume": np.where(min_volume > 0, np.round(min_volume, 1), -1.0),
            "max_shipping_volume": np.where(max_volume > 0, np.round(max_volume, 1), -1.0),
            "fixed_order_size": -1,
            "purchase_cost_budget": np.where(budget > 0, np.round(budget, 2), -1.0),
        }
    )

    store_products = pd.DataFrame(
        {
            "store_id": [store_ids[i] for i in s_idx],
            "product_id": [product_ids[i] for i in p_idx],
            "department_id": [dept_ids[prod_dept[i]] for i in p_idx],
            "storage_id": [space_ids[i] for i in space],
            "msrp": msrp.round(2),
            "price": price,
            "storage_cost": holding.round(4),
            "missed_sale_cost": ((price - cost) * rng.uniform(1.0, 1.5, n)).round(2),
            "disposal_cost": (cost * 0.1).round(2),
            "min_inventory": 0,
            "max_inventory": max_inventory,
        }
    )

    # storage sized to hold what the items need at their peak (lead time + delivery cycle + two days of sales, a
    # case and a two-sigma buffer) with room to spare, except a few deliberately tight spaces
    peak = mean_rate * (lead_time + review + 2) + moq + 2 * np.sqrt(mean_rate * (lead_time + review))
    cell = s_idx * n_space + space
    need_volume = np.bincount(cell, weights=peak * volume[p_idx], minlength=n_st * n_space)
    need_budget = np.bincount(cell, weights=peak * holding, minlength=n_st * n_space)
    tight = rng.random(n_st * n_space) < TIGHT_STORAGE_SHARE
    slack = np.where(
        tight, rng.uniform(*TIGHT_STORAGE_SLACK, n_st * n_space), rng.uniform(*STORAGE_SLACK, n_st * n_space)
    )
    unused_volume = rng.uniform(400, 1500, n_st * n_space)
    storage_volume = np.where(need_volume > 0, np.ceil(need_volume * slack), np.round(unused_volume))
    storage_budget = np.where(need_budget > 0, np.ceil(need_budget * slack * 100) / 100, 20.0)
    store_storage = pd.DataFrame(
        [
            {
                "store_id": s,
                "storage_id": sp,
                "storage_name": STORAGE_NAMES[j % len(STORAGE_NAMES)],
                "storage_volume": float(storage_volume[i * n_space + j]),
                "storage_cost_budget": float(storage_budget[i * n_space + j]),
            }
            for i, s in enumerate(store_ids)
            for j, sp in enumerate(space_ids)
        ]
    )

    terms = {
        "store_id": store_products["store_id"],
        "product_id": store_products["product_id"],
        "supplier_id": [supplier_ids[i] for i in primary_supplier],
        "lead_time_days": lead_time,
        "lead_time_ci_days": rng.integers(0, 3, n),
        "min_order_qty": moq,
        "max_order_qty": max_order,
        "qty_multiple": pack,
        "unit_cost": cost.round(2),
        "backorder_cost": ((price - cost) * 1.2).round(2),
        "shipping_cost": (rng.uniform(*FREIGHT_SHARE, n) * cost).round(3),
        "shipment_freq": [f"{r} day" if r == 1 else ("1 week" if r == 7 else f"{r} days") for r in review],
        "service_level": rng.choice([0.9, 0.95, 0.98, 0.99], n),
        "is_primary": True,
    }
    primary = pd.DataFrame(terms)
    backup_mask = rng.random(n) < cfg.backup_supplier_share if n_sup > 1 else np.zeros(n, bool)
    backup = primary.loc[backup_mask].copy()
    backup["supplier_id"] = [supplier_ids[(i + 1) % n_sup] for i in primary_supplier[backup_mask]]
    backup["lead_time_days"] = np.maximum(1, backup["lead_time_days"] // 2)
    backup["unit_cost"] = (backup["unit_cost"] * 1.12).round(2)
    backup["is_primary"] = False
    store_product_suppliers = pd.concat([primary, backup], ignore_index=True)

    dow_shape = rng.uniform(0.75, 1.0, (n_dep, 7))
    dow_shape[:, 4:] *= rng.uniform(1.15, 1.6, (n_dep, 3))  # Fri-Sun peaks
    dow_shape /= dow_shape.mean(axis=1, keepdims=True)

    return World(
        stores=stores,
        store_storage=store_storage,
        departments=departments,
        brands=brands,
        products=products,
        store_products=store_products,
        suppliers=suppliers,
        store_product_suppliers=store_product_suppliers,
        base_rate=base_rate,
        elasticity=prod_elasticity[p_idx],
        dow_profile=dow_shape[prod_dept[p_idx]],
        season_phase=rng.uniform(0, 2 * np.pi, n_dep)[prod_dept[p_idx]],
        dispersion=np.where(rng.random(n) < 0.4, rng.uniform(2.0, 8.0, n), 1e6),
        shelf_life=life[p_idx],
        lead_time=lead_time,
        lead_time_ci=terms["lead_time_ci_days"],
        review_days=review,
        review_offset=(-DELIVERY_EPOCH.toordinal()) % review,
        cover_factor=rng.uniform(0.85, 1.4, n),
        moq=moq,
        max_order=max_order,
        multiple=pack,
        max_inventory=max_inventory,
        unit_cost=cost,
        primary_supplier=primary_supplier,
    )
