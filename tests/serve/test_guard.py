"""The guard's decisions (pure), on the fact lines ``PlanFacts.of`` gives for a plan: queries on catalog tables and
read-only commands pass; other commands, reads by path outside the warehouse, reflection and scripts, unknown table
functions and settings off the allow-list are refused, each naming what it refused."""

from __future__ import annotations

import pytest

from lakehouse_inv.serve.guard import GuardPolicy, parse_facts, refusal

WAREHOUSE = "/srv/lakehouse/warehouse"
POLICY = GuardPolicy(WAREHOUSE, max_query_timeout_s=600)


def plan(*lines: str, command: bool = False) -> list[list[str]]:
    """Fact rows as PlanFacts.of prints them: the command flag first, then one line per fact."""
    return parse_facts("\n".join([f"command\t{'yes' if command else 'no'}", *lines]))


def catalog_query(*extra: str) -> list[list[str]]:
    return plan(
        "node\tProject",
        "expr\tAttributeReference",
        "node\tSubqueryAlias",
        "node\tRelation",
        f"relation\tDeltaParquetFileFormat\tspark_catalog.gold.orders\t{WAREHOUSE}/gold.db/orders",
        *extra,
    )


@pytest.mark.parametrize(
    "root",
    [
        "ShowTables",
        "ShowColumnsCommand",
        "DescribeRelation",
        "DescribeDeltaHistoryCommand",
        "ExplainCommand",
        "SetCommand",  # BI tools send SET on connect
        "SetCatalogAndNamespace",  # USE gold: every JDBC session starts with it
        "ResetCommand",
    ],
)
def test_read_only_commands_run(root: str) -> None:
    assert refusal(plan(f"node\t{root}", command=True), POLICY) is None


def test_queries_on_catalog_tables_run_with_their_functions() -> None:
    assert refusal(catalog_query("expr\tCurrentUser", "expr\tInputFileName", "expr\tRaiseError"), POLICY) is None


@pytest.mark.parametrize(
    "root",
    [
        "AppendData",  # INSERT INTO
        "OverwriteByExpression",  # INSERT OVERWRITE
        "MergeIntoCommand",
        "DeleteCommand",
        "CreateTableAsSelect",
        "CreateViewCommand",  # also CREATE TEMP VIEW
        "CreateTempViewUsing",  # CREATE TEMP VIEW ... USING csv OPTIONS (path ...)
        "DropTableCommand",
        "OptimizeTableCommand",
        "VacuumTableCommand",
        "CacheTableAsSelect",
        "AddJarsCommand",
        "AddFilesCommand",
        "ListFilesCommand",
        "LoadData",
        "CreateFunctionCommand",
        "SomeFutureCommand",  # deny by default
    ],
)
def test_every_other_command_is_refused_with_its_name(root: str) -> None:
    message = refusal(plan(f"node\t{root}", command=True), POLICY)
    assert message is not None and root in message and "read-only" in message and "--allow-writes" in message


def test_a_command_anywhere_below_a_query_root_is_refused() -> None:
    assert refusal(plan("node\tProject", "node\tAppendData", command=True), POLICY) is not None


@pytest.mark.parametrize(
    ("relation", "shown"),
    [
        ("relation\tTextFileFormat\t\tfile:/etc/passwd", "TextFileFormat at file:/etc/passwd"),
        ("relation\tCSVFileFormat\t\tfile:/srv/lakehouse/landing", "CSVFileFormat"),
        ("relation\tDeltaParquetFileFormat\t\tfile:/srv/other/table", "DeltaParquetFileFormat"),
        ("relation\tDeltaTableV2\t\t/srv/other/table", "DeltaTableV2"),  # DESCRIBE HISTORY / DETAIL by path
        (f"relation\tDeltaParquetFileFormat\t\tfile:{WAREHOUSE}/../other", "other"),  # .. leaves the warehouse
        (f"relation\tDeltaParquetFileFormat\t\tfile:{WAREHOUSE}-copy/t", "-copy"),  # a sibling, not a child
        (f"relation\tJsonFileFormat\t\tfile:{WAREHOUSE}/t/_delta_log/0.json,file:/etc/x", "/etc/x"),  # one outside
        ("relation\tDeltaCDFRelation\t\t", "unknown location"),
        ("relation\tParquetFileFormat\t\ts3a://bucket/key", "s3a://bucket/key"),
    ],
)
def test_a_relation_read_by_path_outside_the_warehouse_is_refused(relation: str, shown: str) -> None:
    message = refusal(plan("node\tProject", "node\tRelation", relation), POLICY)
    assert message is not None and "reading files by path" in message and shown in message


