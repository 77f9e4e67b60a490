"""Production monitoring and upkeep: data quality, forecast drift, demand anomalies, alert rules (``monitor``),
table maintenance (``maintain``) and Unity Catalog grants (``grants``)."""
