"""Landing files -> bronze: incremental, append-only, nothing dropped."""
