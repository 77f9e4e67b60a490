-- gold.demand_forecast: probabilistic daily demand forecasts. Grain: one row per store_id, product_id, as_of, target_date.
-- Layout: liquid clustering on (as_of, store_id): each run replaces one as_of (scope t.as_of = ...) and readers
-- want the latest origin; an as_of partition would hold only one day's forecasts (small files).
CREATE TABLE IF NOT EXISTS ${gold}.demand_forecast (
  store_id     STRING NOT NULL COMMENT 'Store ID',
  product_id   STRING NOT NULL COMMENT 'Product ID',
  as_of        DATE   NOT NULL COMMENT 'Forecast origin: last day of history used',
  target_date  DATE   NOT NULL COMMENT 'Day forecast',
  horizon_day  INT    NOT NULL COMMENT 'target_date - as_of, 1..horizon',
  mean         DOUBLE NOT NULL COMMENT 'Expected units demanded (never negative)',
  variance     DOUBLE          COMMENT 'Variance of units demanded',
  distribution STRING          COMMENT 'poisson | negative_binomial | degenerate (all-zero series)',
  p10          INT             COMMENT '10% quantile of units demanded',
  p50          INT             COMMENT 'Median units demanded',
  p90          INT             COMMENT '90% quantile of units demanded',
  model        STRING          COMMENT 'Model that produced the forecast, e.g. arima_dow(1,0,1), dow_profile, croston_sba, mean',
  model_params STRING          COMMENT 'Fitted parameters and selection scores (JSON)',
  status       STRING NOT NULL COMMENT 'ok, or fallback:<reason> (too_short, all_zero, constant, fit_failed, ...)',
  error        STRING          COMMENT 'What went wrong when status is a fallback',
  n_obs        INT             COMMENT 'Days of history used',
  _run_id      STRING          COMMENT 'Run that last changed this row',
  _updated_at  TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
CLUSTER BY (as_of, store_id)
COMMENT 'Daily demand forecasts per store x product with count distribution and quantiles. Grain: one row per store_id, product_id, as_of, target_date.';
