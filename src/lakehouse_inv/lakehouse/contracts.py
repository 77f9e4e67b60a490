"""Table contracts (``<layer>/<table>.yml``): grain, keys and checks, evaluated before every write.

A check never drops a row: :func:`evaluate_checks` adds an ``_errors`` array (one readable message per
failed check, naming the column and the offending value) and :func:`split_valid` separates the rows
that may be written from the ones that go to quarantine.

Besides the named checks, every contract applies its ``numbers`` rules to every numeric column: NaN and
±Infinity always fail (Spark orders NaN above every number, so a ``min`` check alone would let it through),
and with ``numbers.max_abs`` a value beyond that magnitude fails unless a check sets the column's own
``min``/``max``. With ``text.max_length`` every text column longer than that fails. Against a target schema, a
value that does not fit the target column's integer or decimal type fails too, so a write never dies on a cast
overflow.

Checks across tables: ``foreign_key`` (the referenced key exists) and ``agrees_with`` (facts the row shares with
the row it references agree). A row that fails only because a referenced key is missing is *waiting* for its
reference (:func:`waits_for_reference`): refine holds it in quarantine and checks it again on later runs.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ByteType,
    DataType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    NumericType,
    ShortType,
    StringType,
    StructType,
)

from lakehouse_inv.config import describe_validation_error
from lakehouse_inv.resources import layer_dir

ERRORS = "_errors"
TIME_ZONES = frozenset(zoneinfo.available_timezones())


class ContractViolation(ValueError):
    """Raised when rows that must be valid (e.g. a gold table's output) break their contract."""


class ForeignKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    columns: list[str]
    table: str  # "<layer>.<table>"
    ref_columns: list[str] | None = None

    @property
    def references(self) -> list[str]:
        return self.ref_columns or self.columns


class Agreement(BaseModel):
    """Facts a row shares with the row it references (``agrees_with:``): a delivery's store, product and supplier
    are its order's. ``keys``: the row's columns that equal the referenced table's keys (same names there).
    ``equal``: columns that must hold the same value in both rows. ``expression``: SQL that must hold, where the
    referenced row's ``columns`` are ``ref_<column>`` (``delivery_date >= ref_order_date``). A row whose reference
    is absent passes (its ``foreign_key`` check reports that)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    table: str  # "<layer>.<table>"
    keys: list[str] = Field(min_length=1)
    equal: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    expression: str | None = None

    @model_validator(mode="after")
    def _something_to_compare(self) -> Agreement:
        if not self.equal and self.expression is None:
            raise ValueError("agrees_with needs 'equal' or 'expression'")
        return self


class PlausibleDate(BaseModel):
    """The window a fact's business date must fall in (``plausible_date:``): not more than ``max_age_days`` before
    the run's as-of, and not before its store opened (``open_date`` of ``stores``, when the master data has one).
    A sale dated 1900-01-01 is a typo, and would make every daily series start in 1900."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str
    max_age_days: int = Field(gt=0)
    store_column: str = "store_id"
    stores: str = "silver.stores"


class Check(BaseModel):
    """One named rule. Exactly one kind of rule per check."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    column: str | None = None
    not_null: list[str] | None = None
    min: float | None = None
    max: float | None = None
    accepted_values: list[Any] | None = None
    foreign_key: ForeignKey | None = None
    agrees_with: Agreement | None = None
    not_after_as_of: str | None = None  # a date/timestamp column that must not be later than the run's as-of
    time_zone: str | None = None  # a column that must be NULL or an IANA time zone name
    plausible_date: PlausibleDate | None = None
    expression: str | None = None  # SQL boolean that must hold
    message: str | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> Check:
        kinds = [
            self.not_null is not None,
            self.min is not None or self.max is not None,
            self.accepted_values is not None,
            self.foreign_key is not None,
            self.agrees_with is not None,
            self.not_after_as_of is not None,
            self.time_zone is not None,
            self.plausible_date is not None,
            self.expression is not None,
        ]
        if sum(kinds) != 1:
            raise ValueError(f"check {self.name!r} must define exactly one rule")
        if (self.min is not None or self.max is not None or self.accepted_values is not None) and not self.column:
            raise ValueError(f"check {self.name!r} needs 'column'")
        return self


class NumberRules(BaseModel):
    """Rules for every numeric column of a table (``numbers:`` in the contract)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    finite: bool = True  # NaN / +-Infinity fail in every float/double column
    max_abs: float | None = Field(None, gt=0)  # plausible magnitude of every numeric column without its own min/max


class TextRules(BaseModel):
    """Rules for every text column of a table (``text:`` in the contract)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_length: int | None = Field(None, gt=0)  # longest value of any text data column, in characters


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    table: str
    layer: str = Field(pattern="^(bronze|silver|gold)$")
    description: str
    grain: str
    keys: list[str] = Field(min_length=1)
    source: dict[str, Any] | None = None
    checks: list[Check] = Field(default_factory=list)
    volatile: list[str] = Field(default_factory=list)  # columns that change on every run without meaning a change
    numbers: NumberRules = Field(default_factory=NumberRules)
    text: TextRules = Field(default_factory=TextRules)

    @property
    def foreign_tables(self) -> set[str]:
        return (
            {c.foreign_key.table for c in self.checks if c.foreign_key}
            | {c.agrees_with.table for c in self.checks if c.agrees_with}
            | {c.plausible_date.stores for c in self.checks if c.plausible_date}
        )


@cache
def load_contract(layer: str, table: str) -> Contract:
    path = layer_dir(layer) / f"{table}.yml"
    try:
        contract = Contract.model_validate(yaml.safe_load(path.read_text()))
    except FileNotFoundError as exc:
        raise ContractViolation(f"no contract for {layer}.{table}: {path} is missing") from exc
    except yaml.YAMLError as exc:
        raise ContractViolation(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise ContractViolation(describe_validation_error(str(path), exc, "contract")) from exc
    if (contract.layer, contract.table) != (layer, table):
        raise ContractViolation(f"{path}: declares {contract.layer}.{contract.table}, expected {layer}.{table}")
    return contract


def _show(column: str) -> Column:
    return F.coalesce(F.col(column).cast("string"), F.lit("null"))


def _failure(condition: Column, message: Column) -> Column:
    return F.when(condition, message)


def _check_columns(check: Check, as_of: dt.date, columns: Sequence[str]) -> list[Column]:
    """Messages (or nulls) for the row-local rules of one check."""
    label = F.lit(f"[{check.name}] ")
    if check.not_null is not None:
        return [_failure(F.col(c).isNull(), F.concat(label, F.lit(f"{c} is null"))) for c in check.not_null]
    if check.min is not None or check.max is not None:
        col, out = check.column, []
        if check.min is not None:
            out.append(
                _failure(
                    F.col(col) < check.min,
                    F.concat(label, F.lit(f"{col}="), _show(col), F.lit(f" below minimum {check.min:g}")),
                )
            )
        if check.max is not None:
            out.append(
                _failure(
                    F.col(col) > check.max,
                    F.concat(label, F.lit(f"{col}="), _show(col), F.lit(f" above maximum {check.max:g}")),
                )
            )
        return out
    if check.accepted_values is not None:
        col = check.column
        allowed = ", ".join(map(str, check.accepted_values))
        return [
            _failure(
                ~F.col(col).isin(check.accepted_values),
                F.concat(label, F.lit(f"{col}="), _show(col), F.lit(f" not in [{allowed}]")),
            )
        ]
    if check.not_after_as_of is not None:
        col = check.not_after_as_of
        return [
            _failure(
                F.to_date(F.col(col)) > F.lit(as_of),
                F.concat(label, F.lit(f"{col}="), _show(col), F.lit(f" is after the run date {as_of}")),
            )
        ]
    if check.time_zone is not None:
        col = check.time_zone
        return [
            _failure(
                F.col(col).isNotNull() & ~F.col(col).isin(sorted(TIME_ZONES)),
                F.concat(label, F.lit(f"{col}="), _show(col), F.lit(" is not an IANA time zone such as Europe/Berlin")),
            )
        ]
    if check.expression is not None:
        text = check.message or f"violates {check.expression}"
        shown = _shown_values(check.expression, columns)
        parts = [label, F.lit(text), *([F.lit(" ("), shown, F.lit(")")] if shown is not None else [])]
        return [_failure(~F.coalesce(F.expr(check.expression), F.lit(False)), F.concat(*parts))]
    return []


def _shown_values(expression: str, columns: Sequence[str]) -> Column | None:
    """``a=1, b=2`` for the columns an expression names, in the order it names them: the offending values."""
    named = [c for c in dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression)) if c in columns]
    if not named:
        return None
    return F.concat_ws(", ", *[F.concat(F.lit(f"{c}="), _show(c)) for c in named])


_INTEGRAL_RANGE = {
    ByteType: (-(2**7), 2**7 - 1),
    ShortType: (-(2**15), 2**15 - 1),
    IntegerType: (-(2**31), 2**31 - 1),
    LongType: (-(2**63), 2**63 - 1),
}


def _number_rules(df: DataFrame, contract: Contract) -> list[Column]:
    """``[finite]`` and ``[plausible]`` messages for every numeric data column (lineage columns excluded)."""
    rules = contract.numbers
    bounded_low = {c.column for c in contract.checks if c.min is not None}
    bounded_high = {c.column for c in contract.checks if c.max is not None}
    source = f"{contract.layer}/{contract.table}.yml"
    out: list[Column] = []
    for field in df.schema.fields:
        name = field.name
        if name.startswith("_") or not isinstance(field.dataType, NumericType):
            continue
        value = F.col(name)
        if rules.finite and isinstance(field.dataType, FloatType | DoubleType):
            bad = F.isnan(value) | value.isin(float("inf"), float("-inf"))
            out.append(
                _failure(bad, F.concat(F.lit(f"[finite] {name}="), _show(name), F.lit(" is not a finite number")))
            )
        if rules.max_abs is not None:
            limit = rules.max_abs
            for side, exceeds, exempt in (
                ("above", value > limit, bounded_high),
                ("below", value < -limit, bounded_low),
            ):
                if name in exempt:
                    continue
                bound = f"{limit:g}" if side == "above" else f"{-limit:g}"
                text = F.concat(
                    F.lit(f"[plausible] {name}="),
                    _show(name),
                    F.lit(f" is {side} the plausible bound {bound} (numbers.max_abs in {source})"),
                )
                out.append(_failure(exceeds, text))
    return out


SHOWN_CHARS = 40  # characters of an over-long value quoted in its message


def _text_rules(df: DataFrame, contract: Contract) -> list[Column]:
    """``[length]`` messages for text data columns longer than ``text.max_length`` (an id of 100 KB is an
    export or join gone wrong, and would be copied into every table and message that names it)."""
    limit = contract.text.max_length
    if limit is None:
        return []
    source = f"{contract.layer}/{contract.table}.yml"
    out = []
    for field in df.schema.fields:
        if field.name.startswith("_") or not isinstance(field.dataType, StringType):
            continue
        value = F.col(field.name)
        text = F.concat(
            F.lit(f"[length] {field.name}='"),
            F.substring(value, 1, SHOWN_CHARS),
            F.lit("...' is "),
            F.length(value).cast("string"),
            F.lit(f" characters, more than {limit} (text.max_length in {source})"),
        )
        out.append(_failure(F.length(value) > limit, text))
    return out


def _fits(value: Column, source: DataType, target: DataType) -> Column | None:
    """A condition that is true when ``value`` cannot be stored in ``target`` (None when it always can)."""
    if isinstance(target, tuple(_INTEGRAL_RANGE)) and isinstance(source, NumericType):
        low, high = _INTEGRAL_RANGE[type(target)]
        src = _INTEGRAL_RANGE.get(type(source))
        if src is not None and low <= src[0] and src[1] <= high:
            return None
        return (value < F.lit(low)) | (value > F.lit(high))
    if isinstance(target, DecimalType) and isinstance(source, NumericType) and source != target:
        limit = 10 ** (target.precision - target.scale)
        return F.abs(value.cast("double")) >= F.lit(float(limit))
    return None


def _type_fit(df: DataFrame, target_schema: StructType, label: str) -> list[Column]:
    """``[fits_type]`` messages for values out of range of the target column's type (instead of a CAST_OVERFLOW)."""
    present = {f.name: f.dataType for f in df.schema.fields}
    out: list[Column] = []
    for field in target_schema.fields:
        source = present.get(field.name)
        if source is None or field.name.startswith("_"):
            continue
        condition = _fits(F.col(field.name), source, field.dataType)
        if condition is not None:
            text = F.concat(
                F.lit(f"[fits_type] {field.name}="),
                _show(field.name),
                F.lit(f" does not fit {field.dataType.simpleString()} of {label}"),
            )
            out.append(_failure(F.coalesce(condition, F.lit(False)), text))
    return out


def evaluate_checks(
    df: DataFrame,
    contract: Contract,
    *,
    as_of: dt.date,
    reference: Callable[[str], DataFrame],
    target_schema: StructType | None = None,
) -> DataFrame:
    """Append the contract's failures to ``_errors`` (created if absent).

    ``reference(name)`` returns the DataFrame of a foreign-key target ("silver.stores"). Columns that are
    NOT NULL in ``target_schema`` (or, without a schema, the contract's keys) are checked for nulls
    implicitly, so a write never trips Delta's constraint.
    """
    if ERRORS not in df.columns:
        df = df.withColumn(ERRORS, F.array().cast("array<string>"))
    if target_schema is None:
        required = list(contract.keys)
    else:  # a key column may be nullable by design (inventory_snapshot.expiry_date); the DDL decides
        required = [f.name for f in target_schema.fields if not f.nullable and f.name in df.columns]
    messages = [_failure(F.col(c).isNull(), F.lit(f"[not_null] {c} is null")) for c in required]
    messages += _number_rules(df, contract)
    messages += _text_rules(df, contract)
    if target_schema is not None:
        messages += _type_fit(df, target_schema, f"{contract.layer}.{contract.table}")
    for check in contract.checks:
        messages += _check_columns(check, as_of, df.columns)
    for i, check in enumerate(c for c in contract.checks if c.foreign_key):
        fk = check.foreign_key
        flag = f"_fk_{i}"
        keys = reference(fk.table).select(*[F.col(r).alias(c) for r, c in zip(fk.references, fk.columns, strict=True)])
        keys = keys.dropDuplicates().withColumn(flag, F.lit(True))
        df = df.join(F.broadcast(keys), on=fk.columns, how="left")
        present = F.lit(True)
        for c in fk.columns:
            present = present & F.col(c).isNotNull()
        msg = F.concat(F.lit(missing_reference(check.name, fk.table)), reference_key(fk.columns))
        messages.append(_failure(present & F.col(flag).isNull(), msg))
    for check in contract.checks:
        if check.plausible_date:
            df, found = _plausible_date(df, check, as_of, reference)
            messages += found
    joined: list[str] = []
    for i, check in enumerate(c for c in contract.checks if c.agrees_with):
        before = set(df.columns)
        df, found = _agreement(df, check, i, reference)
        joined += [c for c in df.columns if c not in before]
        messages += found
    new = F.filter(F.array(*messages), lambda m: m.isNotNull()) if messages else F.array().cast("array<string>")
    result = df.withColumn(ERRORS, F.concat(F.col(ERRORS), new))
    return result.drop(*[c for c in result.columns if c.startswith(("_fk_", "_open_"))], *joined)


def _plausible_date(
    df: DataFrame, check: Check, as_of: dt.date, reference: Callable[[str], DataFrame]
) -> tuple[DataFrame, list[Column]]:
    rule = check.plausible_date
    label, col = f"[{check.name}] ", rule.column
    earliest = as_of - dt.timedelta(days=rule.max_age_days)
    out = [
        _failure(
            F.col(col) < F.lit(earliest),
            F.concat(
                F.lit(f"{label}{col}="),
                _show(col),
                F.lit(f" is more than {rule.max_age_days} days before the run date {as_of}"),
            ),
        )
    ]
    opened = f"_open_{check.name}"
    stores = reference(rule.stores)
    if "open_date" in stores.columns:
        stores = stores.select(F.col("store_id").alias(rule.store_column), F.col("open_date").alias(opened))
        df = df.join(F.broadcast(stores.where(F.col(opened).isNotNull())), rule.store_column, "left")
        text = F.concat(
            F.lit(f"{label}{col}="),
            _show(col),
            F.lit(" is before store "),
            _show(rule.store_column),
            F.lit(" opened (open_date="),
            _show(opened),
            F.lit(")"),
        )
        out.append(_failure(F.col(col) < F.col(opened), text))
    return df, out


REFERENCE_MISSING = "unknown key in"


def missing_reference(check: str, table: str) -> str:
    """How the message of a ``foreign_key`` check that found no row in ``table`` begins; :func:`reference_key`
    follows."""
    return f"[{check}] {REFERENCE_MISSING} {table}: "


def reference_key(columns: Sequence[str]) -> Column:
    """``a=1, b=2``: the key a missing reference names, built the same way from the referencing row (its message)
    and from the referenced rows (when a held row looks for its key's arrival)."""
    return F.concat_ws(", ", *[F.concat(F.lit(f"{c}="), _show(c)) for c in columns])


def waits_for_reference(errors: Column) -> Column:
    """True when every message of ``errors`` is a missing reference (a ``foreign_key`` failure): the row may
    become valid when the referenced row lands, so it is held and checked again instead of rejected for good."""
    return (F.size(errors) > 0) & F.forall(errors, lambda e: e.contains(f"] {REFERENCE_MISSING} "))


def _agreement(
    df: DataFrame, check: Check, index: int, reference: Callable[[str], DataFrame]
) -> tuple[DataFrame, list[Column]]:
    """Join the referenced row's columns (``ref_<column>``) and give the messages of an ``agrees_with`` check."""
    rule = check.agrees_with
    flag = f"_ag_{index}"
    wanted = list(dict.fromkeys([*rule.equal, *rule.columns]))
    ref = reference(rule.table).select(*rule.keys, *[F.col(c).alias(f"ref_{c}") for c in wanted])
    df = df.join(F.broadcast(ref.withColumn(flag, F.lit(True))), on=rule.keys, how="left")
    label = f"[{check.name}] "
    key = F.concat_ws(", ", *[F.concat(F.lit(f"{c}="), _show(c)) for c in rule.keys])
    found = F.col(flag).isNotNull()
    out = []
    for c in rule.equal:
        text = F.concat(
            F.lit(f"{label}{c}="),
            _show(c),
            F.lit(f" differs from {rule.table} {c}="),
            _show(f"ref_{c}"),
            F.lit(" for "),
            key,
        )
        out.append(_failure(found & ~F.col(c).eqNullSafe(F.col(f"ref_{c}")), text))
    if rule.expression is not None:
        text = check.message or f"violates {rule.expression}"
        shown = _shown_values(rule.expression, df.columns)
        parts = [F.lit(f"{label}{text} against {rule.table} ("), *([shown, F.lit("; ")] if shown is not None else [])]
        message = F.concat(*parts, key, F.lit(")"))
        out.append(_failure(found & ~F.coalesce(F.expr(rule.expression), F.lit(False)), message))
    return df, out


def mark_duplicates(df: DataFrame, keys: list[str], order: list[Column], describe: Column | None = None) -> DataFrame:
    """Keep the first row per key (by ``order``, which must be a total order for a deterministic winner) clean;
    flag the others in ``_errors``, naming the kept row by ``describe`` (e.g. its file and line) when given.

    Run it after the checks: only rows without other errors compete, so a row that fails a check never beats
    one that passes (it is quarantined with its own reasons instead).
    """
    valid = F.size(ERRORS) == 0
    window = Window.partitionBy(*keys, valid).orderBy(*order)
    ranked = df.withColumn("_dup_rank", F.row_number().over(window))
    shown = F.concat_ws(", ", *[F.concat(F.lit(f"{k}="), _show(k)) for k in keys])
    if describe is None:
        kept = F.lit(" (an earlier/newer row was kept)")
    else:
        winner = F.first(describe).over(window.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing))
        kept = F.concat(F.lit("; kept "), F.coalesce(winner, F.lit("the first row in order")))
    dup = F.concat(F.lit("[unique] duplicate of key "), shown, kept)
    flagged = F.when(valid & (F.col("_dup_rank") > 1), F.array_append(F.col(ERRORS), dup)).otherwise(F.col(ERRORS))
    return ranked.withColumn(ERRORS, flagged).drop("_dup_rank")


def split_valid(df: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(rows without errors, rows with errors)."""
    return df.filter(F.size(ERRORS) == 0).drop(ERRORS), df.filter(F.size(ERRORS) > 0)
