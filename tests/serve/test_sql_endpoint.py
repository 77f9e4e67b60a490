"""``lakehouse-inv serve-sql`` end to end: a subprocess serves a hand-made warehouse behind a password, ``beeline``
(shipped with pyspark) reads every analyst view through JDBC and gets Spark's rows; writes and DDL, reads by path,
reflection and scripts, settings off the allow-list (by SET or by the connection URL) are refused while the server
keeps answering; a long query is stopped by the time limit and a large result by the row cap, each saying so; a
wrong password is refused; the server listens on 127.0.0.1 only and stops cleanly on SIGTERM.

One server and one beeline JVM for the module (a JVM start and a login cost more than the cases): the ``session``
fixture plays every case in sections (``--force``), with a marker query after each refused one to show the session
still answers; each test checks its section."""

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
PASSWORD = "correct-horse-battery-staple"  # no spaces: bin/beeline splits its arguments
SECRET = "not-for-analysts"  # a server setting whose value SET must not show
MAX_ROWS = 50  # the server's row cap: daily_sales has more rows, every view fewer
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
    outside: Path  # a Delta table outside the warehouse
    warehouse: Path


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
        "spark_conf": {**TEST_SPARK_CONF, "spark.driver.memory": "1g", "spark.hadoop.fs.s3a.secret.key": SECRET},
    }
    (folder / "conf" / "base" / "pipeline.yml").write_text(yaml.safe_dump(pipeline))
    outside = folder / "outside_table"
    spark.range(3).write.format("delta").save(str(outside))
    port = free_port()
    command = [sys.executable, "-m", "lakehouse_inv.cli", "serve-sql", "--port", str(port), "--conf-dir", "conf"]
    command += ["--max-rows", str(MAX_ROWS)]
    env = {**os.environ, "LAKEHOUSE_INV_SQL_PASSWORD": PASSWORD}
    with open(folder / "server.err", "w") as err:
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
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
    server = Endpoint(url, port, process, lines, catalog, folder, outside, Path(pipeline["warehouse_dir"]))
    yield server
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def beeline(
    endpoint: Endpoint, statements: list[str], *, force: bool = False, password: str = PASSWORD
) -> subprocess.CompletedProcess:
    """Run ``statements`` in one beeline JVM (a line starting with ``!`` is a beeline command: ``!connect``)."""
    script = endpoint.folder / f"script_{time.monotonic_ns()}.sql"
    script.write_text("".join(f"{s}\n" if s.startswith("!") else f"{s};\n" for s in statements))
    command = [str(BEELINE), "-u", endpoint.url, "-n", "analyst", "-p", password]
    command += ["--silent=true", "--outputformat=csv2"]
    command += ["--nullemptystring=true", "--showHeader=true", f"--force={str(force).lower()}", "-f", str(script)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=os.environ)


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


@dataclass
class Section:
    errors: list[str]  # beeline's "Error:" lines of the section's statements, in order


SECTIONS = ("connect", "views", "writes", "refused", "limits")


def connect_statements(endpoint: Endpoint) -> list[str]:
    """Played after ``-p`` with a wrong password: (a !connect without a password would read the next line as one)."""
    return [
        f"!connect {endpoint.url} analyst wrong-password",
        f"!connect {endpoint.url}?spark.sql.variable.substitute=true analyst {PASSWORD}",  # a Hive conf setting
        "SELECT '${env:HOME}' AS v",
        f"!connect {endpoint.url}#spark.sql.runSQLOnFiles=false analyst {PASSWORD}",  # a Hive variable
        "SELECT 'hive_variable' AS marker",
        f"!connect {endpoint.url} analyst {PASSWORD}",
        "SELECT 'right_password' AS marker",
    ]


def view_statements() -> list[str]:
    statements = []
    for view, order in VIEW_ORDER.items():
        statements += [f"SELECT '{view}' AS marker", f"SELECT * FROM {view} ORDER BY {order}"]
    return statements


def write_statements() -> list[str]:
    return [*WRITES, "SELECT 'after' AS marker", "SELECT count(*) AS n FROM orders"]


