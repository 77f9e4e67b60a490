"""``simulate`` job: write the simulated retailer's exports into ``landing/`` up to ``--as-of``.

The first run writes the master-data snapshots and simulates from ``start_date``; later runs resume
from the saved state (demo mode advances one day per scheduled run, like seed 004's web job).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections.abc import Sequence
from pathlib import Path

from lakehouse_inv.config import SimulatorConfig
from lakehouse_inv.pipeline.context import JobContext, StepResult
from lakehouse_inv.simulate.engine import SimState, initial_state, simulate_day
from lakehouse_inv.simulate.landing import DAILY_ENTITIES, write_day, write_master
from lakehouse_inv.simulate.world import build_world

STATE_FILE = Path("_simulator") / "state.pkl"


class SimulationConflict(RuntimeError):
    """landing/ holds files of a differently configured simulation."""


HARDER_WORLD = ("holiday_country", "sparse_item_share")


def fingerprint(cfg: SimulatorConfig) -> str:
    # days only bounds the default as-of; it does not change what any simulated day looks like
    # the harder-world settings count only when used, so landing folders made before they existed stay valid
    unused = {name for name in HARDER_WORLD if getattr(cfg, name) == SimulatorConfig.model_fields[name].default}
    return hashlib.sha256(cfg.model_dump_json(exclude={"days"} | unused).encode()).hexdigest()[:16]


def _load_state(root: Path, cfg: SimulatorConfig) -> SimState | None:
    path = root / STATE_FILE
    if not path.exists():
        if any(any((root / e.name).glob("*")) for e in DAILY_ENTITIES):
            raise SimulationConflict(f"{root} holds landing files but no simulator state; clear it (make clean)")
        return None
    saved_fingerprint, state = pickle.loads(path.read_bytes())
    if saved_fingerprint != fingerprint(cfg):
        raise SimulationConflict(
            f"{root} was simulated with different settings than conf/base/simulator.yml; "
            "run `make clean` (removes landing/, warehouse/, checkpoints/) before simulating a new world"
        )
    return state


def _save_state(root: Path, cfg: SimulatorConfig, state: SimState) -> None:
    path = root / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps((fingerprint(cfg), state)))
    tmp.replace(path)


def simulate(cfg: SimulatorConfig, root: Path, until: dt.date) -> StepResult:
    """Simulate every day not yet simulated up to ``until`` (inclusive) into ``root``."""
    if until < cfg.start_date:
        raise ValueError(f"as-of {until} is before the simulation start_date {cfg.start_date}")
    world = build_world(cfg)
    state = _load_state(root, cfg)
    result = StepResult()
    if state is None:
        state = initial_state(cfg, world)
        for path in write_master(root, world, cfg.start_date):
            result.wrote(f"landing/{path.parent.name}", sum(1 for _ in path.open()) - 1)
    first = state.next_day
    while state.next_day <= until:
        output = simulate_day(cfg, world, state)
        write_day(root, output, cfg.seed, cfg.dirty_row_share)
        for entity in DAILY_ENTITIES:
            result.wrote(f"landing/{entity.name}", len(getattr(output, entity.name)))
    _save_state(root, cfg, state)
    last = state.next_day - dt.timedelta(days=1)
    days = (state.next_day - first).days
    result.message = f"{world.n_series} store-products, {days} new day(s) simulated, landing complete through {last}"
    return result


def run(ctx: JobContext) -> StepResult:
    return simulate(ctx.simulator, ctx.landing_dir, ctx.as_of)


def main(argv: Sequence[str] | None = None) -> int:
    from lakehouse_inv.pipeline.runner import main_for

    return main_for(["simulate"], argv, prog="lakehouse-inv-simulate")
