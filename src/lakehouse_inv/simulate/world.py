"""The simulated retailer's static world: master data (what a retailer exports) and hidden demand parameters.

Everything is drawn from ``numpy.random.default_rng([seed, STREAM])`` so the same seed always yields the
same world, whatever the simulated date range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lakehouse_inv.config import SimulatorConfig

WORLD_STREAM = 1
SPARSE_STREAM = 4
DEPARTMENT_NAMES = ["Bakery", "Dairy", "Produce", "Grocery", "Household", "Frozen", "Beverages", "Personal care"]
STORAGE_NAMES = ["Shelves", "Refrigerators", "Freezers", "Backroom", "Aisle ends", "Cold room"]
SHELF_LIVES_DAYS = np.array([2, 3, 5, 7, 10, 14])
SHIPMENT_FREQ_DAYS = np.array([1, 3, 7])


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
    rng = np.random.default_rng([cfg.seed, WORLD_STREAM])
    n_st, n_dep, n_sup, n_space = cfg.n_stores, cfg.n_departments, cfg.n_suppliers, cfg.n_storage_spaces
    store_ids, brand_ids, supplier_ids = _ids("S", n_st), _ids("B", cfg.n_brands), _ids("SUP", n_sup)
    product_ids = _ids("P", cfg.n_products)
    dept_ids = _ids("D", n_dep)
    space_ids = _ids("ST", n_space)

    traffic = np.clip(rng.normal(1000, 350, n_st), 250, None).round(0)
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
    life = np.where(perishable, rng.choice(SHELF_LIVES_DAYS, n_prod), 0)
    prod_cost = np.exp(rng.normal(np.log(4.0), 0.7, n_prod)).clip(0.3, 60)
    popularity = np.exp(rng.normal(np.log(2.0), 1.1, n_prod))
    prod_elasticity = rng.uniform(-1.3, -0.7, n_prod)
    prod_supplier = prod_brand % n_sup
    products = pd.DataFrame(
        {
            "product_id": product_ids,
            "brand_id": [brand_ids[b] for b in prod_brand],
            "product_name": [
                f"{DEPARTMENT_NAMES[d % len(DEPARTMENT_NAMES)]} item {i + 1}" for i, d in enumerate(prod_dept)
            ],
            "department_id": [dept_ids[d] for d in prod_dept],
            "msrp": (prod_cost * rng.uniform(1.1, 1.5, n_prod)).round(2),
            "product_volume": rng.uniform(0.2, 4.0, n_prod).round(2),
            "shelf_life": [shelf_life_text(int(x)) if x else "" for x in life],
        }
    )

    shipping_cost = rng.uniform(40, 160, n_sup).round(2)
    suppliers = pd.DataFrame(
        {
            "supplier_id": supplier_ids,
            "supplier_name": [f"Supplier {i + 1}" for i in range(n_sup)],
            "shipping_cost": shipping_cost,
            "min_shipping_volume": -1.0,
            "max_shipping_volume": -1.0,
            "fixed_order_size": -1,
            "purchase_cost_budget": -1.0,
        }
    )

    # store x product series, store-major
    s_idx = np.repeat(np.arange(n_st), n_prod)
    p_idx = np.tile(np.arange(n_prod), n_st)
    n = n_st * n_prod
    traffic_factor = traffic[s_idx] / traffic.mean()
    base_rate = np.clip(popularity[p_idx] * traffic_factor * desirability[prod_brand[p_idx]], 0.05, None)
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
    lead_time = np.where(cold, rng.integers(1, 4, n), rng.integers(2, 11, n))
    review = rng.choice(SHIPMENT_FREQ_DAYS, n, p=[0.25, 0.45, 0.30])
    review = np.where(cold, np.minimum(review, 3), review)
    mean_rate = base_rate
    pack = np.select([mean_rate > 15, mean_rate > 4], [12, 6], 1)
    moq = pack * np.where(rng.random(n) < 0.3, 2, 1)
    max_order = np.maximum(moq * 4, np.ceil(mean_rate * 60 / pack) * pack).astype(int)
    max_inventory = np.ceil(mean_rate * 45 + 3 * moq).astype(int)

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

    store_storage = pd.DataFrame(
        [
            {
                "store_id": s,
                "storage_id": sp,
                "storage_name": STORAGE_NAMES[j % len(STORAGE_NAMES)],
                "storage_volume": float(np.round(rng.uniform(400, 1500), 0)),
                "storage_cost_budget": float(np.round(rng.uniform(20, 80), 2)),
            }
            for s in store_ids
            for j, sp in enumerate(space_ids)
        ]
    )

    primary_supplier = prod_supplier[p_idx]
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
        "shipping_cost": (rng.uniform(0.02, 0.08, n) * cost).round(3),
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
        review_offset=rng.integers(0, 7, n),
        cover_factor=rng.uniform(0.85, 1.4, n),
        moq=moq,
        max_order=max_order,
        multiple=pack,
        max_inventory=max_inventory,
        unit_cost=cost,
        primary_supplier=primary_supplier,
    )