def test_files_under_the_warehouse_are_read_delta_log_included() -> None:
    log = f"relation\tJsonFileFormat\t\tfile:{WAREHOUSE}/gold.db/orders/_delta_log/00000000000000000000.json"
    by_path = f"relation\tDeltaParquetFileFormat\t\tfile://{WAREHOUSE}/gold.db/orders"
    assert refusal(plan("node\tProject", log, by_path), POLICY) is None


@pytest.mark.parametrize(
    "reference",
    ["text\x01/etc/passwd", "csv\x01/srv", "JSON\x01/etc/x", "binaryFile\x01/etc", "delta\x01/srv/other", "orc\x01rel"],
)
def test_a_source_by_path_is_refused_before_it_is_resolved(reference: str) -> None:
    message = refusal(plan("node\tProject", "node\tUnresolvedRelation", f"reference\t{reference}"), POLICY)
    assert message is not None and "reading files by path" in message


def test_delta_by_path_under_the_warehouse_and_plain_names_pass_before_resolution() -> None:
    facts = plan(f"reference\tdelta\x01{WAREHOUSE}/gold.db/orders", "reference\tgold\x01orders", "reference\tv")
    assert refusal(facts, POLICY) is None


@pytest.mark.parametrize(
    ("fact", "named"),
    [
        ("expr\tCallMethodViaReflection", "reflect"),  # reflect, java_method, try_reflect's replacement
        ("node\tScriptTransformation", "TRANSFORM"),
        ("expr\tPythonUDF", "Python"),
        ("expr\tHiveGenericUDF", "Hive"),
    ],
)
def test_what_reaches_the_jvm_or_the_host_is_refused(fact: str, named: str) -> None:
    message = refusal(catalog_query(fact), POLICY)
    assert message is not None and named in message and fact.split("\t")[1] in message


@pytest.mark.parametrize("name", ["range", "explode", "stack", "json_tuple"])
def test_table_functions_that_compute_rows_run(name: str) -> None:
    assert refusal(plan("node\tProject", f"function\t{name}"), POLICY) is None


@pytest.mark.parametrize("name", ["read_files", "table_changes_by_path", "table_changes", "some_future_reader"])
def test_other_table_functions_are_refused(name: str) -> None:
    message = refusal(plan("node\tProject", f"function\t{name}"), POLICY)
    assert message is not None and f"table function {name}" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("spark.sql.session.timeZone", "Europe/Paris"),
        ("spark.sql.session.timeZone", "+02:00"),
        ("spark.sql.ansi.enabled", "true"),
        ("spark.sql.legacy.timeParserPolicy", "corrected"),
        ("spark.sql.thriftServer.queryTimeout", "30"),
        ("spark.sql.thriftServer.queryTimeout", "600s"),
    ],
)
def test_allowed_settings_can_be_set(key: str, value: str) -> None:
    assert refusal(plan("node\tSetCommand", f"set\t{key}\t{value}", command=True), POLICY) is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("spark.sql.runSQLOnFiles", "true"),
        ("spark.sql.variable.substitute", "true"),
        ("spark.sql.thriftServer.queryTimeout", "0"),  # no limit
        ("spark.sql.thriftServer.queryTimeout", "601"),  # above the server's
        ("spark.sql.session.timeZone", "Mars/Olympus"),
        ("spark.sql.ansi.enabled", "maybe"),
        ("spark.hadoop.fs.defaultFS", "file:///"),
        ("spark.sql.shuffle.partitions", "100000"),
    ],
)
def test_other_settings_and_bad_values_are_refused_naming_the_allowed_keys(key: str, value: str) -> None:
    message = refusal(plan("node\tSetCommand", f"set\t{key}\t{value}", command=True), POLICY)
    assert message is not None and f"SET {key}={value} refused" in message and "spark.sql.session.timeZone" in message


def test_reading_settings_and_listing_them_is_allowed() -> None:
    for fact in ("set", "set\t-v", "set\tspark.sql.runSQLOnFiles"):
        assert refusal(plan("node\tSetCommand", fact, command=True), POLICY) is None


def test_a_session_whose_settings_were_changed_by_the_connection_url_is_refused() -> None:
    message = refusal(catalog_query("conf\tspark.sql.variable.substitute\ttrue"), POLICY)
    assert message is not None and "spark.sql.variable.substitute=true" in message and "URL" in message
    allowed = ("conf\tspark.sql.datetime.java8API.enabled\ttrue", "conf\tspark.sql.session.timeZone\tUTC")
    engine = "conf\tspark.databricks.delta.lastCommitVersionInSession\t3"
    assert refusal(catalog_query(*allowed, engine), POLICY) is None


def test_without_a_server_limit_the_query_timeout_cannot_be_set() -> None:
    facts = plan("node\tSetCommand", "set\tspark.sql.thriftServer.queryTimeout\t30", command=True)
    assert refusal(facts, GuardPolicy(WAREHOUSE)) is not None
