"""read_demand_csv keeps good rows and reports bad ones with their line numbers (header = line 1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lakehouse_inv.forecast.csv_io import BadRow, DemandFileError, read_demand_csv

CONTENT = (
    "series_id,date,demand\n"  # 1
    "A,2025-01-01,3\n"  # 2
    "A,2025-01-02,-1\n"  # 3 negative
    ",2025-01-03,2\n"  # 4 no series
    "\n"  # 5 blank: ignored
    "B,2025-13-01,1\n"  # 6 bad date
    "B,2025-01-02,abc\n"  # 7 not a number
    "B,2025-01-03,1,9\n"  # 8 extra field
    '"C\nD",2025-01-04,2\n'  # 9-10 quoted newline: still one good row
    "E,2025-01-05,inf\n"  # 11 infinite
    "E,not-a-date,\n"  # 12 two problems
    "E,2025-01-07,0\n"  # 13
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demand.csv"
    path.write_text(text)
    return path


def test_bad_rows_are_reported_with_file_line_numbers(tmp_path: Path) -> None:
    good, bad = read_demand_csv(write(tmp_path, CONTENT))
    assert bad == [
        BadRow(3, "demand is negative"),
        BadRow(4, "missing series_id"),
        BadRow(6, "date is not YYYY-MM-DD"),
        BadRow(7, "demand is not a number"),
        BadRow(8, "expected 3 fields, found 4"),
        BadRow(11, "demand is infinite"),
        BadRow(12, "date is not YYYY-MM-DD; demand is not a number"),
    ]
    assert good["series_id"].tolist() == ["A", "C\nD", "E"]
    assert good["date"].tolist() == pd.to_datetime(["2025-01-01", "2025-01-04", "2025-01-07"]).tolist()
    assert good["demand"].tolist() == [3.0, 2.0, 0.0]
    assert good["date"].dtype.kind == "M" and good["demand"].dtype == float


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    expected = r"missing required column\(s\) series_id, demand \(found: id, date, qty\)"
    with pytest.raises(DemandFileError, match=expected):
        read_demand_csv(write(tmp_path, "id,date,qty\nA,2025-01-01,1\n"))
    with pytest.raises(DemandFileError, match="no header"):
        read_demand_csv(write(tmp_path, ""))


def test_optional_price_column_is_kept(tmp_path: Path) -> None:
    good, bad = read_demand_csv(write(tmp_path, "series_id,date,demand,price\nA,2025-01-01,1,2.5\nA,2025-01-02,2,\n"))
    assert not bad
    assert good["price"].tolist()[0] == 2.5 and pd.isna(good["price"].iloc[1])
