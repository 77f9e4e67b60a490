"""The lakehouse mechanics shared by every job: table catalog + DDL, contracts, Delta writes, run log."""
