"""Crash test: ``ingest`` and ``refine`` killed with SIGKILL mid-write, then re-run to completion, lose no row and
write none twice.

The pipeline runs as the real command (``lakehouse-inv``) in a subprocess on a tiny simulated world, with its own
configuration folder pointing landing, warehouse and checkpoints at a tmp folder:

1. ``ingest`` kills itself right after bronze.sales' append committed and before its ledger recorded it (the
   window where a naive ingest reads the file again), then two more days land;
2. ``ingest,refine`` is killed from outside as soon as refine has planned its first silver.sales batch;
3. ``ingest,refine`` runs to the end, in this test session's Spark (a third JVM would only add its start-up:
   recovery reads the ledger and the stream checkpoints from disk, whichever process runs it), on the Delta
   tables of the killed runs, registered by path.

The test then checks: every landing file's records are in
bronze exactly once, no bronze record id and no silver key twice, and every bronze row is in silver or in
quarantine (for sales exactly: bronze rows = silver rows + quarantined rows).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from pyspark.sql import functions as F

from lakehouse_inv.config import SimulatorConfig
from lakehouse_inv.ingest.files import json_lines, list_landing, parse_csv
from lakehouse_inv.ingest.job import FAILPOINT_ENV
from lakehouse_inv.lakehouse.catalog import LAYERS
from lakehouse_inv.lakehouse.contracts import load_contract
from lakehouse_inv.lakehouse.quarantine import QUARANTINE
from lakehouse_inv.pipeline.runner import run_steps
from lakehouse_inv.pipeline.steps import resolve
from lakehouse_inv.refine.reconcile import unaccounted_rows
from lakehouse_inv.refine.tables import SPECS
from lakehouse_inv.simulate.job import simulate
from spark_settings import TEST_MASTER, TEST_SPARK_CONF

PROJECT_CONF = Path(__file__).resolve().parents[2] / "conf"
WORLD = {"n_stores": 2, "n_brands": 4, "n_departments": 2, "n_suppliers": 2, "n_storage_spaces": 2, "days": 7}
CLI = [sys.executable, "-m", "lakehouse_inv.cli"]
RUN_TIMEOUT_S = 600  # per run; a few tens of seconds on an idle 2-core machine


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    conf = root / "conf"
    shutil.copytree(PROJECT_CONF / "base", conf / "base")
    sim = {**WORLD, "dirty_row_share": 0.02}
    pipeline = yaml.safe_load((conf / "base" / "pipeline.yml").read_text())
    pipeline.update(
        landing_dir=str(root / "landing"),
        warehouse_dir=str(root / "warehouse"),
        checkpoint_dir=str(root / "checkpoints"),
        spark_master=TEST_MASTER,
        spark_conf=TEST_SPARK_CONF,
        mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
    )
    (conf / "base" / "pipeline.yml").write_text(yaml.safe_dump(pipeline))
    (conf / "base" / "simulator.yml").write_text(yaml.safe_dump(sim))
    return root, SimulatorConfig(**sim)


def _command(root: Path, steps: str) -> list[str]:
    return [*CLI, "run", "--conf-dir", str(root / "conf"), "--steps", steps, "--run-id", f"kill-{time.time_ns()}"]


def _run(root: Path, steps: str, *, env: dict[str, str] | None = None, kill_when: Path | None = None) -> int:
    """Run the steps; with ``kill_when``, SIGKILL the process as soon as that path exists."""
    log = open(root / "runs.log", "a")  # noqa: SIM115 - closed below, after the process ended
    proc = subprocess.Popen(
        _command(root, steps),
        cwd=root,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: a kill takes the Spark JVM down with it, as a crash would
    )
    deadline = time.monotonic() + RUN_TIMEOUT_S
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if kill_when is not None and kill_when.exists():
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        return proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        _reap_group(proc.pid)
        log.close()


def _reap_group(pgid: int) -> None:
    """Wait until no process of the run's group is left (its JVM must not write after the run ended)."""
    for _ in range(200):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(pgid, signal.SIGKILL)


