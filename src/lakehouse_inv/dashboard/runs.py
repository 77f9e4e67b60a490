"""Background pipeline runs launched from the dashboard: one at a time, as a ``lakehouse-inv run`` subprocess whose
progress lines go to a log file the Run page tails.

``$LAKEHOUSE_INV_DASHBOARD_CLI`` (a command line) replaces ``python -m lakehouse_inv.cli`` as the program started;
the browser tests use it to run a short stand-in on their fixture warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lakehouse_inv.pipeline.options import RunOptions

RUN_STEPS = ("optimize", "generate_orders")
CLI_ENV = "LAKEHOUSE_INV_DASHBOARD_CLI"


class RunInProgress(RuntimeError):
    """A run launched from the dashboard is still going."""


@dataclass(frozen=True)
class RunRequest:
    stores: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    evaluate: bool = False
    service_level: float | None = None  # None = keep each item's configured missed-sale cost

    def __post_init__(self) -> None:
        """Rejects what the run's command line would reject (ValueError naming the option), before launching."""
        RunOptions(stores=tuple(self.stores), products=tuple(self.products), service_level=self.service_level)

    def arguments(self) -> list[str]:
        steps = [*RUN_STEPS, "evaluate"] if self.evaluate else list(RUN_STEPS)
        args = ["--steps", ",".join(steps)]
        if self.evaluate:  # asked for on the Run page: evaluate now, whatever its schedule says
            args.append("--force")
        if self.stores:
            args += ["--stores", ",".join(self.stores)]
        if self.products:
            args += ["--products", ",".join(self.products)]
        if self.service_level is not None:
            args += ["--service-level", repr(float(self.service_level))]
        return args


@dataclass
class RunState:
    run_id: str
    command: list[str]
    started_at: str
    pid: int
    log_path: str
    returncode: int | None = None

    @property
    def running(self) -> bool:
        return self.returncode is None

    @property
    def status(self) -> str:
        if self.returncode is None:
            return "running"
        return "succeeded" if self.returncode == 0 else f"failed (exit code {self.returncode})"


def cli_prefix() -> list[str]:
    override = os.environ.get(CLI_ENV)
    return shlex.split(override) if override else [sys.executable, "-m", "lakehouse_inv.cli"]


class RunManager:
    """Owns the one subprocess; every browser session of this server shares it."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._state: RunState | None = None

    def launch(
        self, request: RunRequest, conf_dir: Path, env: str | None = None, now: dt.datetime | None = None
    ) -> RunState:
        with self._lock:
            current = self._refresh()
            if current is not None and current.running:
                raise RunInProgress(
                    f"run {current.run_id} (started {current.started_at}) is still running: "
                    "wait for it to finish before launching another"
                )
            started = now or dt.datetime.now(dt.UTC)
            run_id = f"dashboard-{started:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
            command = [*cli_prefix(), "run", *request.arguments(), "--run-id", run_id, "--conf-dir", str(conf_dir)]
            if env:
                command += ["--env", env]
            self.state_dir.mkdir(parents=True, exist_ok=True)
            log_path = self.state_dir / f"{run_id}.log"
            with log_path.open("wb") as log, log_path.with_suffix(".err").open("wb") as err:
                self._process = subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=err,  # Spark's own logging: shown only when the run fails
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            self._state = RunState(
                run_id, command, f"{started:%Y-%m-%d %H:%M:%S} UTC", self._process.pid, str(log_path)
            )
            self._write_state()
            return self._state

    def current(self) -> RunState | None:
        with self._lock:
            return self._refresh()

    def log(self) -> str:
        """What the run printed (its step lines, summary and report)."""
        state = self.current()
        if state is None or not Path(state.log_path).exists():
            return ""
        return Path(state.log_path).read_text(errors="replace")

    def errors(self) -> str:
        """The run's standard error (tracebacks, Spark's logging)."""
        state = self.current()
        path = Path(state.log_path).with_suffix(".err") if state is not None else None
        return path.read_text(errors="replace") if path is not None and path.exists() else ""

    def _refresh(self) -> RunState | None:
        if self._state is not None and self._process is not None and self._state.returncode is None:
            code = self._process.poll()
            if code is not None:
                self._state.returncode = code
                self._write_state()
        return self._state

    def _write_state(self) -> None:
        if self._state is not None:
            (self.state_dir / "last_run.json").write_text(json.dumps(asdict(self._state), indent=2))


_PROGRESS = re.compile(r"^(lakehouse_inv run |\[\d+/\d+\] |    done in |    FAILED |error: |total \d)")
_MANAGERS: dict[Path, RunManager] = {}
_MANAGERS_LOCK = threading.Lock()


def manager_for(state_dir: Path) -> RunManager:
    """The server-wide manager of ``state_dir`` (Streamlit re-executes the page script, not this module)."""
    with _MANAGERS_LOCK:
        return _MANAGERS.setdefault(state_dir.resolve(), RunManager(state_dir.resolve()))


def progress_lines(log: str) -> list[str]:
    """The runner's step lines (``[i/n] step: ...``, ``done in``, ``FAILED``) out of the whole log."""
    return [line for line in log.splitlines() if _PROGRESS.match(line)]
