"""Read-only SQL: an analyzer check rule that refuses every statement that could change a table or the catalog.

The rule runs on each analyzed plan of the sessions created after :func:`install_read_only_guard` (the Thrift
server opens one per JDBC connection). It is deny-by-default: a plan that contains no command is a query and runs;
a command runs only if it is one of the read-only ones below (``SHOW``, ``DESCRIBE``, ``EXPLAIN``, ``SET``, ``USE``);
everything else (``INSERT``, ``MERGE``, ``UPDATE``, ``DELETE``, ``CREATE``, ``DROP``, ``ALTER``, ``OPTIMIZE``,
``VACUUM``, ``CACHE``, ``ADD JAR``, ...) fails analysis before it executes.

Spark has no read-only switch and the rule must live in the JVM, so it is a Python object implementing
``scala.Function1`` through py4j's callback server; the refusal is a ``java.lang.SecurityException`` thrown in the
JVM, which beeline and the BI tools show as is.
"""

from __future__ import annotations

from typing import ClassVar

from pyspark.sql import SparkSession

# analyzed-plan root nodes that only read (Spark's and Delta's names, v2 and v1 forms)
READ_ONLY_COMMANDS = frozenset(
    {
        "ExplainCommand",
        "SetCommand",
        "ResetCommand",
        "SetCatalogAndNamespace",
        "SetCatalogCommand",
        "SetNamespaceCommand",
    }
)
READ_ONLY_PREFIXES = ("Show", "Describe")  # ShowTables, ShowColumns, DescribeRelation, DescribeDeltaHistoryCommand, ...
REFUSED = "read-only SQL endpoint"


def refusal(node_name: str, has_command: bool) -> str | None:
    """Why a plan is refused (``None``: it may run). ``node_name`` is the plan's root node, ``has_command`` whether
    any node of it is a command."""
    if not has_command or node_name in READ_ONLY_COMMANDS or node_name.startswith(READ_ONLY_PREFIXES):
        return None
    return (
        f"{REFUSED}: {node_name} changes data or the catalog and was refused; only queries run here "
        "(SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, SET, USE); --allow-writes lifts this"
    )


class _ReadOnlyCheck:
    """``LogicalPlan => Unit``: throws in the JVM when :func:`refusal` refuses the plan."""

    def __init__(self, spark: SparkSession) -> None:
        jvm = spark._jvm
        self._jvm = jvm
        self._command = jvm.org.apache.spark.sql.catalyst.trees.TreePattern.COMMAND()

    def apply(self, plan: object) -> None:
        has_command = plan.containsPattern(self._command)  # type: ignore[attr-defined]
        reason = refusal(plan.nodeName(), has_command) if has_command else None  # type: ignore[attr-defined]
        if reason:
            # thrown inside the JVM: with propagate_java_exceptions the analyzer receives this very exception
            self._jvm.scala.util.Failure(self._jvm.java.lang.SecurityException(reason)).get()

    def toString(self) -> str:  # the Java method name
        return "lakehouse_inv read-only check"

    class Java:
        implements: ClassVar[list[str]] = ["scala.Function1"]


class _CheckBuilder:
    """``SparkSession => (LogicalPlan => Unit)``: the form ``SparkSessionExtensions.injectCheckRule`` takes."""

    def __init__(self, check: _ReadOnlyCheck) -> None:
        self._check = check

    def apply(self, session: object) -> _ReadOnlyCheck:
        return self._check

    def toString(self) -> str:  # the Java method name
        return "lakehouse_inv read-only check builder"

    class Java:
        implements: ClassVar[list[str]] = ["scala.Function1"]


def install_read_only_guard(spark: SparkSession) -> None:
    """Refuse writes and DDL in every session created from now on with ``spark.newSession()`` (``spark`` itself,
    whose analyzer already exists, keeps writing: the server uses it to register tables and views)."""
    from pyspark.java_gateway import ensure_callback_server_started

    gateway = spark.sparkContext._gateway
    ensure_callback_server_started(gateway)
    gateway.callback_server_parameters.propagate_java_exceptions = True
    check = _ReadOnlyCheck(spark)
    spark._jsparkSession.extensions().injectCheckRule(_CheckBuilder(check))
