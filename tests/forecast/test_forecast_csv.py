"""read_demand_csv keeps good rows and reports bad ones with their line numbers (header = line 1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lakehouse_inv.forecast import file_tool
from lakehouse_inv.forecast.csv_io import BadRow, DemandFileError, read_demand_csv
from lakehouse_inv.forecast.file_tool import main as forecast_file_main

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


def test_a_text_file_that_is_no_csv_gets_a_one_line_message(tmp_path: Path) -> None:
    with pytest.raises(DemandFileError) as raised:
        read_demand_csv(
            write(tmp_path, '"""Docstring\nof a module\n\nwith paragraphs' + "x" * 500 + '"""\nimport os\n')
        )
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 200 + len(str(tmp_path))
    assert str(raised.value).endswith("""(found: '"Docstring\\nof a module\\n\\nwith paragraphsx'...)""")


def test_optional_price_column_is_kept(tmp_path: Path) -> None:
    good, bad = read_demand_csv(write(tmp_path, "series_id,date,demand,price\nA,2025-01-01,1,2.5\nA,2025-01-02,2,\n"))
    assert not bad
    assert good["price"].tolist()[0] == 2.5 and pd.isna(good["price"].iloc[1])


# ----- issue 9: undecodable bytes, implausible demand, duplicates, atomic output ------------------------------------


def test_a_latin1_line_is_one_bad_row_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes(b"series_id,date,demand\nA,2025-01-01,3\nCaf\xe9,2025-01-01,2\nA,2025-01-02,4\n")
    good, bad = read_demand_csv(path)
    assert bad == [BadRow(3, "not valid UTF-8 (byte 0xe9 in series_id)")]
    assert good["demand"].tolist() == [3.0, 4.0]


def test_a_binary_file_is_one_error_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "demand.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\xff\xfe,\x00\n\x00\x01\x02")
    with pytest.raises(DemandFileError, match=r"demand\.xlsx:1: not a UTF-8 CSV file"):
        read_demand_csv(path)


def test_implausible_demand_is_a_bad_row_naming_the_value(tmp_path: Path) -> None:
    text = "series_id,date,demand\nA,2025-01-01,1e300\nA,2025-01-02,5\nA,2025-01-03,2000\n"
    good, bad = read_demand_csv(write(tmp_path, text))
    assert bad == [BadRow(2, "demand 1e300 exceeds the plausible maximum 1e+09")]
    assert good["demand"].tolist() == [5.0, 2000.0]
    good, bad = read_demand_csv(write(tmp_path, text), max_demand=1000)
    assert [row.line for row in bad] == [2, 4] and bad[1].reason == "demand 2000 exceeds the plausible maximum 1000"


def test_an_underflowing_demand_is_a_bad_row_and_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    text = "series_id,date,demand,price\nA,2025-01-01,1e-400,2\nA,2025-01-02,0.0e5,1e400\nA,2025-01-03,-0,3\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    good, bad = read_demand_csv(path)
    assert bad == [BadRow(2, "demand 1e-400 is not zero but rounds to 0 (underflow)")]
    assert good["demand"].tolist() == [0.0, 0.0]
    assert pd.isna(good["price"].iloc[0]) and good["price"].iloc[1] == 3  # an infinite price is a missing one


def test_duplicate_series_dates_reject_the_series(tmp_path: Path) -> None:
    text = "series_id,date,demand\nA,2025-01-01,1\nA,2025-01-02,5\nB,2025-01-01,1\nA,2025-01-02,7\nA,2025-01-03,2\n"
    good, bad = read_demand_csv(write(tmp_path, text))
    reason = "duplicate series_id/date: A 2025-01-02 on lines 3, 5; series A left out"
    assert bad == [BadRow(3, reason), BadRow(5, reason)]
    assert good["series_id"].tolist() == ["B"]


def test_forecast_file_tool_exits_2_with_one_line_for_a_binary_file(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "demand.csv", tmp_path / "forecasts.csv"
    source.write_bytes(bytes(range(256)) * 4)
    assert forecast_file_main(["--input", str(source), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {source}:1: not a UTF-8 CSV file") and err.count("\n") == 1
    assert not out.exists()


def test_forecast_file_tool_unreadable_input_is_exit_2(tmp_path: Path, capsys) -> None:
    assert forecast_file_main(["--input", str(tmp_path), "--output", str(tmp_path / "o.csv")]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot read {tmp_path}")


def test_forecast_file_tool_output_is_replaced_only_when_complete(tmp_path: Path, monkeypatch) -> None:
    source, out = write(tmp_path, "series_id,date,demand\nA,2025-01-01,1\n"), tmp_path / "forecasts.csv"
    out.write_text("previous forecasts\n")

    class DiesWhileWriting:
        """Forecasts whose CSV writing fails half-way (disk full, interrupt)."""

        def to_csv(self, target, **kwargs) -> None:
            if isinstance(target, str | Path):  # how the tool wrote before: straight into the output path
                with Path(target).open("w") as handle:
                    handle.write("series_id,date,mea")
            else:
                target.write("series_id,date,mea")
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(file_tool, "forecast_file", lambda *args, **kwargs: DiesWhileWriting())
    assert forecast_file_main(["--input", str(source), "--output", str(out)]) == 2
    assert out.read_text() == "previous forecasts\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demand.csv", "forecasts.csv"]

    frame = pd.DataFrame({c: ["x"] for c in file_tool.OUTPUT_COLUMNS})
    monkeypatch.setattr(file_tool, "forecast_file", lambda *args, **kwargs: frame)
    assert forecast_file_main(["--input", str(source), "--output", str(out)]) == 0
    assert out.read_text() == ",".join(file_tool.OUTPUT_COLUMNS) + "\n" + ",".join(["x"] * 8) + "\n"
