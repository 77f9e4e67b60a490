-- gold.job_runs: the pipeline's monitoring log. One row per run_id x job.
CREATE TABLE IF NOT EXISTS ${gold}.job_runs (
  run_id           STRING    NOT NULL COMMENT 'Pipeline run id (shared by every step of one run)',
  job              STRING    NOT NULL COMMENT 'Step name: simulate, ingest, refine, gold, forecast, ...',
  as_of            DATE      NOT NULL COMMENT 'Business date the run was for',
  started_at       TIMESTAMP COMMENT 'Start time (UTC)',
  duration_s       DOUBLE    COMMENT 'Wall time in seconds',
  status           STRING    COMMENT 'succeeded | partial (some input held back, see notes) | failed',
  rows_in          BIGINT    COMMENT 'Rows read by the step',
  rows_out         BIGINT    COMMENT 'Rows written (inserted + updated)',
  rows_quarantined BIGINT    COMMENT 'Rows sent to silver.quarantine',
  tables_json      STRING    COMMENT 'JSON map table -> rows written',
  message          STRING    COMMENT 'Summary, or the error of a failed step',
  notes            STRING    COMMENT 'One line each: ERROR (input held back) and WARNING (e.g. files not ingested); NULL if none',
  _run_id          STRING    COMMENT 'Run that wrote this row',
  _updated_at      TIMESTAMP COMMENT 'When this row was written'
)
USING DELTA
COMMENT 'One row per pipeline step execution: volumes, duration and status.';
