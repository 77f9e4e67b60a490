"""The read-only decision (pure): queries and read-only commands pass, every other command is refused."""

from __future__ import annotations

import pytest

from lakehouse_inv.serve.guard import refusal


@pytest.mark.parametrize(
    ("node", "has_command"),
    [
        ("Project", False),  # SELECT ...
        ("Sort", False),
        ("WithCTE", False),
        ("ShowTables", True),
        ("ShowColumnsCommand", True),
        ("DescribeRelation", True),
        ("DescribeDeltaHistoryCommand", True),
        ("ExplainCommand", True),
        ("SetCommand", True),  # BI tools send SET on connect
        ("SetCatalogAndNamespace", True),  # USE gold: every JDBC session starts with it
    ],
)
def test_queries_and_read_only_commands_run(node: str, has_command: bool) -> None:
    assert refusal(node, has_command) is None


@pytest.mark.parametrize(
    "node",
    [
        "AppendData",  # INSERT INTO
        "OverwriteByExpression",  # INSERT OVERWRITE
        "MergeIntoCommand",
        "UpdateCommand",
        "DeleteCommand",
        "CreateTable",
        "CreateTableAsSelect",
        "CreateViewCommand",  # also CREATE TEMP VIEW
        "DropTable",
        "DropTableCommand",  # DROP VIEW
        "AddColumns",
        "TruncateTable",
        "OptimizeTableCommand",
        "VacuumTableCommand",
        "RestoreTableCommand",
        "CacheTable",
        "AddJarsCommand",
        "CreateFunctionCommand",
        "SomeFutureCommand",  # deny by default
    ],
)
def test_every_other_command_is_refused_with_its_name(node: str) -> None:
    message = refusal(node, True)
    assert message is not None and node in message and "read-only" in message and "--allow-writes" in message


def test_a_command_anywhere_below_a_query_root_is_refused() -> None:
    assert refusal("Project", True) is not None
