-- gold.forecast_drift: recent forecast accuracy vs the backtest's expectation. Grain: one row per as_of, level,
-- store_id, subject_id (level series: subject = product_id; department: department_id; store: ALL).
CREATE TABLE IF NOT EXISTS ${gold}.forecast_drift (
  as_of              DATE    NOT NULL COMMENT 'Monitoring date: the window ends here',
  level              STRING  NOT NULL COMMENT 'series | department | store',
  store_id           STRING  NOT NULL COMMENT 'Store ID',
  subject_id         STRING  NOT NULL COMMENT 'product_id (series), department_id (department) or ALL (store)',
  department_id      STRING           COMMENT 'Department of the series or roll-up',
  forecast_as_of     DATE             COMMENT 'Origin of the forecast scored (roll-ups: the earliest)',
  n_series           INT              COMMENT 'Series in the row (roll-ups: the judged series)',
  drifted_series     INT              COMMENT 'Of those, series that drifted',
  n_days             INT              COMMENT 'Days with a forecast and an actual in the window',
  actual_units       DOUBLE           COMMENT 'Units sold in the window',
  mae_recent         DOUBLE           COMMENT 'Mean absolute error of the published forecast over the window',
  bias_recent        DOUBLE           COMMENT 'Mean (forecast - actual) over the window',
  coverage_80_recent DOUBLE           COMMENT 'Share of days whose actual fell inside [p10, p90]',
  mae_expected       DOUBLE           COMMENT 'Backtest MAE of the published method (gold.forecast_accuracy, model auto)',
  mae_ratio          DOUBLE           COMMENT 'mae_recent / max(mae_expected, mae_floor)',
  band_low           DOUBLE           COMMENT 'Accepted ratio range (monitoring.yml drift.band)',
  band_high          DOUBLE           COMMENT 'Accepted ratio range (monitoring.yml drift.band)',
  drifted            BOOLEAN NOT NULL COMMENT 'mae_ratio outside [band_low, band_high] (only when status = ok)',
  status             STRING  NOT NULL COMMENT 'ok | too_few_days | no_expectation (no backtest before the forecast)',
  _run_id            STRING           COMMENT 'Run that last changed this row',
  _updated_at        TIMESTAMP        COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Forecast drift: recent accuracy of published forecasts vs backtest, per series, department and store.';
