"""The harder test world (opt-in): retail holidays and intermittent items; the default world is unchanged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lakehouse_inv.config import ConfigError, SimulatorConfig, parse_model
from lakehouse_inv.simulate.engine import holiday_factor
from lakehouse_inv.simulate.world import build_world


def test_holiday_effects_only_with_a_country() -> None:
    christmas, eve, ordinary = dt.date(2025, 12, 25), dt.date(2025, 12, 24), dt.date(2025, 12, 10)
    assert holiday_factor(None, christmas) == 1.0
    assert holiday_factor("US", christmas) == pytest.approx(0.05)
    assert holiday_factor("US", eve) == pytest.approx(1.4) and holiday_factor("US", ordinary) == 1.0


def test_sparse_items_are_opt_in_and_leave_the_rest_of_the_world_alone() -> None:
    default = build_world(SimulatorConfig())
    harder = build_world(SimulatorConfig(sparse_item_share=0.5))
    assert np.all(default.base_rate >= 0.05)
    changed = harder.base_rate != default.base_rate
    assert 0.3 < changed.mean() < 0.7
    assert np.all(harder.base_rate[changed] <= 0.15 * default.base_rate[changed] + 1e-12)
    assert np.array_equal(harder.base_rate[~changed], default.base_rate[~changed])


def test_an_unknown_holiday_country_is_rejected_naming_the_field() -> None:
    with pytest.raises(ConfigError, match="holiday_country"):
        parse_model(SimulatorConfig, {"holiday_country": "XX"}, "simulator.yml")
