-- gold.data_quality: contract results per run. Grain: one row per run_id, table_name, check_name.
CREATE TABLE IF NOT EXISTS ${gold}.data_quality (
  run_id       STRING NOT NULL COMMENT 'Pipeline run',
  as_of        DATE   NOT NULL COMMENT 'Business date of the run',
  table_name   STRING NOT NULL COMMENT 'Checked table, e.g. silver.sales',
  check_name   STRING NOT NULL COMMENT 'Contract check (e.g. units_positive, unique, not_null), or all = any check',
  rows_checked BIGINT NOT NULL COMMENT 'Rows the contract saw in the run: written (new or changed) + quarantined',
  rows_failed  BIGINT NOT NULL COMMENT 'Rows that failed this check (all: any check) and went to silver.quarantine',
  failure_rate DOUBLE NOT NULL COMMENT 'rows_failed / rows_checked (0 when nothing was checked)',
  _run_id      STRING          COMMENT 'Run that last changed this row',
  _updated_at  TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Rows checked and failed per run, table and contract check (from silver.quarantine and gold.job_runs).';