def limit_statements() -> list[str]:
    return [
        "SELECT 'limits' AS marker",  # ends the result set before: SET prints one
        "SET spark.sql.thriftServer.queryTimeout=3",  # lower than the server's: allowed (last: it stays set)
        "SELECT count(*) FROM range(0, 100000000000000)",
        "SELECT 'after_timeout' AS marker",
        "SELECT * FROM daily_sales",  # 80 rows > MAX_ROWS
        "SELECT 'after_cap' AS marker",
        f"SELECT * FROM daily_sales LIMIT {MAX_ROWS}",
    ]


@pytest.fixture(scope="module")
def session(endpoint) -> tuple[dict[str, Section], dict[str, list[list[str]]], subprocess.CompletedProcess]:
    """Every section's statements in one beeline run, each section ended by a query of a missing table
    (``end_of_<section>``) whose error line splits the run's errors by section; result sets by marker."""
    parts = {
        "connect": connect_statements(endpoint),
        "views": view_statements(),
        "writes": write_statements(),
        "refused": refused_statements(endpoint),
        "limits": limit_statements(),
    }
    statements = []
    for name, part in parts.items():
        statements += [*part, f"SELECT * FROM end_of_{name}"]
    run = beeline(endpoint, statements, force=True, password="not-the-password")
    sections, errors = {}, []
    for line in error_lines(run.stderr):
        ended = next((name for name in SECTIONS if f"end_of_{name}" in line), None)
        if ended is None:
            errors.append(line)
        else:
            sections[ended], errors = Section(errors), []
    assert list(sections) == list(SECTIONS), run.stderr[-4000:]
    return sections, result_sets(run.stdout), run


def test_beeline_reads_every_analyst_view_with_the_rows_spark_returns(spark, endpoint, session):
    sections, sets, run = session
    assert sections["views"].errors == [], run.stderr[-3000:]
    for view, order in VIEW_ORDER.items():
        expected = spark.sql(f"SELECT * FROM {endpoint.catalog.name('gold', view)} ORDER BY {order}")
        header, *got = sets[view]
        assert header == expected.columns, view
        want = expected.collect()
        assert len(got) == len(want) > 0, view
        for got_row, want_row in zip(got, want, strict=True):
            mismatched = [c for c, t, v in zip(header, got_row, want_row, strict=True) if not same_cell(t, v)]
            assert not mismatched, f"{view}: {mismatched} in {got_row} vs {want_row}"


def test_writes_and_ddl_are_refused_with_a_clear_message_and_change_nothing(spark, endpoint, session):
    sections, sets, run = session
    refusals = sections["writes"].errors
    assert len(refusals) == len(WRITES) and all("read-only" in r for r in refusals), run.stderr[-3000:]
    assert "refused" in refusals[0] and "--allow-writes" in refusals[0]
    assert sets["after"] == [["n"], [str(len(world.order_rows()))]]
    gold = endpoint.catalog.schemas.gold
    assert spark.table(f"{gold}.orders").count() == len(world.order_rows())
    names = {r.tableName for r in spark.sql(f"SHOW TABLES IN {gold}").collect()}
    assert "v_order_book" in names and "scratch" not in names
    warehouse = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
    assert not (warehouse / f"{gold}.db" / "scratch").exists()


