"""Silver -> gold: analyst-facing tables and SQL views."""