@pytest.fixture(scope="module")
def killed_and_rerun(world, make_context):
    root, sim = world
    simulate(sim, root / "landing", sim.start_date + (sim.end_date - sim.start_date) // 2)

    assert _run(root, "ingest", env={FAILPOINT_ENV: "after_append:sales"}) == -signal.SIGKILL, _log(root)
    simulate(sim, root / "landing", sim.end_date)  # more files land while the ledger holds an open intent
    first_refine_batch = root / "checkpoints" / "silver" / "sales" / "offsets" / "0"
    assert _run(root, "ingest,refine", kill_when=first_refine_batch) == -signal.SIGKILL, _log(root)
    assert not (root / "checkpoints" / "silver" / "sales" / "commits" / "0").exists()  # killed mid-batch
    ctx = make_context(**sim.model_dump())
    ctx.configs["pipeline"] = ctx.pipeline.model_copy(
        update={"landing_dir": str(root / "landing"), "checkpoint_dir": str(root / "checkpoints")}
    )
    _attach(ctx, root / "warehouse")
    reports = run_steps(ctx, resolve(["ingest", "refine"]), out=lambda *_: None)
    assert all(r.ok for r in reports), [r.error for r in reports]
    return ctx, root / "landing"


def _log(root: Path) -> str:
    return (root / "runs.log").read_text()[-3000:]


def _attach(ctx, warehouse: Path) -> None:
    """Register the subprocess' Delta tables (by path) under this test's schemas."""
    ctx.catalog.ensure_schemas(ctx.spark)
    for layer in LAYERS:
        for location in sorted((warehouse / f"{layer}.db").glob("*/_delta_log")):
            ctx.spark.sql(
                f"CREATE TABLE {ctx.table(layer, location.parent.name)} USING DELTA LOCATION '{location.parent}'"
            )


def _records_in(path: Path, fmt: str, columns: list[str], optional: list[str]) -> int:
    data = path.read_bytes()
    return len(json_lines(data, path.name) if fmt == "json" else parse_csv(data, columns, path.name, optional))


def test_every_landing_file_is_in_bronze_exactly_once(killed_and_rerun):
    ctx, landing = killed_and_rerun
    for table in {load_contract("silver", t).source["bronze"] for t in SPECS}:
        contract = load_contract("bronze", table)
        bronze = ctx.read("bronze", table)
        assert bronze.groupBy("_record_id").count().where("count > 1").count() == 0, table
        per_file = {
            r.name: r["count"]
            for r in bronze.groupBy(F.element_at(F.split("_source_file", "/"), -1).alias("name")).count().collect()
        }
        columns = [c for c in bronze.columns if not c.startswith("_")]
        expected = {
            p.name: n
            for p in list_landing(landing / contract.source["landing"]).files
            if (n := _records_in(p, contract.source["format"], columns, contract.source.get("optional_columns", [])))
        }
        assert per_file == expected, table


def test_no_silver_key_twice_and_every_bronze_row_in_silver_or_quarantine(killed_and_rerun):
    ctx, _ = killed_and_rerun
    quarantine = ctx.read("silver", QUARANTINE)
    assert quarantine.groupBy("target_table", "record_id").count().where("count > 1").count() == 0
    for table in SPECS:
        keys = load_contract("silver", table).keys
        assert ctx.read("silver", table).groupBy(*keys).count().where("count > 1").count() == 0, table
        assert unaccounted_rows(ctx, table).count() == 0, table
    quarantined_sales = quarantine.where(F.col("target_table") == "silver.sales").count()
    assert ctx.read("bronze", "sales").count() == ctx.read("silver", "sales").count() + quarantined_sales
    assert quarantined_sales > 0  # the simulator's damaged rows: the check above is not trivially 0 = 0