def refused_cases(endpoint: Endpoint) -> list[tuple[str, str, str]]:
    """(label, statement, what the refusal names): every class of the guard, more cases than the obvious ones."""
    outside = endpoint.outside
    return [
        # files by path: Spark's "SQL on files", Delta by path, table functions, commands that take a path
        ("text_file", "SELECT * FROM text.`/etc/passwd`", "reading files by path (text at /etc/passwd)"),
        ("csv_folder", f"SELECT * FROM csv.`{endpoint.folder}/conf`", "reading files by path (csv"),
        ("json_file", "SELECT * FROM json.`/etc/hostname`", "reading files by path (json"),
        ("binary_files", "SELECT path FROM binaryFile.`/etc`", "reading files by path (binaryFile"),
        ("parquet_in_warehouse", f"SELECT * FROM parquet.`{endpoint.warehouse}`", "reading files by path (parquet"),
        ("delta_outside", f"SELECT * FROM delta.`{outside}`", "reading files by path (delta"),
        ("delta_dotdot", f"SELECT * FROM delta.`{endpoint.warehouse}/../{outside.name}`", "reading files by path"),
        ("identifier", "SELECT * FROM IDENTIFIER('text.`/etc/hosts`')", "reading files by path (text at /etc/hosts)"),
        ("scalar_subquery", "SELECT (SELECT count(*) FROM text.`/etc/hosts`) AS n", "reading files by path"),
        ("in_subquery", "SELECT 1 FROM orders WHERE 1 IN (SELECT 1 FROM csv.`/etc/hosts`)", "reading files by path"),
        ("cte", "WITH f AS (SELECT * FROM text.`/etc/hosts`) SELECT * FROM f", "reading files by path"),
        ("history_outside", f"DESCRIBE HISTORY delta.`{outside}`", "reading files by path"),
        ("detail_outside", f"DESCRIBE DETAIL '{outside}'", "reading files by path"),
        ("describe_query", "DESCRIBE QUERY SELECT * FROM text.`/etc/hosts`", "reading files by path"),
        ("changes_by_path", f"SELECT * FROM table_changes_by_path('{outside}', 0)", "table_changes_by_path"),
        ("read_files", "SELECT * FROM read_files('/etc/passwd')", "table function read_files"),
        ("view_using", "CREATE TEMPORARY VIEW leak USING text OPTIONS (path '/etc/passwd')", "CreateTempViewUsing"),
        ("load_data", "LOAD DATA LOCAL INPATH '/etc/passwd' INTO TABLE orders", "LoadData"),
        ("add_file", "ADD FILE /etc/passwd", "AddFilesCommand"),
        ("list_file", "LIST FILE", "ListFilesCommand"),
        ("cache_as", "CACHE TABLE c AS SELECT * FROM text.`/etc/passwd`", "read-only SQL endpoint"),
        # the JVM and the host
        ("reflect", "SELECT reflect('java.lang.System', 'getenv', 'PATH')", "CallMethodViaReflection"),
        ("java_method", "SELECT java_method('java.lang.System', 'getProperty', 'user.name')", "MethodViaReflection"),
        ("try_reflect", "SELECT try_reflect('java.lang.System', 'exit', 3)", "CallMethodViaReflection"),
        ("reflect_in_where", "SELECT 1 FROM orders WHERE reflect('java.lang.System', 'exit', 3) IS NULL", "Reflection"),
        ("reflect_in_join", "SELECT 1 FROM orders JOIN (SELECT reflect('java.lang.System', 'lineSeparator'))", "Refl"),
        ("transform", "SELECT TRANSFORM(order_id) USING 'cat /etc/passwd' AS (x) FROM orders", "ScriptTransformation"),
        ("function", "CREATE TEMPORARY FUNCTION f AS 'java.lang.System'", "CreateFunctionCommand"),
        ("add_jar", "ADD JAR /tmp/none.jar", "AddJarsCommand"),
        # settings
        ("set_sql_on_files", "SET spark.sql.runSQLOnFiles=true", "SET spark.sql.runSQLOnFiles=true refused"),
        ("set_substitute", "SET spark.sql.variable.substitute=true", "SET spark.sql.variable.substitute=true refused"),
        ("set_no_timeout", "SET spark.sql.thriftServer.queryTimeout=0", "queryTimeout=0 refused"),
        ("set_hadoop", "SET spark.hadoop.fs.defaultFS=file:///", "refused"),
        ("set_bad_zone", "SET spark.sql.session.timeZone=Mars/Olympus", "refused"),
        ("set_extensions", "SET spark.sql.extensions=x", "refused"),
    ]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


def refused_statements(endpoint: Endpoint) -> list[str]:
    statements = []
    for label, statement, _ in refused_cases(endpoint):
        statements += [statement, f"SELECT '{label}' AS marker"]  # the marker: the session still answers
    orders = endpoint.catalog.name("gold", "orders")
    location = Path(endpoint.warehouse) / f"{endpoint.catalog.schemas.gold}.db" / "orders"
    statements += [
        # allowed: these settings, reading a setting (redacted), RESET, a Delta table by path in the warehouse
        "SET spark.sql.session.timeZone=Europe/Paris",
        "SET spark.sql.ansi.enabled=true",
        "SELECT 'secret' AS marker",
        "SET spark.hadoop.fs.s3a.secret.key",
        "SELECT 'substitution' AS marker",
        "SELECT '${env:HOME}|${system:user.name}' AS v",  # no substitution: the text itself comes back
        "RESET",
        "SELECT 'by_path' AS marker",
        f"SELECT count(*) AS n FROM delta.`{location}`",
        "SET",  # the listing: redacted, checked below
        # read-only commands on the warehouse's tables and views still run
        "DESCRIBE orders",
        "DESCRIBE v_order_book",
        "SHOW COLUMNS IN orders",
        "SHOW TBLPROPERTIES orders",
        "DESCRIBE DETAIL orders",
        "DESCRIBE HISTORY orders",
        "EXPLAIN SELECT * FROM v_order_book",
        "SHOW TABLES",
        "SELECT 'alive' AS marker",
        f"SELECT count(*) AS n FROM {orders}",
    ]
    return statements


