"""Read-only SQL over the warehouse and nothing else: one guard, in the JVM's analyzer, that refuses before anything
runs every statement that could change a table or the catalog, read a file by path, reach the JVM or the host, or
change an engine setting that is not on the allow-list.

The guard runs twice on each statement of the sessions created after :func:`install_read_only_guard` (the Thrift
server opens one per JDBC connection): in the analyzer's Hints batch, before tables are resolved, so that
``csv.`/path``` is refused before Spark opens the file to infer its schema; and as a check rule on the analyzed
plan, where every relation, function and command is known. Each time one py4j call (``PlanFacts.of``, compiled
from ``jvm/PlanFacts.java``) turns the plan into lines of facts, and :func:`refusal` decides on them here, in
plain Python. Its rules, deny by default:

- commands: only ``SHOW``, ``DESCRIBE``, ``EXPLAIN``, ``SET``, ``RESET``, ``USE`` run (and ``DESCRIBE`` / ``SHOW`` of
  a table by path fall under the next rule); ``INSERT``, ``MERGE``, ``CREATE``, ``DROP``, ``CACHE``, ``ADD JAR``,
  ``ADD FILE``, ``LIST FILE``, ``LOAD DATA``, ``CREATE TEMP VIEW ... USING``, ``CREATE FUNCTION``... are refused;
- relations: a table of the catalog, or files under the warehouse folder (Delta reads its own ``_delta_log`` so);
  ``<source>.`<path>``` is refused for every file source but ``delta`` under the warehouse, and so is anything else
  that reads outside it (``delta.`...```, ``DESCRIBE HISTORY``/``DETAIL`` of an outside path,
  ``IDENTIFIER('csv.`/x`')``, a relation whose location is unknown); table-valued functions must be on
  :data:`TABLE_FUNCTIONS` (Delta's ``table_changes_by_path`` and ``read_files`` are not). ``DESCRIBE HISTORY`` /
  ``DETAIL`` by path resolve in Delta's own rules: Delta lists the outside ``_delta_log`` folder before its read
  of the log files, in this session, is refused;
- expressions and plan nodes that reach the JVM or the host: ``reflect``, ``java_method``, ``try_reflect`` (all
  ``CallMethodViaReflection``), ``TRANSFORM ... USING 'command'`` (runs a program on the server), Python and Hive
  user functions;
- settings: ``SET key=value`` only for :data:`SETTABLE` keys with a valid value; and since a JDBC URL can set
  session settings without a ``SET`` (``jdbc:hive2://host/db?key=value``, ``#var=value``), every statement of a
  session whose settings differ from the server's outside that list is refused.

Spark has no read-only switch and the rule must live in the JVM, so the check is a Python object implementing
``scala.Function1`` through py4j's callback server; a refusal is a ``java.lang.SecurityException`` thrown in the
JVM, which beeline and the BI tools show as is. No client setting reaches the guard: it is part of the session's
extensions, installed by the server process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from pyspark.sql import SparkSession

REFUSED = "read-only SQL endpoint"
# engine settings of a guarded session, which no client may change: ${env:VAR}, ${system:prop} and ${sparkconf:key}
# in a statement would otherwise be replaced by the server's environment variables and properties before parsing
GUARDED_CONF = {"spark.sql.variable.substitute": "false"}

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

# Spark's "SQL on files" sources (`<source>.`<path>``), by their short names
FILE_SOURCES = frozenset({"csv", "json", "text", "parquet", "orc", "avro", "binaryfile", "xml", "delta", "hive"})
# table-valued functions that compute rows from their arguments (Spark 4.0's built-ins minus none: all are pure)
TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "explode",
        "explode_outer",
        "inline",
        "inline_outer",
        "json_tuple",
        "posexplode",
        "posexplode_outer",
        "stack",
        "collations",
        "sql_keywords",
        "variant_explode",
        "variant_explode_outer",
    }
)
# plan nodes and expressions (class names) that reach the JVM or the host
REACHES_HOST = {
    "CallMethodViaReflection": "reflect / java_method / try_reflect call any Java method on the server",
    "ScriptTransformation": "TRANSFORM ... USING runs a program on the server",
    "HiveScriptTransformation": "TRANSFORM ... USING runs a program on the server",
    "PythonUDF": "Python functions run code on the server",
    "PythonUDAF": "Python functions run code on the server",
    "PythonUDTF": "Python functions run code on the server",
    "HiveGenericUDF": "Hive functions load classes on the server",
    "HiveSimpleUDF": "Hive functions load classes on the server",
    "HiveGenericUDTF": "Hive functions load classes on the server",
    "HiveUDAFFunction": "Hive functions load classes on the server",
}


def _boolean(value: str) -> bool:
    return value.strip().lower() in {"true", "false"}


def _one_of(*choices: str) -> Callable[[str], bool]:
    return lambda value: value.strip().upper() in choices


def _time_zone(value: str) -> bool:
    import zoneinfo

    text = value.strip().strip("'\"")
    if text.upper() in {"UTC", "Z", "LOCAL"} or text[:1] in {"+", "-"}:
        return True
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


# session settings a client may change: they change how values are shown or parsed, never what may be read
SETTABLE: dict[str, Callable[[str], bool]] = {
    "spark.sql.session.timeZone": _time_zone,
    "spark.sql.ansi.enabled": _boolean,
    "spark.sql.legacy.timeParserPolicy": _one_of("EXCEPTION", "CORRECTED", "LEGACY"),
    "spark.sql.datetime.java8API.enabled": _boolean,  # the Thrift server sets it on each connection
    "spark.sql.legacy.sizeOfNull": _boolean,
    "spark.sql.mapKeyDedupPolicy": _one_of("EXCEPTION", "LAST_WIN"),
    # how BINARY values are shown; the Thrift server sets UTF-8 on each statement
    "spark.sql.binaryOutputStyle": _one_of("UTF-8", "BASIC", "BASE64", "HEX", "HEX_DISCRETE"),
    # the rows per fetch a Hive JDBC client (beeline) asks for, in its connection settings
    "hive.server2.thrift.resultset.default.fetch.size": str.isdigit,
}


# settings Spark and Delta put in a session themselves (a session's settings are compared with the server's)
ENGINE_SETTINGS = frozenset(
    {
        "spark.sql.parquet.fieldId.read.enabled",
        "spark.sql.parquet.fieldId.write.enabled",
        "spark.databricks.delta.lastCommitVersionInSession",
    }
)


@dataclass(frozen=True)
class GuardPolicy:
    """What the guard allows beyond queries on catalog tables: Delta tables by path under ``warehouse``, and a
    per-session query time limit up to ``max_query_timeout_s`` (0: the setting may not be changed)."""

    warehouse: str
    max_query_timeout_s: int = 0
    settable: Mapping[str, Callable[[str], bool]] = field(default_factory=lambda: dict(SETTABLE))

    def setting_allowed(self, key: str, value: str) -> bool:
        if key == "spark.sql.thriftServer.queryTimeout" and self.max_query_timeout_s > 0:
            text = value.strip().lower().removesuffix("s")
            return text.isdigit() and 0 < int(text) <= self.max_query_timeout_s
        check = self.settable.get(key)
        return check is not None and check(value)

    def settable_keys(self) -> list[str]:
        extra = ["spark.sql.thriftServer.queryTimeout (lower only)"] if self.max_query_timeout_s > 0 else []
        return sorted(self.settable) + extra


def _under(path: str, folder: str) -> bool:
    """``path`` (a local path or a file: URI) is ``folder`` or inside it, after resolving ``..``."""
    import posixpath

    def plain(text: str) -> str:
        text = text.strip()
        for prefix in ("file://", "file:"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        if "://" in text or not text.startswith("/"):
            return ""  # another file system, or a relative path: never the warehouse
        return posixpath.normpath("/" + text.lstrip("/"))

    inner, outer = plain(path), plain(folder)
    return bool(inner and outer) and (inner == outer or inner.startswith(outer.rstrip("/") + "/"))


def parse_facts(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.split("\n") if line]


def refusal(facts: Iterable[Iterable[str]], policy: GuardPolicy) -> str | None:
    """Why the plan described by ``facts`` (``PlanFacts.of`` lines, split at tabs) is refused; ``None``: it may
    run. Pure: every rule of the guard is here."""
    rows = [list(row) for row in facts]
    nodes = [row[1] for row in rows if row[0] == "node"]
    has_command = any(row[0] == "command" and row[1] == "yes" for row in rows)
    root = nodes[0] if nodes else ""
    if has_command and root not in READ_ONLY_COMMANDS and not root.startswith(READ_ONLY_PREFIXES):
        return (
            f"{REFUSED}: {root} changes data or the catalog and was refused; only queries run here "
            "(SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, SET, USE); --allow-writes lifts this"
        )
    for row in rows:
        kind, values = row[0], [*row[1:], ""]  # "" : a SET or setting without a value
        if kind in {"node", "expr"} and values[0] in REACHES_HOST:
            return f"{REFUSED}: {values[0]} refused: {REACHES_HOST[values[0]]}"
        parts = values[0].split("\x01") if kind == "reference" else []
        source_path = len(parts) == 2 and parts[0].lower() in FILE_SOURCES  # <source>.`<path>`, before it is opened
        if source_path and (parts[0].lower() != "delta" or not _under(parts[1], policy.warehouse)):
            return _path_refusal(parts[0], parts[1])
        if kind == "relation":
            source, name, location = [*values, "", "", ""][:3]
            if name:
                continue  # a table of the catalog, which the server registered
            # by path: only under the warehouse (Delta reads its own _delta_log files this way, in the same session)
            paths = [path for path in location.split(",") if path]
            if not paths or not all(_under(path, policy.warehouse) for path in paths):
                return _path_refusal(source, location or "(unknown location)")
        if kind == "function" and values[0].lower() not in TABLE_FUNCTIONS:
            return (
                f"{REFUSED}: table function {values[0]} refused: only {', '.join(sorted(TABLE_FUNCTIONS))} run here "
                "(the others read files or tables by path)"
            )
        if kind == "set" and len(row) == 3 and not policy.setting_allowed(values[0], values[1]):
            return _setting_refusal(values[0], values[1], policy, how="SET")
        if kind == "conf" and values[0] not in ENGINE_SETTINGS and not policy.setting_allowed(values[0], values[1]):
            return _setting_refusal(values[0], values[1], policy, how="session")
    return None


def _path_refusal(source: str, location: str) -> str:
    return (
        f"{REFUSED}: reading files by path ({source} at {location}) is refused; query the warehouse's tables and "
        "views by name (SHOW TABLES IN gold)"
    )


def _setting_refusal(key: str, value: str, policy: GuardPolicy, *, how: str) -> str:
    where = (
        f"SET {key}={value} refused"
        if how == "SET"
        else f"this session's setting {key}={value} (set by the connection URL?) refused, every statement of it is"
    )
    return f"{REFUSED}: {where}; a client may set only {', '.join(policy.settable_keys())}"


class _Check:
    """``LogicalPlan => Unit``: throws in the JVM when :func:`refusal` refuses the plan."""

    def __init__(self, spark: SparkSession, policy: GuardPolicy) -> None:
        jvm = spark._jvm
        self._jvm = jvm
        self._facts = jvm.lakehouse_inv.jvm.PlanFacts
        self._policy = policy

    def apply(self, plan: object) -> None:
        reason = refusal(parse_facts(self._facts.of(plan)), self._policy)
        if reason:
            # thrown inside the JVM: with propagate_java_exceptions the analyzer receives this very exception
            self._jvm.scala.util.Failure(self._jvm.java.lang.SecurityException(reason)).get()

    def toString(self) -> str:  # the Java method name
        return "lakehouse_inv read-only check"

    class Java:
        implements: ClassVar[list[str]] = ["scala.Function1"]


class _CheckBuilder:
    """``SparkSession => (LogicalPlan => Unit)``: the form ``SparkSessionExtensions.injectCheckRule`` takes."""

    def __init__(self, check: _Check) -> None:
        self._check = check

    def apply(self, session: object) -> _Check:
        return self._check

    def toString(self) -> str:  # the Java method name
        return "lakehouse_inv read-only check builder"

    class Java:
        implements: ClassVar[list[str]] = ["scala.Function1"]


def install_read_only_guard(spark: SparkSession, policy: GuardPolicy) -> None:
    """Guard every session created from now on with ``spark.newSession()`` (``spark`` itself, whose analyzer
    already exists, keeps writing: the server uses it to register tables and views). Needs the compiled classes on
    the driver's class path (:func:`lakehouse_inv.serve.compiled.classes_dir`)."""
    from pyspark.java_gateway import ensure_callback_server_started

    gateway = spark.sparkContext._gateway
    ensure_callback_server_started(gateway)
    gateway.callback_server_parameters.propagate_java_exceptions = True
    check = _Check(spark, policy)
    extensions = spark._jsparkSession.extensions()
    extensions.injectHintResolutionRule(spark._jvm.lakehouse_inv.jvm.CheckRule.builder(check))
    extensions.injectCheckRule(_CheckBuilder(check))


def install_row_cap(spark: SparkSession, max_rows: int) -> None:
    """Every query of the sessions created from now on fails once its result passes ``max_rows`` rows, saying so."""
    spark._jsparkSession.extensions().injectOptimizerRule(spark._jvm.lakehouse_inv.jvm.RowCap.builder(max_rows))
