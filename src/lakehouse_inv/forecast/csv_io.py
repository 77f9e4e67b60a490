"""Read a long demand CSV (``series_id,date,demand[,price]``) for ``lakehouse-inv forecast-file``, keeping good rows.

Bad rows are excluded and reported with their 1-based line number in the file (the header is line 1), so a user
can open the file at the right place. Lines are counted by the ``csv`` module, which stays exact across quoted
fields with embedded newlines and blank lines; the checks themselves are vectorised in pandas.

A row is bad when ``series_id`` is empty, ``date`` is not a ``YYYY-MM-DD`` date, ``demand`` is missing,
non-numeric, infinite or negative, or the row has the wrong number of fields. An optional ``price`` column is
parsed leniently (unreadable -> NaN): the forecast carries the last known price over missing ones.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("series_id", "date", "demand")
OPTIONAL_COLUMNS = ("price",)
DATE_FORMAT = "%Y-%m-%d"


class DemandFileError(ValueError):
    """The file as a whole cannot be read as demand (empty, or required columns missing)."""


@dataclass(frozen=True)
class BadRow:
    """A data row left out, where it is, and everything wrong with it."""

    line: int
    reason: str


def _records(path: Path) -> tuple[list[str], list[list[str]], list[int], list[BadRow]]:
    """Header, rows with the expected field count and their starting line numbers, and misshapen rows."""
    rows, lines, bad = [], [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            found = ", ".join(header) if header else "no header"
            raise DemandFileError(f"{path}: missing required column(s) {', '.join(missing)} (found: {found})")
        previous_end = reader.line_num
        for row in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                bad.append(BadRow(line, f"expected {len(header)} fields, found {len(row)}"))
                continue
            rows.append(row)
            lines.append(line)
    return header, rows, lines, bad


def read_demand_csv(path: str | Path) -> tuple[pd.DataFrame, list[BadRow]]:
    """Good rows as ``series_id`` (str), ``date`` (datetime64), ``demand`` (float) [, ``price``], and the bad rows.

    Raises :class:`DemandFileError` naming the missing columns when a required column is absent.
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
    failed_any = reasons.ne("")
    bad += [BadRow(lines[i], reasons.iat[i].removesuffix("; ")) for i in np.flatnonzero(failed_any.to_numpy())]

    good = pd.DataFrame({"series_id": series_id, "date": date, "demand": demand.astype(float)})
    for column in OPTIONAL_COLUMNS:
        if column in raw.columns:
            good[column] = pd.to_numeric(raw[column].str.strip(), errors="coerce")
    return good[~failed_any].reset_index(drop=True), sorted(bad, key=lambda row: row.line)
