"""The ``grants`` step: Unity Catalog privileges from ``gold/grants.sql``, groups configured in ``monitoring.yml``
``governance``."""
