"""The refine invariant: every bronze row is in silver (by key) or in quarantine (by record id)."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_inv.lakehouse.contracts import load_contract
from lakehouse_inv.lakehouse.quarantine import QUARANTINE
from lakehouse_inv.pipeline.context import JobContext
from lakehouse_inv.refine.conform import conform
from lakehouse_inv.refine.tables import SPECS


def unaccounted_rows(ctx: JobContext, table: str) -> DataFrame:
    """Bronze rows of ``table``'s source found neither in silver nor in quarantine (should be empty)."""
    contract = load_contract("silver", table)
    keys = contract.keys
    bronze = conform(ctx.read("bronze", contract.source["bronze"]), SPECS[table]).select("_record_id", *keys)
    in_silver = ctx.read("silver", table).select(*[F.col(k).alias(f"_s_{k}") for k in keys]).distinct()
    match = reduce(lambda a, b: a & b, [bronze[k].eqNullSafe(in_silver[f"_s_{k}"]) for k in keys])
    quarantined = (
        ctx.read("silver", QUARANTINE)
        .where(F.col("target_table") == f"silver.{table}")
        .select(F.col("record_id").alias("_record_id"))
    )
    return bronze.join(in_silver, match, "left_anti").join(quarantined, "_record_id", "left_anti")
