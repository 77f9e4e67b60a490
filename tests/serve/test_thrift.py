"""serve-sql helpers (pure): the port check that fails before Spark starts, the settings HiveServer2 reads."""

from __future__ import annotations

import socket

import pytest

from lakehouse_inv.serve.session import ServeError
from lakehouse_inv.serve.thrift import check_port_free, jdbc_url, thrift_conf


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
