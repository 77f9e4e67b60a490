"""serve-sql helpers (pure): the checks that fail before Spark starts (port, exposure without a password), the
password source, the settings HiveServer2 reads, the watcher that exits when the Spark context stops."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest

from lakehouse_inv.access import AccessError, check_exposure, password_hash, read_password
from lakehouse_inv.serve.session import ServeError
from lakehouse_inv.serve.thrift import CONTEXT_STOPPED_EXIT, PASSWORD_ENV, check_port_free, jdbc_url, thrift_conf, watch


def test_a_taken_port_is_an_error_naming_it_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match=f"port {port} on 127.0.0.1 is already in use"):
            check_port_free("127.0.0.1", port)


def test_bind_address_and_port_reach_hiveserver2_through_the_hadoop_configuration() -> None:
    conf = thrift_conf("127.0.0.1", 10001)
    # spark-submit drops keys that do not start with "spark."; a bare hive.server2.* key would be ignored
    assert conf["spark.hadoop.hive.server2.thrift.bind.host"] == "127.0.0.1"
    assert conf["spark.hadoop.hive.server2.thrift.port"] == "10001"
    assert not [key for key in conf if not key.startswith("spark.")]
    scratch = thrift_conf("127.0.0.1", 10001, "/tmp/x")["spark.hadoop.hive.downloaded.resources.dir"]
    assert scratch.startswith("/tmp/x/")  # per-connection Hive folders go where serve-sql removes them


def test_url_names_a_reachable_host_and_the_gold_schema() -> None:
    assert jdbc_url("127.0.0.1", 10000, "gold") == "jdbc:hive2://127.0.0.1:10000/gold"
    assert jdbc_url("0.0.0.0", 10000, "inv_gold") == "jdbc:hive2://localhost:10000/inv_gold"


def test_without_a_password_only_a_loopback_address_is_bound_and_the_refusal_says_why(capsys) -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        check_exposure(host, None, env_name=PASSWORD_ENV, what="serve-sql")
    for host in ("0.0.0.0", "::", "192.168.1.10", "myhost.example"):
        with pytest.raises(AccessError, match=f"--host {host} without a password.*LAKEHOUSE_INV_SQL_PASSWORD"):
            check_exposure(host, None, env_name=PASSWORD_ENV, what="serve-sql")
        check_exposure(host, "a password", env_name=PASSWORD_ENV, what="serve-sql")
    # end to end, before the configuration is read or Spark starts: no conf folder exists here
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    run = subprocess.run(
        [sys.executable, "-m", "lakehouse_inv.cli", "serve-sql", "--host", "0.0.0.0", "--conf-dir", "/nonexistent"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 2 and "--host 0.0.0.0 without a password" in run.stderr, run.stderr


def test_the_password_comes_from_a_file_or_the_environment_never_empty(tmp_path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret words\n")
    assert read_password(secret, PASSWORD_ENV, {}) == "s3cret words"
    assert read_password(None, PASSWORD_ENV, {PASSWORD_ENV: "from env"}) == "from env"
    assert read_password(None, PASSWORD_ENV, {}) is None
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(AccessError, match="empty"):
        read_password(tmp_path / "empty", PASSWORD_ENV, {})
    with pytest.raises(AccessError, match="No such file"):
        read_password(tmp_path / "missing", PASSWORD_ENV, {})
    with pytest.raises(AccessError, match="empty"):
        read_password(None, PASSWORD_ENV, {PASSWORD_ENV: ""})


def test_a_password_turns_on_custom_authentication_with_the_compiled_class() -> None:
    conf = thrift_conf("0.0.0.0", 10001, authenticate=True, query_timeout_s=60)
    assert conf["spark.hadoop.hive.server2.authentication"] == "CUSTOM"
    assert conf["spark.hadoop.hive.server2.custom.authentication.class"] == "lakehouse_inv.jvm.PasswordAuthenticator"
    assert conf["spark.sql.thriftServer.queryTimeout"] == "60s"
    assert thrift_conf("127.0.0.1", 10001)["spark.hadoop.hive.server2.authentication"] == "NONE"
    assert len(password_hash("pw", "salt")) == 64 and password_hash("pw", "salt") != password_hash("pw", "other")


class _Context:
    def __init__(self, stops_after: int, error: bool = False) -> None:
        self.polls, self.stops_after, self.error = 0, stops_after, error

    def isStopped(self) -> bool:  # the JVM method
        self.polls += 1
        if self.polls >= self.stops_after and self.error:
            raise ConnectionError("py4j: the JVM is gone")
        return self.polls >= self.stops_after


class _Spark:
    def __init__(self, context: _Context) -> None:
        self.sparkContext = SimpleNamespace(_jsc=SimpleNamespace(sc=lambda: context))


@pytest.mark.parametrize("error", [False, True])
def test_the_server_exits_non_zero_when_the_spark_context_stops_or_the_jvm_dies(error, capsys) -> None:
    spark = _Spark(_Context(stops_after=3, error=error))
    assert watch(spark, threading.Event(), poll_s=0.01) == CONTEXT_STOPPED_EXIT
    assert "the Spark context stopped" in capsys.readouterr().err
    stop = threading.Event()
    stop.set()
    assert watch(_Spark(_Context(stops_after=1)), stop, poll_s=0.01) == 0  # SIGTERM first: a clean stop
