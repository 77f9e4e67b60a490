-- Weekly revenue, units and stock-out rate per store (Monday-based weeks).
CREATE OR REPLACE VIEW ${gold}.v_weekly_store_sales
COMMENT 'Weekly revenue, units and stock-out rate per store'
AS SELECT
  store_id,
  any_value(store_name)                              AS store_name,
  CAST(date_trunc('WEEK', date) AS DATE)             AS week_start,
  sum(units)                                         AS units,
  round(sum(revenue), 2)                             AS revenue,
  round(avg(CASE WHEN stockout_flag THEN 1.0 ELSE 0.0 END), 4) AS stockout_rate,
  sum(coalesce(lost_requests, 0))                    AS lost_units
FROM ${gold}.daily_sales
GROUP BY store_id, CAST(date_trunc('WEEK', date) AS DATE);
