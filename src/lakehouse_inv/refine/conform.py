"""Turn bronze text columns into typed silver columns, recording every value that does not parse.

Pure ``DataFrame -> DataFrame`` functions. A value that fails to parse becomes NULL *and* adds a message
to ``_errors`` (``[type] units='twelve' is not a valid int``), so the row is quarantined with the
original text instead of silently losing it. Text that parses to a non-finite floating-point number
(``NaN``, ``Infinity``, ``1e309``) fails the same way: no NaN or infinity ever reaches a silver column; so does a
non-zero number that rounds to zero (``1e-400``): a price that underflows would land as 0 and earn no revenue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.contracts import ERRORS

RESCUED = "_rescued_data"
LINEAGE = ("_record_id", "_source_file", "_ingested_at")
LINE = "_line_number"  # optional bronze column: line of the landing file where the record starts
RAW = "_raw"
FLOATING = ("double", "float")
NONZERO_MANTISSA = r"^\s*[+-]?(\d*\.)?\d*[1-9]"  # a digit 1-9 before any exponent: the text is not zero
OFFSET_PATTERN = r"(?i)\d{2}:\d{2}(:\d{2}(\.\d*)?)?\s*(z|[+-]\d{2}(:?\d{2})?)$"  # a time that names its UTC offset
OFFSET_FLAG = "_offset_"
DURATION_PATTERN = r"^\s*(\d+)\s*(d|day|days|w|wk|week|weeks|m|month|months)\s*$"


@dataclass(frozen=True)
class ConformSpec:
    """How one bronze table becomes its silver table.

    ``types``: column -> Spark SQL type for values to parse. ``durations``: new column -> source text
    column such as "3 days"/"1 week", parsed to days. ``minus_one_is_null``: columns where the export
    writes -1 for "no limit". ``derive``: extra columns computed from the typed ones. ``local_times``: timestamps
    whose business date is the store's local date (see :func:`localize`).
    """

    target: str
    types: dict[str, str] = field(default_factory=dict)
    durations: dict[str, str] = field(default_factory=dict)
    minus_one_is_null: tuple[str, ...] = ()
    derive: Callable[[DataFrame], DataFrame] | None = None
    local_times: dict[str, str] = field(default_factory=dict)  # timestamp column -> its business-date column


def blank_to_null(column: str) -> Column:
    trimmed = F.trim(F.col(column))
    return F.when(trimmed != "", trimmed)


def duration_days(text: Column) -> Column:
    """ "3 days" -> 3, "1 week" -> 7, "2 months" -> 60; NULL for anything else."""
    amount = F.regexp_extract(F.lower(text), DURATION_PATTERN, 1)
    unit = F.regexp_extract(F.lower(text), DURATION_PATTERN, 2)
    factor = F.when(unit.startswith("w"), 7).when(unit.startswith("m"), 30).otherwise(1)
    return F.when(amount != "", amount.cast("int") * factor)


def conform(bronze: DataFrame, spec: ConformSpec) -> DataFrame:
    """Typed silver columns + lineage + ``_raw`` (JSON of the bronze values) + ``_errors``."""
    data_columns = [c for c in bronze.columns if not c.startswith("_")]
    df = bronze.withColumn(RAW, F.to_json(F.struct(*data_columns, RESCUED)))
    lineage = [*LINEAGE, *([LINE] if LINE in bronze.columns else [])]
    df = df.select(*[blank_to_null(c).alias(c) for c in data_columns], RESCUED, RAW, *lineage)

    messages: list[Column] = [
        F.when(
            F.col(RESCUED).isNotNull(),
            F.concat(F.lit("[malformed] record does not match the export layout: "), F.col(RESCUED)),
        )
    ]
    typed: dict[str, Column] = {}
    for column, sql_type in spec.types.items():
        parsed = F.col(column).try_cast(sql_type)
        text = F.col(column)
        problem = F.when(text.isNotNull() & parsed.isNull(), F.lit(f"' is not a valid {sql_type}"))
        value = parsed
        if sql_type in FLOATING:  # try_cast accepts NaN, Infinity and overflowing literals such as 1e309
            value = F.when(~(F.isnan(parsed) | parsed.isin(float("inf"), float("-inf"))), parsed)
            problem = problem.when(value.isNull() & parsed.isNotNull(), F.lit(f"' is not a finite {sql_type}"))
            underflow = (parsed == 0) & text.rlike(NONZERO_MANTISSA)
            problem = problem.when(underflow, F.lit(f"' is not zero but rounds to 0 as a {sql_type} (underflow)"))
            value = F.when(~underflow, value)
        typed[column] = value
        messages.append(F.concat(F.lit(f"[type] {column}='"), text, problem))
    for new_column, text_column in spec.durations.items():
        days = duration_days(F.col(text_column))
        typed[new_column] = days
        messages.append(
            F.when(
                F.col(text_column).isNotNull() & days.isNull(),
                F.concat(
                    F.lit(f"[type] {text_column}='"),
                    F.col(text_column),
                    F.lit("' is not a duration like '3 days' or '1 week'"),
                ),
            )
        )
    offsets = {f"{OFFSET_FLAG}{c}": F.coalesce(F.col(c).rlike(OFFSET_PATTERN), F.lit(False)) for c in spec.local_times}
    df = df.withColumns(offsets)
    errors = F.filter(F.array(*messages), lambda m: m.isNotNull())
    df = df.withColumn(ERRORS, errors).withColumns(typed)  # messages read the raw text, so before the casts
    df = df.withColumns({c: F.when(F.col(c) != -1, F.col(c)) for c in spec.minus_one_is_null})
    return spec.derive(df) if spec.derive else df


def localize(df: DataFrame, spec: ConformSpec, zones: DataFrame, default_zone: str) -> DataFrame:
    """Timestamps in the store's local time, and business dates as the store's local dates.

    A timestamp text with a UTC offset (``2025-02-02T22:30:00-05:00``) names an instant: it becomes the wall-clock
    time of the store's time zone (``zones``: ``store_id``, ``timezone``; NULL or absent = ``default_zone``), so a
    late-evening sale stays on its local day. A text without an offset is already the store's wall-clock time and
    is kept. The session time zone is UTC (``lakehouse_inv.spark``), which ``from_utc_timestamp`` relies on.
    """
    if not spec.local_times:
        return df
    zone = "_zone"
    df = df.join(F.broadcast(zones.select("store_id", F.col("timezone").alias(zone))), "store_id", "left")
    tz = F.coalesce(F.col(zone), F.lit(default_zone))
    for ts, date in spec.local_times.items():
        local = F.when(F.col(f"{OFFSET_FLAG}{ts}"), F.from_utc_timestamp(F.col(ts), tz)).otherwise(F.col(ts))
        df = df.withColumn(ts, local).withColumn(date, F.to_date(ts))
    return df.drop(zone, *[f"{OFFSET_FLAG}{ts}" for ts in spec.local_times])
