-- Forecast against what sold. Grain: one row per store_id, product_id, date that has a forecast; the forecast shown is
-- the latest one issued before that date (largest as_of < date, i.e. the shortest horizon). actual_units is NULL for
-- days not observed yet. The forecast is of units sold, so a stock-out day (stockout_flag) understates demand.
CREATE OR REPLACE VIEW ${gold}.v_forecast_vs_actual
COMMENT 'Per store x product x day: units sold, forecast mean, p10/p50/p90 and whether the actual fell inside [p10, p90]'
AS WITH latest_forecast AS (
  SELECT f.*, row_number() OVER (PARTITION BY f.store_id, f.product_id, f.target_date ORDER BY f.as_of DESC) AS pick
  FROM ${gold}.demand_forecast f
  WHERE f.as_of < f.target_date
)
SELECT
  f.store_id,
  st.store_name,
  f.product_id,
  p.product_name,
  f.target_date                                                   AS date,
  f.as_of                                                         AS forecast_as_of,
  f.horizon_day,
  a.units                                                         AS actual_units,
  round(f.mean, 3)                                                AS forecast_mean,
  f.p10,
  f.p50,
  f.p90,
  round(a.units - f.mean, 3)                                      AS error,
  CASE WHEN a.units IS NOT NULL AND f.p10 IS NOT NULL AND f.p90 IS NOT NULL
       THEN a.units BETWEEN f.p10 AND f.p90 END                   AS inside_band,
  a.stockout_flag,
  f.model,
  f.status                                                        AS forecast_status
FROM latest_forecast f
LEFT JOIN ${gold}.daily_sales a
  ON a.store_id = f.store_id AND a.product_id = f.product_id AND a.date = f.target_date
LEFT JOIN ${silver}.stores st ON st.store_id = f.store_id
LEFT JOIN ${silver}.products p ON p.product_id = f.product_id
WHERE f.pick = 1;