def test_reads_by_path_reflection_scripts_and_settings_are_refused_and_the_server_keeps_answering(endpoint, session):
    sections, sets, run = session
    cases = refused_cases(endpoint)
    errors = sections["refused"].errors
    assert len(errors) == len(cases), run.stderr[-4000:]
    for (label, _, expected), error in zip(cases, errors, strict=True):
        assert "read-only SQL endpoint" in error and expected in error, (label, error)
    assert [label for label, _, _ in cases] == [name for name in sets if name in {c[0] for c in cases}]
    assert sets["secret"][1][1] != SECRET and SECRET not in run.stdout
    assert sets["substitution"][1] == ["${env:HOME}|${system:user.name}"]  # then RESET's empty result
    assert sets["by_path"][:2] == [["n"], [str(len(world.order_rows()))]]  # then the SET listing
    assert sets["alive"] == [["n"], [str(len(world.order_rows()))]]
    assert endpoint.process.poll() is None


def test_time_limit_and_row_cap_stop_a_query_saying_so(session):
    sections, sets, run = session
    errors = sections["limits"].errors
    assert len(errors) == 2, run.stderr[-4000:]
    assert "Query timed out" in errors[0], errors[0]  # "after 0 seconds": the client's own limit (none)
    assert f"more than {MAX_ROWS} rows" in errors[1], errors[1]
    assert "after_timeout" in sets and len(sets["after_cap"]) == 1 + MAX_ROWS  # header + the capped rows


def test_settings_from_the_connection_url_and_wrong_passwords_are_refused(session):
    sections, sets, run = session
    errors = sections["connect"].errors
    assert len(errors) == 4, run.stderr[-4000:]
    assert all("Error validating the login" in e for e in errors[:2]), errors  # -p, then the first !connect
    settings = ["spark.sql.variable.substitute=true", "spark.sql.runSQLOnFiles=false"]
    for error, setting in zip(errors[2:], settings, strict=True):
        assert "Failed to open new session" in error and f"setting {setting}" in error and "refused" in error
    assert next(iter(sets)) == "right_password" and "hive_variable" not in sets  # nothing ran before the right login


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets open in process ``pid`` and its descendants (the endpoint's JVM is a child)."""
    inodes, pids = set(), [pid]
    while pids:
        current = pids.pop()
        proc = Path(f"/proc/{current}")
        for fd in (proc / "fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
        for children in proc.glob("task/*/children"):
            pids += [int(c) for c in children.read_text().split()]
    return inodes


def listening_addresses(port: int, pid: int) -> set[str]:
    """Local addresses of the endpoint's LISTEN sockets on ``port`` (Linux /proc/net/tcp{,6}, hex little-endian
    IPv4). Only its own: another process may listen on the same port number at another address."""
    found, own = set(), socket_inodes(pid)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port and fields[9] in own:
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_listens_on_the_loopback_address_only(endpoint):
    loopback_v4 = "0100007F"  # 127.0.0.1
    loopback_v4_in_v6 = "0000000000000000FFFF00000100007F"  # ::ffff:127.0.0.1
    addresses = listening_addresses(endpoint.port, endpoint.process.pid)
    assert addresses and addresses <= {loopback_v4, loopback_v4_in_v6}, addresses


def test_stops_cleanly_on_sigterm(endpoint):
    endpoint.process.send_signal(signal.SIGTERM)
    assert endpoint.process.wait(timeout=90) == 0
    assert endpoint.lines[-1] == "stopped"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", endpoint.port), timeout=2).close()
