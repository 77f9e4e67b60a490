-- gold.alerts: monitoring rules that fired (conf/base/monitoring.yml). Grain: one row per run_id, rule, subject.
CREATE TABLE IF NOT EXISTS ${gold}.alerts (
  run_id      STRING  NOT NULL COMMENT 'Pipeline run that raised the alert',
  as_of       DATE    NOT NULL COMMENT 'Business date of the run',
  rule        STRING  NOT NULL COMMENT 'Rule name from monitoring.yml',
  kind        STRING  NOT NULL COMMENT 'quarantine_rate | step_duration | step_rows | drift_share | anomaly_count | solver_non_optimal_share | orders_blocked_share',
  severity    STRING  NOT NULL COMMENT 'info | warning | critical',
  subject     STRING  NOT NULL COMMENT 'What the rule fired for: a table, a step, a policy, or ALL',
  value       DOUBLE           COMMENT 'Observed value (share, count, or ratio to the median of recent runs)',
  threshold   DOUBLE           COMMENT 'Configured threshold',
  fails_run   BOOLEAN NOT NULL COMMENT 'The rule is set to fail the run (non-zero exit)',
  message     STRING           COMMENT 'What was seen, in words',
  _run_id     STRING           COMMENT 'Run that last changed this row',
  _updated_at TIMESTAMP        COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Fired monitoring rules: one row per run, rule and subject, with value and threshold.';
