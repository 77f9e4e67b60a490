"""Bronze -> silver: typed, deduplicated, conformed tables checked against their contracts."""
