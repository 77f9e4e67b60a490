-- Quarantined rows per target table, run date and first failed check: where the exports are dirty.
CREATE OR REPLACE VIEW ${gold}.v_data_quality
COMMENT 'Quarantined rows per table and reason'
AS SELECT target_table, as_of, regexp_extract(error, '^\\[([a-z_]+)\\]', 1) AS first_check, count(*) AS rows
FROM ${silver}.quarantine
GROUP BY target_table, as_of, regexp_extract(error, '^\\[([a-z_]+)\\]', 1);
