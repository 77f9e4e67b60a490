"""Read the local warehouse's Delta tables (``<warehouse_dir>/<schema>.db/<table>``) into pandas without Spark."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lakehouse_inv.config import PipelineConfig


class MissingTable(LookupError):
    """The table has not been written yet; the message says which step writes it."""


# which command fills each table the dashboard reads (for the empty states)
WRITTEN_BY = {
    ("gold", "policy_parameters"): "optimize",
    ("gold", "job_runs"): "any step",
    ("gold", "policy_metrics"): "evaluate",
    ("gold", "policy_recommendation"): "evaluate",
    ("gold", "inventory_status"): "gold",
    ("gold", "daily_sales"): "gold",
    ("gold", "demand_forecast"): "forecast",
    ("gold", "orders"): "generate_orders",
}


@dataclass(frozen=True)
class Warehouse:
    """Spark's local managed layout, as :class:`lakehouse_inv.lakehouse.catalog.Catalog` writes it."""

    root: Path
    pipeline: PipelineConfig

    @classmethod
    def from_config(cls, pipeline: PipelineConfig, base: Path | None = None) -> Warehouse:
        root = Path(pipeline.warehouse_dir)
        if not root.is_absolute():
            root = (base or Path.cwd()) / root
        return cls(root.resolve(), pipeline)

    @property
    def is_local(self) -> bool:
        """Unity Catalog tables (``schemas.catalog`` set) are not files under ``warehouse_dir``."""
        return self.pipeline.schemas.catalog is None

    def path(self, layer: str, table: str) -> Path:
        return self.root / f"{self.pipeline.schemas.qualified(layer)}.db" / table

    def exists(self, layer: str, table: str) -> bool:
        return (self.path(layer, table) / "_delta_log").is_dir()

    def version(self, layer: str, table: str) -> int:
        """The table's Delta version (-1 when absent): a cache key that changes with every write."""
        if not self.exists(layer, table):
            return -1
        from deltalake import DeltaTable

        return DeltaTable(str(self.path(layer, table))).version()

    def read(
        self,
        layer: str,
        table: str,
        columns: list[str] | None = None,
        filters: list[tuple[str, str, object]] | None = None,
    ) -> pd.DataFrame:
        """The table (``columns`` only; rows matching every ``(column, op, value)`` of ``filters``, pushed down to
        the Parquet scan) with DATE columns as pandas datetimes."""
        if not self.exists(layer, table):
            step = WRITTEN_BY.get((layer, table), "the pipeline")
            raise MissingTable(
                f"{layer}.{table} does not exist yet in {self.root} (written by `{step}`): "
                "run `make demo` (or `lakehouse-inv run`) first"
            )
        import pyarrow as pa
        from deltalake import DeltaTable

        arrow = DeltaTable(str(self.path(layer, table))).to_pyarrow_table(columns=columns, filters=filters or None)
        frame = arrow.to_pandas()
        for field in arrow.schema:  # DATE columns would arrive as datetime.date objects: make them datetimes
            if pa.types.is_date(field.type):
                frame[field.name] = pd.to_datetime(frame[field.name])
        return frame
