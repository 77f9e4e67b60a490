"""``lakehouse-inv serve-sql``: Spark's Thrift JDBC/ODBC server (HiveServer2 protocol) over the local warehouse.

BI tools connect as they would to a Databricks SQL warehouse or any Spark Thrift server: Power BI's Spark
connector, Tableau's Spark SQL connector, the Simba / Databricks Spark ODBC driver, DBeaver, Superset (PyHive) or
``beeline -u jdbc:hive2://127.0.0.1:10000/gold``. The server runs inside this process's Spark session
(``HiveThriftServer2.startWithContext``), so it sees the tables and views that session registered; every JDBC
connection gets its own session, guarded (:mod:`.guard`) unless ``--allow-writes``.

Authentication: with a password (``--password-file`` or ``$LAKEHOUSE_INV_SQL_PASSWORD``, never on the command line,
where ``ps`` shows it) every connection is checked by HiveServer2's CUSTOM authentication
(``jvm/PasswordAuthenticator.java``); without one the server binds to a loopback address only. Each query has a time
limit and a result-row cap. If the Spark context stops, for whatever reason, the process exits with status 3, so a
supervisor restarts it instead of keeping a server that refuses every connection.
"""

from __future__ import annotations

import argparse
import errno
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from lakehouse_inv.access import AccessError, check_exposure, password_hash, read_password
from lakehouse_inv.config import ConfigError
from lakehouse_inv.serve.compiled import classes_dir
from lakehouse_inv.serve.guard import GUARDED_CONF, GuardPolicy, install_read_only_guard, install_row_cap
from lakehouse_inv.serve.session import ServeError, add_config_arguments, load_pipeline, serving_session

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 10000
DEFAULT_QUERY_TIMEOUT_S = 600
DEFAULT_MAX_ROWS = 1_000_000
READY_TIMEOUT_S = 120.0
PASSWORD_ENV = "LAKEHOUSE_INV_SQL_PASSWORD"
CONTEXT_STOPPED_EXIT = 3
AUTHENTICATOR = "lakehouse_inv.jvm.PasswordAuthenticator"  # its SALT / HASH system properties:
SALT_PROPERTY = "lakehouse_inv.sql.password.salt"
HASH_PROPERTY = "lakehouse_inv.sql.password.sha256"
# HiveServer2 reads these environment variables before its configuration; a stale one would move the server.
_ENV_OVERRIDES = ("HIVE_SERVER2_THRIFT_BIND_HOST", "HIVE_SERVER2_THRIFT_PORT", "HIVE_SERVER2_TRANSPORT_MODE")


def thrift_conf(
    host: str,
    port: int,
    scratch: str | None = None,
    *,
    authenticate: bool = False,
    query_timeout_s: int = DEFAULT_QUERY_TIMEOUT_S,
) -> dict[str, str]:
    """Spark settings for the server. ``hive.server2.*`` keys only reach HiveServer2 through ``spark.hadoop.*``:
    spark-submit drops non-``spark.`` keys, and the server builds its HiveConf from the Hadoop configuration.
    ``scratch``: a folder for the per-connection Hive session folders (default: one ``/tmp/<id>_resources`` each,
    left behind). ``authenticate``: check every connection's password (CUSTOM authentication)."""
    scratch_conf = (
        {
            "spark.hadoop.hive.exec.local.scratchdir": scratch,
            "spark.hadoop.hive.downloaded.resources.dir": f"{scratch}/${{hive.session.id}}_resources",
        }
        if scratch
        else {}
    )
    return {
        **scratch_conf,
        "spark.hadoop.hive.server2.thrift.bind.host": host,
        "spark.hadoop.hive.server2.thrift.port": str(port),
        "spark.hadoop.hive.server2.transport.mode": "binary",
        "spark.hadoop.hive.server2.authentication": "CUSTOM" if authenticate else "NONE",
        **({"spark.hadoop.hive.server2.custom.authentication.class": AUTHENTICATOR} if authenticate else {}),
        # the statement is cancelled after this long and the client told so (0: no limit)
        "spark.sql.thriftServer.queryTimeout": f"{query_timeout_s}s",
        "spark.sql.hive.thriftServer.singleSession": "false",  # one session per connection: the guard needs it
        # JDBC sessions use java.time values (java8API); Delta's min/max-from-statistics shortcut then fails on DATE
        # columns (ClassCastException LocalDate -> java.sql.Date), e.g. in the views' max(order_date)
        "spark.databricks.delta.optimizeMetadataQuery.enabled": "false",
        "spark.ui.enabled": "false",
    }


def jdbc_url(host: str, port: int, schema: str) -> str:
    shown = "localhost" if host in {"0.0.0.0", "::", ""} else host
    return f"jdbc:hive2://{shown}:{port}/{schema}"


