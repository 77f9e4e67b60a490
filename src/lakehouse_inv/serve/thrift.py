"""``lakehouse-inv serve-sql``: Spark's Thrift JDBC/ODBC server (HiveServer2 protocol) over the local warehouse.

BI tools connect as they would to a Databricks SQL warehouse or any Spark Thrift server: Power BI's Spark
connector, Tableau's Spark SQL connector, the Simba / Databricks Spark ODBC driver, DBeaver, Superset (PyHive) or
``beeline -u jdbc:hive2://127.0.0.1:10000/gold``. The server runs inside this process's Spark session
(``HiveThriftServer2.startWithContext``), so it sees the tables and views that session registered; every JDBC
connection gets its own session, read-only unless ``--allow-writes``. No authentication: it binds to 127.0.0.1
unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Sequence

from lakehouse_inv.config import ConfigError
from lakehouse_inv.serve.guard import install_read_only_guard
from lakehouse_inv.serve.session import ServeError, add_config_arguments, load_pipeline, serving_session

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 10000
READY_TIMEOUT_S = 120.0
# HiveServer2 reads these environment variables before its configuration; a stale one would move the server.
_ENV_OVERRIDES = ("HIVE_SERVER2_THRIFT_BIND_HOST", "HIVE_SERVER2_THRIFT_PORT", "HIVE_SERVER2_TRANSPORT_MODE")


def thrift_conf(host: str, port: int, scratch: str | None = None) -> dict[str, str]:
    """Spark settings for the server. ``hive.server2.*`` keys only reach HiveServer2 through ``spark.hadoop.*``:
    spark-submit drops non-``spark.`` keys, and the server builds its HiveConf from the Hadoop configuration.
    ``scratch``: a folder for the per-connection Hive session folders (default: one ``/tmp/<id>_resources`` each,
    left behind)."""
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
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}: this machine)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    add_config_arguments(parser)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # the JVM ignores SIGINT; this process stops it
        signal.signal(sig, lambda *_: stop.set())
    spark = server = None
    scratch = tempfile.mkdtemp(prefix="lakehouse_inv-sql-")
    try:
        try:
            pipeline = load_pipeline(args)
            check_port_free(args.host, args.port)
            for name in _ENV_OVERRIDES:
                os.environ.pop(name, None)
            spark, warehouse = serving_session(
                pipeline, "lakehouse_inv-sql", conf=thrift_conf(args.host, args.port, scratch), driver_class_path=True
            )
            if not args.allow_writes:
                install_read_only_guard(spark)
            jvm = spark._jvm
            # the server's execution Hive client boots an in-memory Derby; keep its log out of the working folder
            jvm.java.lang.System.setProperty("derby.stream.error.file", os.devnull)
            server = jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2.startWithContext(
                spark._jsparkSession.sqlContext()
            )
            wait_until_listening(args.host, args.port)
        except (ConfigError, ServeError) as exc:
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
        print(f"  beeline -u {url} -n $USER     (Ctrl-C stops the server)", flush=True)
        while not stop.wait(1.0):
            pass
        return 0
    finally:
        if spark is not None:
            print("stopping the SQL endpoint ...", flush=True)
            if server is not None:
                server.stop()
            spark.stop()
            print("stopped", flush=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
