"""The ``maintain`` step: table upkeep (clustering, OPTIMIZE, VACUUM) of silver and gold, configured in
``monitoring.yml`` ``maintenance``."""
