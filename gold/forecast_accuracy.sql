-- gold.forecast_accuracy: rolling-origin backtest per series and model. Grain: one row per store_id, product_id, as_of, model.
CREATE TABLE IF NOT EXISTS ${gold}.forecast_accuracy (
  store_id    STRING  NOT NULL COMMENT 'Store ID',
  product_id  STRING  NOT NULL COMMENT 'Product ID',
  as_of       DATE    NOT NULL COMMENT 'Backtest date: the last origin window ends here',
  model       STRING  NOT NULL COMMENT 'auto (the published method) or a candidate; seasonal_naive is always present',
  n_origins   INT              COMMENT 'Rolling origins that produced a forecast',
  mae         DOUBLE           COMMENT 'Mean absolute error (units/day)',
  rmse        DOUBLE           COMMENT 'Root mean squared error (units/day)',
  mase        DOUBLE           COMMENT 'MAE scaled by the in-sample seasonal-naive (7-day) MAE',
  wape        DOUBLE           COMMENT 'Sum |error| / sum actual (NULL when nothing was sold)',
  bias        DOUBLE           COMMENT 'Mean (forecast - actual): positive = over-forecast',
  coverage_80 DOUBLE           COMMENT 'Share of actuals inside [p10, p90], ends included (more than 0.8 on small counts)',
  is_selected BOOLEAN          COMMENT 'The candidate the published forecast chose at as_of',
  status      STRING           COMMENT 'ok, skipped, failed or fallback:<reason>',
  error       STRING           COMMENT 'What went wrong, if anything',
  rmsse       DOUBLE           COMMENT 'Mean: RMSE / in-sample RMS of one-day changes from the first sale (M5 RMSSE)',
  mae_p50     DOUBLE           COMMENT 'p50: mean absolute error (units/day)',
  pinball_p10 DOUBLE           COMMENT 'p10: pinball loss / in-sample mean absolute one-day change',
  pinball_p50 DOUBLE           COMMENT 'p50: pinball loss / in-sample mean absolute one-day change',
  pinball_p90 DOUBLE           COMMENT 'p90: pinball loss / in-sample mean absolute one-day change',
  spl         DOUBLE           COMMENT 'Scaled pinball loss: mean of pinball_p10, pinball_p50, pinball_p90',
  rate_bucket STRING           COMMENT 'Segment by mean daily demand before the first origin: <0.5, 0.5-2, 2-10, >=10',
  quantile_method STRING       COMMENT 'auto rows: how quantiles were drawn at as_of (distribution, calibrated, conformal)',
  pit_coverage_80 DOUBLE       COMMENT 'Coverage of [p10, p90] with a count on an edge split by its probability inside (non-randomized PIT; target 0.8)',
  _run_id     STRING           COMMENT 'Run that last changed this row',
  _updated_at TIMESTAMP        COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Forecast accuracy per series and model from rolling-origin backtests. Grain: one row per store_id, product_id, as_of, model.';
