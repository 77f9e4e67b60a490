"""Seeded simulator of a store chain (seed 004): master data, daily sales/stock/orders, true demand."""
