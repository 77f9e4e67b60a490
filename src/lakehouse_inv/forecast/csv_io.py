"""Read a long demand CSV (``series_id,date,demand[,price]``) for ``lakehouse-inv forecast-file``, keeping good rows.

Bad rows are excluded and reported with their 1-based line number in the file (the header is line 1), so a user
can open the file at the right place. Lines are counted by the ``csv`` module, which stays exact across quoted
fields with embedded newlines and blank lines; the checks themselves are vectorised in pandas.

A row is bad when it is not valid UTF-8 or holds a NUL byte, ``series_id`` is empty, ``date`` is not a
``YYYY-MM-DD`` date, ``demand`` is missing, non-numeric, infinite, negative, above ``max_demand`` (an implausible
value such as ``1e300``, default :data:`DEFAULT_MAX_DEMAND` units a day) or a non-zero number that rounds to 0
(``1e-400``), or the row has the wrong number of fields. The optional ``price`` and ``lost_requests`` columns are
parsed leniently (unreadable or non-finite -> NaN): the forecast carries the last known price over missing ones.
A UTF-8 byte order mark before the header is skipped.

Two good rows for the same ``series_id`` and ``date`` are never summed nor is one of them picked: which value is
right cannot be known, and dropping only the duplicated day would turn it into a zero-demand day. Every row of such
a series is left out, and the duplicated rows are reported with the series, the date and all their lines.

A file whose header is not UTF-8 text (a binary file, a spreadsheet) raises :class:`DemandFileError` naming the file
and line 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("series_id", "date", "demand")
OPTIONAL_COLUMNS = ("price", "lost_requests")
# Kept as text: ``stockout`` true/false/1/0/yes (see ``history``: a day out of stock is censored demand) and
# ``group_id``, the pooling group of the series (e.g. its product or department, see ``pooling``).
OPTIONAL_TEXT_COLUMNS = ("stockout", "group_id")
DATE_FORMAT = "%Y-%m-%d"
DEFAULT_MAX_DEMAND = 1e9
"""Largest plausible demand of one series on one day (units); larger values are rejected as bad rows."""


_NONZERO_MANTISSA = r"^[+-]?(?:\d*\.)?\d*[1-9]"  # a digit 1-9 before any exponent: the number is not zero


class DemandFileError(ValueError):
    """The file as a whole cannot be read as demand (empty, or required columns missing)."""


@dataclass(frozen=True)
class BadRow:
    """A data row left out, where it is, and everything wrong with it."""

    line: int
    reason: str


def _shown(name: str, width: int = 40) -> str:
    """A header name as one short line (a text file that is not a CSV can have a whole paragraph as its "header")."""
    if len(name) <= width and name.isprintable():
        return name
    return repr(name[:width]) + ("..." if len(name) > width else "")


def _encoding_problem(fields: list[str], names: list[str] | None = None) -> str | None:
    """Why a decoded row is not text: a byte that was not UTF-8 (decoded as a lone surrogate) or a NUL."""
    for position, value in enumerate(fields):
        where = f"in {names[position]}" if names is not None and position < len(names) else f"in field {position + 1}"
        for char in value:
            if "\udc80" <= char <= "\udcff":
                return f"not valid UTF-8 (byte 0x{ord(char) - 0xDC00:02x} {where})"
            if char == "\x00":
                return f"contains a NUL byte {where} (binary data?)"
    return None


def _records(path: Path) -> tuple[list[str], list[list[str]], list[int], list[BadRow]]:
    """Header, rows with the expected field count and their starting line numbers, and misshapen rows.

    The file is decoded here, undecodable bytes kept as surrogates, so one latin-1 line is one bad row instead of
    an exception that loses the whole file."""
    text = path.read_bytes().decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    rows, lines, bad = [], [], []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise DemandFileError(f"{path}:1: not a CSV header ({exc})") from None
    problem = _encoding_problem(header)
    if problem is not None:
        raise DemandFileError(f"{path}:1: not a UTF-8 CSV file: header {problem.replace(' in field', ', field')}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        found = ", ".join(_shown(name) for name in header[:10]) + (", ..." if len(header) > 10 else "")
        found = found if header else "no header"
        raise DemandFileError(f"{path}: missing required column(s) {', '.join(missing)} (found: {found})")
    previous_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's size limit: that record only
            line, previous_end = previous_end + 1, reader.line_num
            bad.append(BadRow(line, f"not a CSV record ({exc})"))
            continue
        line, previous_end = previous_end + 1, reader.line_num
        if not row:
            continue
        problem = _encoding_problem(row, header)
        if problem is not None:
            bad.append(BadRow(line, problem))
            continue
        if len(row) != len(header):
            bad.append(BadRow(line, f"expected {len(header)} fields, found {len(row)}"))
            continue
        rows.append(row)
        lines.append(line)
    return header, rows, lines, bad


def read_demand_csv(path: str | Path, *, max_demand: float = DEFAULT_MAX_DEMAND) -> tuple[pd.DataFrame, list[BadRow]]:
    """Good rows as ``series_id`` (str), ``date`` (datetime64), ``demand`` (float) [, ``price``], and the bad rows.

    Raises :class:`DemandFileError` naming the missing columns when a required column is absent, or the file and
    line when the header is not text; ``OSError`` when the file cannot be read.
    """
    path = Path(path)
    header, rows, lines, bad = _records(path)
    raw = pd.DataFrame(rows, columns=header, dtype=str)
    series_id = raw["series_id"].str.strip()
    date = pd.to_datetime(raw["date"].str.strip(), format=DATE_FORMAT, errors="coerce")
    demand = pd.to_numeric(raw["demand"].str.strip(), errors="coerce")

    problems = {
        "missing series_id": series_id.eq(""),
        "date is not YYYY-MM-DD": date.isna(),
        "demand is not a number": demand.isna(),
        "demand is infinite": np.isinf(demand),
        "demand is negative": demand.lt(0),
    }
    reasons = pd.Series("", index=raw.index)
    for reason, failed in problems.items():
        reasons[failed] += reason + "; "
    underflow = demand.eq(0) & raw["demand"].str.strip().str.contains(_NONZERO_MANTISSA, regex=True)
    reasons[underflow] += [
        f"demand {value} is not zero but rounds to 0 (underflow); " for value in raw["demand"][underflow].str.strip()
    ]
    too_large = np.isfinite(demand) & demand.gt(max_demand)
    reasons[too_large] += [
        f"demand {value} exceeds the plausible maximum {max_demand:g}; "
        for value in raw["demand"][too_large].str.strip()
    ]
    failed_any = reasons.ne("")
    duplicated = _duplicates(series_id, date, failed_any, lines)
    for i, reason in duplicated.items():
        reasons.iat[i] += reason
    left_out = series_id.isin({series_id.iat[i] for i in duplicated}) & ~failed_any
    failed_any = reasons.ne("")
    bad += [BadRow(lines[i], reasons.iat[i].removesuffix("; ")) for i in np.flatnonzero(failed_any.to_numpy())]
    failed_any |= left_out

    good = pd.DataFrame({"series_id": series_id, "date": date, "demand": demand.astype(float)})
    for column in OPTIONAL_COLUMNS:
        if column in raw.columns:
            value = pd.to_numeric(raw[column].str.strip(), errors="coerce")
            good[column] = value.where(np.isfinite(value))
    for column in OPTIONAL_TEXT_COLUMNS:
        if column in raw.columns:
            good[column] = raw[column].str.strip()
    return good[~failed_any].reset_index(drop=True), sorted(bad, key=lambda row: row.line)


def _duplicates(series_id: pd.Series, date: pd.Series, failed: pd.Series, lines: list[int]) -> dict[int, str]:
    """Reasons for the good rows that share (series_id, date) with another good row, by row position."""
    keys = pd.DataFrame({"series_id": series_id, "date": date})[~failed]
    repeated = keys[keys.duplicated(keep=False)]
    reasons = {}
    for (series, day), group in repeated.groupby(["series_id", "date"], sort=False):
        on_lines = ", ".join(str(lines[i]) for i in group.index)
        reason = f"duplicate series_id/date: {series} {day:%Y-%m-%d} on lines {on_lines}; series {series} left out; "
        reasons.update(dict.fromkeys(group.index, reason))
    return reasons
