-- silver.quarantine: every row a contract rejected, with the reasons. Grain: one row per target_table, record_id.
-- Together with the silver tables this accounts for every bronze row: nothing is dropped silently. A released row
-- (released_run_id set) is in its silver table too; its quarantine row stays as the evidence of the wait.
CREATE TABLE IF NOT EXISTS ${silver}.quarantine (
  target_table    STRING        NOT NULL COMMENT 'Table the row was meant for, e.g. silver.sales',
  record_id       STRING        NOT NULL COMMENT 'Bronze _record_id (or a hash of the row for derived tables)',
  source_table    STRING                 COMMENT 'Table the row was read from, e.g. bronze.sales',
  errors          ARRAY<STRING>          COMMENT 'One message per failed check: [check] column=value and what is wrong',
  error           STRING                 COMMENT 'The messages joined with "; "',
  record          STRING                 COMMENT 'The row as received (JSON of its raw columns)',
  source_file     STRING                 COMMENT 'Landing file of the row, when known',
  as_of           DATE                   COMMENT 'Business date of the run that rejected it',
  held            BOOLEAN                COMMENT 'true while the row waits for a referenced row (only missing references failed): refine checks it again on every run',
  released_run_id STRING                 COMMENT 'Run that found the held row valid and wrote it to its table (NULL: never released)',
  released_at     TIMESTAMP              COMMENT 'When the held row was released',
  _run_id         STRING                 COMMENT 'Run that rejected it',
  _quarantined_at TIMESTAMP              COMMENT 'When it was rejected'
)
USING DELTA
COMMENT 'Rows rejected by table contracts, with reasons. Grain: one row per target_table, record_id.';
