"""``lakehouse-inv serve-sql`` end to end: a subprocess serves a hand-made warehouse, ``beeline`` (shipped with pyspark)
reads every analyst view through JDBC and gets Spark's rows, writes and DDL are refused, the server listens on
127.0.0.1 only and stops cleanly on SIGTERM."""

from __future__ import annotations

import csv
import datetime as dt
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest
import serve_world as world
import yaml

from lakehouse_inv.lakehouse.catalog import Catalog
from spark_settings import TEST_MASTER, TEST_SPARK_CONF

BEELINE = Path(pyspark.__file__).parent / "bin" / "beeline"
PROMPT = re.compile(r"^\d+: jdbc:hive2://\S*> ")  # beeline may echo its prompt before a result
START_TIMEOUT_S = 300
# the order that makes each view's rows unique
VIEW_ORDER = {
    "v_policy_comparison": "store_id, period, policy_id",
    "v_order_book": "order_id",
    "v_forecast_vs_actual": "store_id, product_id, date",
    "v_inventory_health": "store_id, product_id",
}
WRITES = [
    "INSERT INTO orders SELECT * FROM orders",
    "DELETE FROM orders WHERE status = 'blocked'",
    "DROP VIEW v_order_book",
    "CREATE TABLE scratch (a INT) USING DELTA",
]

pytestmark = pytest.mark.skipif(not BEELINE.exists(), reason="pyspark without bin/beeline")


@dataclass
class Endpoint:
    url: str
    port: int
    process: subprocess.Popen
    lines: list[str]
    catalog: Catalog
    folder: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint(spark, world_catalog, tmp_path_factory) -> Endpoint:
    catalog = world_catalog
    folder = tmp_path_factory.mktemp("serve_sql")
    (folder / "conf" / "base").mkdir(parents=True)
    pipeline = {
        "warehouse_dir": spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"),
        "schemas": catalog.schemas.model_dump(exclude_none=True),
        "spark_master": TEST_MASTER,
        "spark_conf": {**TEST_SPARK_CONF, "spark.driver.memory": "1g"},
    }
    (folder / "conf" / "base" / "pipeline.yml").write_text(yaml.safe_dump(pipeline))
    port = free_port()
    command = [sys.executable, "-m", "lakehouse_inv.cli", "serve-sql", "--port", str(port), "--conf-dir", "conf"]
    with open(folder / "server.err", "w") as err:
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=err, text=True)
    lines: list[str] = []
    ready: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.append(line.rstrip("\n"))
            if "jdbc:hive2://" in line and line.startswith("ready"):
                ready.put(line[line.index("jdbc:hive2://") :].strip())

    threading.Thread(target=read, daemon=True).start()
    try:
        url = ready.get(timeout=START_TIMEOUT_S)
    except queue.Empty:
        process.kill()
        pytest.fail(f"serve-sql did not start: {lines}\n{(folder / 'server.err').read_text()[-3000:]}")
    server = Endpoint(url, port, process, lines, catalog, folder)
    yield server
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def beeline(endpoint: Endpoint, statements: list[str], *, force: bool = False) -> subprocess.CompletedProcess:
    script = endpoint.folder / f"script_{time.monotonic_ns()}.sql"
    script.write_text("".join(f"{s};\n" for s in statements))
    command = [str(BEELINE), "-u", endpoint.url, "-n", "analyst", "--silent=true", "--outputformat=csv2"]
    command += ["--nullemptystring=true", "--showHeader=true", f"--force={str(force).lower()}", "-f", str(script)]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, env=os.environ)


def result_sets(stdout: str) -> dict[str, list[list[str]]]:
    """Split beeline's csv2 output at the ``SELECT '<name>' AS marker`` rows: name -> [header, *rows]."""
    sets: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    # csv2 quotes a field holding a comma with NUL characters (beeline's disable.quoting.for.sv)
    lines = (PROMPT.sub("", line) for line in stdout.splitlines() if line.strip())
    records = list(csv.reader(lines, quotechar="\x00"))
    i = 0
    while i < len(records):
        if records[i] == ["marker"]:
            current = sets.setdefault(records[i + 1][0], [])
            i += 2
            continue
        if current is not None:
            current.append(records[i])
        i += 1
    return sets


def as_jdbc_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def same_cell(text: str, value: object) -> bool:
    if isinstance(value, float):
        return text != "" and abs(float(text) - value) <= 1e-9 * max(1.0, abs(value))
    return text == as_jdbc_text(value)


def test_beeline_reads_every_analyst_view_with_the_rows_spark_returns(spark, endpoint):
    statements = []
    for view, order in VIEW_ORDER.items():
        statements += [f"SELECT '{view}' AS marker", f"SELECT * FROM {view} ORDER BY {order}"]
    run = beeline(endpoint, statements)
    assert run.returncode == 0, run.stderr[-3000:]
    sets = result_sets(run.stdout)
    assert sorted(sets) == sorted(VIEW_ORDER)
    for view, order in VIEW_ORDER.items():
        expected = spark.sql(f"SELECT * FROM {endpoint.catalog.name('gold', view)} ORDER BY {order}")
        header, *got = sets[view]
        assert header == expected.columns, view
        want = expected.collect()
        assert len(got) == len(want) > 0, view
        for got_row, want_row in zip(got, want, strict=True):
            mismatched = [c for c, t, v in zip(header, got_row, want_row, strict=True) if not same_cell(t, v)]
            assert not mismatched, f"{view}: {mismatched} in {got_row} vs {want_row}"


def test_writes_and_ddl_are_refused_with_a_clear_message_and_change_nothing(spark, endpoint):
    run = beeline(endpoint, [*WRITES, "SELECT 'after' AS marker", "SELECT count(*) AS n FROM orders"], force=True)
    refusals = [line for line in run.stderr.splitlines() if line.startswith("Error:") and "read-only" in line]
    assert len(refusals) == len(WRITES), run.stderr[-3000:]
    assert "refused" in refusals[0] and "--allow-writes" in refusals[0]
    assert result_sets(run.stdout)["after"] == [["n"], [str(len(world.order_rows()))]]
    gold = endpoint.catalog.schemas.gold
    assert spark.table(f"{gold}.orders").count() == len(world.order_rows())
    names = {r.tableName for r in spark.sql(f"SHOW TABLES IN {gold}").collect()}
    assert "v_order_book" in names and "scratch" not in names
    warehouse = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
    assert not (warehouse / f"{gold}.db" / "scratch").exists()


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the LISTEN sockets on ``port`` (Linux /proc/net/tcp{,6}, hex little-endian IPv4)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_listens_on_the_loopback_address_only(endpoint):
    loopback_v4 = "0100007F"  # 127.0.0.1
    loopback_v4_in_v6 = "0000000000000000FFFF00000100007F"  # ::ffff:127.0.0.1
    addresses = listening_addresses(endpoint.port)
    assert addresses and addresses <= {loopback_v4, loopback_v4_in_v6}, addresses


def test_stops_cleanly_on_sigterm(endpoint):
    endpoint.process.send_signal(signal.SIGTERM)
    assert endpoint.process.wait(timeout=90) == 0
    assert endpoint.lines[-1] == "stopped"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", endpoint.port), timeout=2).close()
