"""Compare two demo runs table by table: is every Delta table (and every landing file) the same?

    python scripts/compare_warehouses.py OLD_DIR NEW_DIR [--ignore COLUMN ...] [--tables 'silver.*' ...]

Each directory is where a ``lakehouse-inv run`` wrote (``landing/`` and ``warehouse/<layer>.db/<table>``). Tables
are read with ``deltalake`` (no Spark), so the check needs no JVM. Per table the columns both runs have are compared
after dropping the columns that differ between any two runs by design (run ids, timestamps, random record ids,
durations, MLflow run ids in messages: ``VOLATILE`` and ``--ignore``) and making file paths relative to the run's
folder, the rows sorted on every remaining column. Exit code 0 when
everything is identical, 1 otherwise; the report names each differing table, its row counts and the columns that
differ.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import sys
from pathlib import Path

import pandas as pd
from deltalake import DeltaTable

# columns that carry the run's identity, the clock or a random id, never a business value (``_record_id`` is a
# uuid() per bronze row, and silver.quarantine.record_id repeats it)
VOLATILE = {
    "_run_id",
    "_ingested_at",
    "_updated_at",
    "_quarantined_at",
    "_record_id",
    "record_id",
    "run_id",
    "started_at",
    "duration_s",
    "solve_ms",
}
# per table: text columns that quote run ids or timings (the step messages name their MLflow run)
VOLATILE_BY_TABLE = {"gold.job_runs": {"message"}}


def tables(root: Path) -> dict[str, Path]:
    found = {}
    for layer in sorted((root / "warehouse").glob("*.db")):
        for table in sorted(p for p in layer.iterdir() if (p / "_delta_log").is_dir()):
            found[f"{layer.name.removesuffix('.db')}.{table.name}"] = table
    return found


def landing_digests(root: Path) -> dict[str, str]:
    landing = root / "landing"
    return {
        str(p.relative_to(landing)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(landing.rglob("*"))
        if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(landing).parts)
    }


def comparable(frame: pd.DataFrame, drop: set[str], root: Path) -> pd.DataFrame:
    """The frame without ``drop``, file paths relative to the run's folder, columns and rows in a fixed order."""
    frame = frame.drop(columns=[c for c in frame.columns if c in drop])
    prefixes = [str(root.resolve()) + "/", f"file:{root.resolve()}/", f"file://{root.resolve()}/"]
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, str)).any():
            frame[column] = frame[column].map(lambda v: _relative(v, prefixes))
    frame = frame[sorted(frame.columns)]
    text = frame.astype(str)  # sorts any column type (lists, dicts, NaN) the same way in both runs
    order = text.sort_values(list(text.columns), kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


def _relative(value, prefixes: list[str]):
    if isinstance(value, str):
        for prefix in sorted(prefixes, key=len, reverse=True):
            value = value.replace(prefix, "")
    return value


def differing_columns(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    out = []
    for column in old.columns:
        a, b = old[column], new[column]
        same = a.astype(str).equals(b.astype(str))
        if not same:
            out.append(column)
    return out


def compare(old_root: Path, new_root: Path, ignore: set[str], patterns: list[str]) -> list[str]:
    problems: list[str] = []
    old_files, new_files = landing_digests(old_root), landing_digests(new_root)
    if old_files != new_files:
        changed = sorted(k for k in old_files.keys() & new_files.keys() if old_files[k] != new_files[k])
        only = sorted(old_files.keys() ^ new_files.keys())
        problems.append(f"landing: {len(changed)} files differ {changed[:5]}, {len(only)} in one run only {only[:5]}")
    print(f"landing: {len(old_files)} files in the old run, {len(new_files)} in the new one")
    old_tables, new_tables = tables(old_root), tables(new_root)
    if patterns:
        old_tables = {k: v for k, v in old_tables.items() if any(fnmatch.fnmatch(k, p) for p in patterns)}
        new_tables = {k: v for k, v in new_tables.items() if any(fnmatch.fnmatch(k, p) for p in patterns)}
    if old_tables.keys() != new_tables.keys():
        problems.append(f"tables in one run only: {sorted(old_tables.keys() ^ new_tables.keys())}")
    for name in sorted(old_tables.keys() & new_tables.keys()):
        old = DeltaTable(str(old_tables[name])).to_pandas()
        new = DeltaTable(str(new_tables[name])).to_pandas()
        drop = VOLATILE | VOLATILE_BY_TABLE.get(name, set()) | ignore
        if set(old.columns) != set(new.columns):
            problems.append(f"{name}: columns differ {sorted(set(old.columns) ^ set(new.columns))}")
        shared = sorted(set(old.columns) & set(new.columns))
        a, b = comparable(old[shared], drop, old_root), comparable(new[shared], drop, new_root)
        dropped = sorted(set(shared) & drop)
        if len(a) != len(b):
            problems.append(f"{name}: {len(a)} rows in the old run, {len(b)} in the new one")
            status = "ROWS DIFFER"
        else:
            columns = differing_columns(a, b)
            status = "identical" if not columns else f"DIFFER in {columns}"
            if columns:
                problems.append(f"{name}: {len(a)} rows, columns differ {columns}")
        print(f"{name:<40}{len(a):>9} rows  {status}" + (f"  (ignored: {', '.join(dropped)})" if dropped else ""))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--ignore", nargs="*", default=[], help="more columns to leave out of every table")
    parser.add_argument("--tables", nargs="*", default=[], help="only these tables (patterns, e.g. 'silver.*')")
    args = parser.parse_args(argv)
    problems = compare(args.old, args.new, set(args.ignore), args.tables)
    print("\n" + ("\n".join(problems) if problems else "every table and landing file is identical"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
