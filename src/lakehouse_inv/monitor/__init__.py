"""Production monitoring and upkeep: data quality, forecast drift, demand anomalies, alert rules (``monitor``),
table maintenance (``maintain``), Unity Catalog grants (``grants``) and the bundle's self-checks."""
