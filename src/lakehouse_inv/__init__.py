"""lakehouse_inv: an inventory-optimization lakehouse on Spark + Delta."""

from __future__ import annotations

__version__ = "0.1.0"
