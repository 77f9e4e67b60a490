"""Landing files, without Spark: which files to read, whether they can be read, and their records.

The ingest keeps a *ledger* per bronze table (``<checkpoint_dir>/bronze/<table>/ledger``): for every
file it ingested, the size, modification time and SHA-256 it had. A batch of files is first written as
an intent (``<n>.pending.json``), then appended to bronze in one Delta commit, then the intent is
committed (renamed ``<n>.json``). A run that finds an intent left by a killed run redoes that batch,
unless bronze already holds rows of its files (the append committed before the kill): every file is
appended exactly once, in one atomic commit.

Records are split as RFC 4180 CSV (a quoted field may span lines) or JSON lines. Anything that does not
fit the export layout keeps its raw text in ``_rescued_data`` so that refine quarantines it whole: a
wrong number of fields, a field holding a line break, bytes that are not UTF-8 (kept escaped, ``\\xe9``),
a NUL byte (kept as ``\\x00``).

Damage stays local. A record that spans lines must close and have the export's field count; otherwise (an
unclosed quote, which would swallow every later line up to the next quote character) its first line alone is
the malformed record and reading resumes at the next line, so the good lines after it land. A file that
cannot be read as a whole (a header other than the export's, binary content) is *held back*: nothing of it is
written, the ledger does not list it, and the next run tries it again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESCUED = "_rescued_data"
NUL = "\x00"
_UNDECODABLE = re.compile("[\udc80-\udcff]")
MAX_LISTED = 5  # names shown per warning; the count is always given


class HeldBack(Exception):
    """A landing file that cannot be ingested as a whole; the message says what is wrong in one line."""


@dataclass(frozen=True)
class FileState:
    """What an ingested file looked like: enough to notice that it changed afterwards."""

    name: str
    size: int
    mtime_ns: int
    sha256: str
    rows: int = 0

    def same_as(self, path: Path) -> bool:
        stat = path.stat()
        if stat.st_size == self.size and stat.st_mtime_ns == self.mtime_ns:
            return True
        return stat.st_size == self.size and sha256_of(path.read_bytes()) == self.sha256


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_state(path: Path, data: bytes, rows: int) -> FileState:
    return FileState(path.name, len(data), path.stat().st_mtime_ns, sha256_of(data), rows)


# --- which files ----------------------------------------------------------------------------------------------


@dataclass
class Listing:
    files: list[Path] = field(default_factory=list)  # top-level, visible: the ones to ingest
    ignored: list[str] = field(default_factory=list)  # hidden/underscore names and anything in a subfolder


def list_landing(folder: Path) -> Listing:
    """Files directly in ``folder`` are ingested; names starting with ``.`` or ``_`` (temporary or marker files)
    and files in subfolders are not, and are listed as ignored (relative paths), so nothing is skipped silently."""
    listing = Listing()
    if not folder.is_dir():
        return listing
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(folder)
        if len(relative.parts) > 1 or path.name.startswith((".", "_")):
            listing.ignored.append(relative.as_posix())
        else:
            listing.files.append(path)
    return listing


def name_some(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


# --- records ------------------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, bool]:
    """Text of the file and whether it holds bytes that are not UTF-8 (kept as surrogates to escape later)."""
    try:
        text, bad = data.decode("utf-8"), False
    except UnicodeDecodeError:
        text, bad = data.decode("utf-8", "surrogateescape"), True
    return text.removeprefix("\ufeff"), bad


def escaped(text: str) -> str:
    """Undecodable bytes and NUL as ``\\xNN`` (the text is otherwise unchanged)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").replace(NUL, "\\x00")


def _binary(display: str) -> HeldBack:
    return HeldBack(f"{display}: binary content (NUL bytes), not a text export")


def _physical_lines(text: str) -> list[str]:
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


class _Lines:
    """The physical lines, read by ``csv.reader`` from a position that recovery can move."""

    def __init__(self, lines: list[str]):
        self.lines, self.position = lines, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.position >= len(self.lines):
            raise StopIteration
        self.position += 1
        return self.lines[self.position - 1]


def _line_fields(line: str) -> list[str]:
    """Fields of one broken line read on its own, an unclosed quote ending at the line end, so that the
    quarantined record still shows its key where it can."""
    try:
        return next(csv.reader([line.rstrip("\r\n")]), [])
    except csv.Error:
        return []


def _csv_records(lines: list[str], width: list[int]) -> Iterator[tuple[list[str], str, int, bool]]:
    """(fields, raw text, first line number, broken) of every record.

    A quoted field may span lines (RFC 4180), but only a record that then parses with ``width[0]`` fields (the
    header's, known once it is read) is taken as one; otherwise its first line alone is a broken record and
    reading resumes at the next line. A line holding a NUL byte is a broken record of its own.
    """
    source = _Lines(lines)
    reader = csv.reader(source, strict=True)
    while source.position < len(lines):
        start = source.position
        if NUL in lines[start]:
            source.position = start + 1
            yield _line_fields(lines[start]), lines[start], start + 1, True
            reader = csv.reader(source, strict=True)
            continue
        try:
            fields: list[str] | None = next(reader)
        except StopIteration:
            return
        except csv.Error:
            fields = None
        end = source.position
        spans = end - start > 1
        if spans and (fields is None or len(fields) != width[0] or any(NUL in line for line in lines[start:end])):
            source.position = start + 1
            reader = csv.reader(source, strict=True)
            yield _line_fields(lines[start]), lines[start], start + 1, True
            continue
        yield (fields if fields is not None else []), "".join(lines[start:end]), start + 1, fields is None


