-- gold.demand_anomalies: days whose demand fell far outside the forecast interval. Grain: one row per store_id,
-- product_id, date.
CREATE TABLE IF NOT EXISTS ${gold}.demand_anomalies (
  store_id       STRING NOT NULL COMMENT 'Store ID',
  product_id     STRING NOT NULL COMMENT 'Product ID',
  date           DATE   NOT NULL COMMENT 'Day of the surprise',
  forecast_as_of DATE   NOT NULL COMMENT 'Origin of the forecast compared with (the latest before date)',
  horizon_day    INT             COMMENT 'date - forecast_as_of',
  actual_units   INT             COMMENT 'Units sold (silver.daily_demand.units_sold)',
  forecast_mean  DOUBLE          COMMENT 'Forecast mean for the day',
  p10            INT             COMMENT 'Forecast 10% quantile',
  p90            INT             COMMENT 'Forecast 90% quantile',
  excess_units   DOUBLE NOT NULL COMMENT 'Units above p90 (positive) or below p10 (negative)',
  surprise       DOUBLE NOT NULL COMMENT '|excess_units| / max(p90 - p10, 1): distance outside the interval in widths',
  z_score        DOUBLE          COMMENT '(actual - mean) / forecast standard deviation',
  direction      STRING NOT NULL COMMENT 'above | below the interval',
  _run_id        STRING          COMMENT 'Run that last changed this row',
  _updated_at    TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Store x product x days whose demand fell far outside the forecast interval, with the size of the surprise.';
