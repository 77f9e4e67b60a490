"""Production monitoring: data quality, forecast drift, demand anomalies, alert rules (``monitor``). ``config``
also holds the ``maintenance`` and ``governance`` sections of ``monitoring.yml``, read by the ``maintain`` and
``grants`` steps."""