def _layout_problem(fields: list[str], raw: str, n_columns: int, undecodable: bool) -> bool:
    body = raw.rstrip("\r\n")
    return undecodable or len(fields) != n_columns or "\n" in body or "\r" in body


def _cell(value: str) -> str | None:
    return escaped(value) if value != "" else None


def parse_csv(data: bytes, columns: list[str], display: str, optional: Collection[str] = ()) -> list[tuple]:
    """Rows ``(*columns, _rescued_data, line number)`` of a CSV export whose header must be exactly ``columns``
    (line 1 is the header), in that order; ``optional`` columns may be absent (their values are then NULL)."""
    text, bad = _decode(data)
    width = [len(columns)]
    records = _csv_records(_physical_lines(text), width)
    header = next(records, None)
    if header is None:
        return []  # an empty file: no rows
    found = [h.strip() for h in header[0]]
    present = {f.lower() for f in found}
    optional_lower = {c.lower() for c in optional}
    expected = [c for c in columns if c.lower() in present or c.lower() not in optional_lower]
    if header[3] or [f.lower() for f in found] != [c.lower() for c in expected]:
        if NUL in text:  # not the export's header and NUL bytes: not a text file at all
            raise _binary(display)
        raise HeldBack(f"{display}: {header_difference(expected, found)}")
    width[0] = len(expected)
    rows = _rows(records, expected, bad)
    if expected == columns:
        return rows
    position = {c: i for i, c in enumerate(expected)}  # absent optional columns: NULL
    return [tuple(row[position[c]] if c in position else None for c in columns) + row[len(expected) :] for row in rows]


def _rows(records: Iterator[tuple[list[str], str, int, bool]], columns: list[str], bad: bool) -> list[tuple]:
    rows: list[tuple] = []
    for fields, raw, line, broken in records:
        if not raw.strip():
            continue
        undecodable = broken or (bad and _UNDECODABLE.search(raw) is not None)
        values: list[str | None] = [_cell(v) for v in fields[: len(columns)]]
        values += [None] * (len(columns) - len(values))
        rescued = escaped(raw.rstrip("\r\n")) if _layout_problem(fields, raw, len(columns), undecodable) else None
        rows.append((*values, rescued, line))
    return rows


def header_difference(expected: list[str], found: list[str]) -> str:
    """One line: what differs between the export's header and the file's."""
    missing = [c for c in expected if c.lower() not in {f.lower() for f in found}]
    extra = [f for f in found if f.lower() not in {c.lower() for c in expected}]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected {', '.join(extra) if any(extra) else repr(extra)}")
    if not parts:
        parts.append("same columns in another order")
    what = "; ".join(parts)
    return f"header does not match the export layout ({what}): expected {','.join(expected)} found {','.join(found)}"


def json_lines(data: bytes, display: str) -> list[tuple[str, bool, int]]:
    """(text, undecodable, line number) of every non-blank line; undecodable bytes and NUL escaped (the line is
    then rescued whole). A file whose lines mostly hold NUL bytes is binary content and held back."""
    text, bad = _decode(data)
    out = []
    with_nul = 0
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        with_nul += NUL in line
        undecodable = (bad and _UNDECODABLE.search(line) is not None) or NUL in line
        out.append((escaped(line) if undecodable else line, undecodable, number))
    if with_nul * 2 > len(out):
        raise _binary(display)
    return out


# --- ledger -------------------------------------------------------------------------------------------------


@dataclass
class Batch:
    number: int
    run_id: str
    files: list[FileState]

    def to_json(self) -> str:
        return json.dumps({"batch": self.number, "run_id": self.run_id, "files": [asdict(f) for f in self.files]})

    @classmethod
    def from_json(cls, text: str) -> Batch:
        data = json.loads(text)
        return cls(data["batch"], data["run_id"], [FileState(**f) for f in data["files"]])


class Ledger:
    """The files a bronze table holds, as committed batches (``<n>.json``) and at most one intent
    (``<n>.pending.json``) left by a run that stopped before committing it."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def _batches(self, suffix: str) -> dict[int, Path]:
        if not self.folder.is_dir():
            return {}
        pattern = re.compile(rf"^(\d+){re.escape(suffix)}$")
        return {int(m.group(1)): p for p in self.folder.iterdir() if (m := pattern.match(p.name))}

    def committed(self) -> dict[str, FileState]:
        files: dict[str, FileState] = {}
        for _, path in sorted(self._batches(".json").items()):
            for state in Batch.from_json(path.read_text()).files:
                files[state.name] = state
        return files

    def exists(self) -> bool:
        return bool(self._batches(".json") or self._batches(".pending.json"))

    def pending(self) -> Batch | None:
        committed = self._batches(".json")
        open_intents = [n for n in self._batches(".pending.json") if n not in committed]
        return Batch.from_json(self._batches(".pending.json")[max(open_intents)].read_text()) if open_intents else None

    def next_number(self) -> int:
        numbers = [*self._batches(".json"), *self._batches(".pending.json")]
        return max(numbers) + 1 if numbers else 0

    def _write(self, name: str, text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{name}.tmp"
        with open(tmp, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.folder / name)

    def intend(self, batch: Batch) -> None:
        self._write(f"{batch.number}.pending.json", batch.to_json())

    def commit(self, batch: Batch) -> None:
        self._write(f"{batch.number}.json", batch.to_json())
        (self.folder / f"{batch.number}.pending.json").unlink(missing_ok=True)
