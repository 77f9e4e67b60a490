"""Compare two demo runs table by table: is every Delta table (and every landing file) the same?

    python scripts/compare_warehouses.py OLD_DIR NEW_DIR [--ignore COLUMN ...]

Each directory is where a ``lakehouse-inv run`` wrote (``landing/`` and ``warehouse/<layer>.db/<table>``). Tables
are read with ``deltalake`` (no Spark), so the check needs no JVM. Per table the columns both runs have are compared
after dropping the columns that differ between any two runs by design (run ids, timestamps, durations, MLflow run
ids in messages: ``VOLATILE`` and ``--ignore``), the rows sorted on every remaining column. Exit code 0 when
everything is identical, 1 otherwise; the report names each differing table, its row counts and the columns that
differ.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pandas as pd
from deltalake import DeltaTable

# columns that carry the run's identity or the clock, never a business value
VOLATILE = {"_run_id", "_ingested_at", "_updated_at", "run_id", "started_at", "duration_s", "solve_ms"}
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


def comparable(frame: pd.DataFrame, drop: set[str]) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in frame.columns if c in drop])
    frame = frame[sorted(frame.columns)]
    text = frame.astype(str)  # sorts any column type (lists, dicts, NaN) the same way in both runs
    order = text.sort_values(list(text.columns), kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


def differing_columns(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    out = []
    for column in old.columns:
        a, b = old[column], new[column]
        same = a.astype(str).equals(b.astype(str))
        if not same:
            out.append(column)
    return out


def compare(old_root: Path, new_root: Path, ignore: set[str]) -> list[str]:
    problems: list[str] = []
    old_files, new_files = landing_digests(old_root), landing_digests(new_root)
    if old_files != new_files:
        changed = sorted(k for k in old_files.keys() & new_files.keys() if old_files[k] != new_files[k])
        only = sorted(old_files.keys() ^ new_files.keys())
        problems.append(f"landing: {len(changed)} files differ {changed[:5]}, {len(only)} in one run only {only[:5]}")
    print(f"landing: {len(old_files)} files in the old run, {len(new_files)} in the new one")
    old_tables, new_tables = tables(old_root), tables(new_root)
    if old_tables.keys() != new_tables.keys():
        problems.append(f"tables in one run only: {sorted(old_tables.keys() ^ new_tables.keys())}")
    for name in sorted(old_tables.keys() & new_tables.keys()):
        old = DeltaTable(str(old_tables[name])).to_pandas()
        new = DeltaTable(str(new_tables[name])).to_pandas()
        drop = VOLATILE | VOLATILE_BY_TABLE.get(name, set()) | ignore
        if set(old.columns) != set(new.columns):
            problems.append(f"{name}: columns differ {sorted(set(old.columns) ^ set(new.columns))}")
        shared = sorted(set(old.columns) & set(new.columns))
        a, b = comparable(old[shared], drop), comparable(new[shared], drop)
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
    args = parser.parse_args(argv)
    problems = compare(args.old, args.new, set(args.ignore))
    print("\n" + ("\n".join(problems) if problems else "every table and landing file is identical"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