def check_port_free(host: str, port: int) -> None:
    """Fail fast (before a minute of Spark start-up) when the port is taken or the address is not local."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"port {port} on {host} is already in use (another server? try --port)") from exc
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def wait_until_listening(host: str, port: int, timeout_s: float = READY_TIMEOUT_S) -> None:
    target = "127.0.0.1" if host in {"0.0.0.0", ""} else ("::1" if host == "::" else host)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((target, port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.2)
    raise ServeError(f"the Thrift server did not start listening on {host}:{port} within {timeout_s:.0f}s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lakehouse-inv serve-sql",
        description="Serve the warehouse's bronze, silver and gold schemas over JDBC/ODBC (HiveServer2 protocol).",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}; others need a password)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--password-file",
        type=Path,
        help=f"file whose first line is the password every connection must give (or set ${PASSWORD_ENV})",
    )
    parser.add_argument(
        "--query-timeout",
        type=int,
        default=DEFAULT_QUERY_TIMEOUT_S,
        help=f"seconds a statement may run before it is cancelled (default {DEFAULT_QUERY_TIMEOUT_S}; 0: no limit)",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=DEFAULT_MAX_ROWS,
        help=f"rows a query may return; a larger result fails saying so (default {DEFAULT_MAX_ROWS:,}; 0: no cap)",
    )
    add_config_arguments(parser)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # the JVM ignores SIGINT; this process stops it
        signal.signal(sig, lambda *_: stop.set())
    spark = server = None
    context_alive = True
    scratch = tempfile.mkdtemp(prefix="lakehouse_inv-sql-")
    try:
        try:
            if args.query_timeout < 0 or args.max_rows < 0:
                raise ServeError("--query-timeout and --max-rows must be 0 (no limit) or more")
            password = read_password(args.password_file, PASSWORD_ENV)
            check_exposure(args.host, password, env_name=PASSWORD_ENV, what="serve-sql")
            pipeline = load_pipeline(args)
            check_port_free(args.host, args.port)
            for name in _ENV_OVERRIDES:
                os.environ.pop(name, None)
            conf = thrift_conf(
                args.host, args.port, scratch, authenticate=password is not None, query_timeout_s=args.query_timeout
            )
            if not args.allow_writes:
                conf.update(GUARDED_CONF)
            spark, warehouse = serving_session(
                pipeline,
                "lakehouse_inv-sql",
                conf=conf,
                driver_class_path=True,
                extra_class_path=[str(classes_dir())],
            )
            if not args.allow_writes:
                policy = GuardPolicy(str(warehouse.path), max_query_timeout_s=args.query_timeout)
                install_read_only_guard(spark, policy)
            if args.max_rows:
                install_row_cap(spark, args.max_rows)
            jvm = spark._jvm
            # the server's execution Hive client boots an in-memory Derby; keep its log out of the working folder
            jvm.java.lang.System.setProperty("derby.stream.error.file", os.devnull)
            if password is not None:  # read by PasswordAuthenticator on each connection; not a Spark setting
                salt = secrets.token_hex(16)
                jvm.java.lang.System.setProperty(SALT_PROPERTY, salt)
                jvm.java.lang.System.setProperty(HASH_PROPERTY, password_hash(password, salt))
                # HiveServer2 loads the class from a new HiveConf(), which reads system properties, not Spark's
                jvm.java.lang.System.setProperty("hive.server2.custom.authentication.class", AUTHENTICATOR)
            server = jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2.startWithContext(
                spark._jsparkSession.sqlContext()
            )
            wait_until_listening(args.host, args.port)
        except (AccessError, ConfigError, ServeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        mode = "read-write" if args.allow_writes else "read-only"
        url = jdbc_url(args.host, args.port, pipeline.schemas.gold)
        print(f"lakehouse_inv SQL endpoint ({mode}) over {warehouse.path}: {warehouse.describe()}")
        total, phases = time.perf_counter() - started, warehouse.seconds
        server_s = total - sum(phases.values())
        print(
            f"ready in {total:.1f}s (Spark {phases['spark']:.1f}s, tables and views {phases['attach']:.1f}s, "
            f"server {server_s:.1f}s): {url}",
            flush=True,
        )
        source = "--password-file" if args.password_file else f"${PASSWORD_ENV}"
        login = f"-n $USER -p <password ({source})>" if password is not None else "-n $USER"
        print(f"  beeline -u {url} {login}     (Ctrl-C stops the server)", flush=True)
        limits = f"queries stop after {args.query_timeout}s" if args.query_timeout else "no query time limit"
        rows = f"results stop at {args.max_rows:,} rows" if args.max_rows else "no result-row cap"
        print(f"  {limits}; {rows}", flush=True)
        code = watch(spark, stop)
        context_alive = code == 0
        return code
    finally:
        if spark is not None and context_alive:
            print("stopping the SQL endpoint ...", flush=True)
            if server is not None:
                server.stop()
            spark.stop()
            print("stopped", flush=True)
        shutil.rmtree(scratch, ignore_errors=True)


def watch(spark: object, stop: threading.Event, poll_s: float = 1.0) -> int:
    """Serve until ``stop`` (0), or until the Spark context stops (:data:`CONTEXT_STOPPED_EXIT`, saying so)."""
    while not stop.wait(poll_s):
        if not context_running(spark):
            print(
                f"error: the Spark context stopped; the SQL endpoint exits ({CONTEXT_STOPPED_EXIT}) so that a "
                "supervisor can restart it",
                file=sys.stderr,
                flush=True,
            )
            return CONTEXT_STOPPED_EXIT
    return 0


def context_running(spark: object) -> bool:
    """False once the JVM's SparkContext is stopped or the JVM itself is gone (the py4j gateway fails)."""
    try:
        return not spark.sparkContext._jsc.sc().isStopped()  # type: ignore[attr-defined]
    except Exception:  # py4j: the JVM exited or the connection broke
        return False


if __name__ == "__main__":
    sys.exit(main())
