-- Stock health on the latest day of gold.daily_sales. Grain: one row per store_id, product_id.
-- days_of_cover = units on hand / average units sold per day over the last 28 days (NULL when nothing sold);
-- expiring_units = units of batches counted that day that expire within 2 days (as gold.inventory_status).
CREATE OR REPLACE VIEW ${gold}.v_inventory_health
COMMENT 'Per store x product on the latest day: on hand, days of cover, stock-outs and lost units (28 days), units expiring soon'
AS WITH latest AS (SELECT max(date) AS d FROM ${gold}.daily_sales),
recent AS (
  SELECT s.store_id, s.product_id,
         any_value(s.store_name)                                  AS store_name,
         any_value(s.product_name)                                AS product_name,
         any_value(s.is_perishable)                               AS is_perishable,
         max_by(s.on_hand_end, s.date)                            AS on_hand,
         avg(s.units)                                             AS avg_daily_units,
         sum(CASE WHEN s.stockout_flag THEN 1 ELSE 0 END)         AS stockout_days_28d,
         sum(coalesce(s.lost_requests, 0))                        AS lost_units_28d
  FROM ${gold}.daily_sales s CROSS JOIN latest
  WHERE s.date > date_sub(latest.d, 28)
  GROUP BY s.store_id, s.product_id
),
expiring AS (
  SELECT i.store_id, i.product_id, sum(i.units) AS expiring_units, min(i.expiry_date) AS next_expiry_date
  FROM ${silver}.inventory_snapshot i CROSS JOIN latest
  WHERE i.snapshot_date = latest.d AND i.expiry_date <= date_add(latest.d, 2) AND i.units > 0
  GROUP BY i.store_id, i.product_id
)
SELECT
  latest.d                                                        AS date,
  r.store_id,
  r.store_name,
  r.product_id,
  r.product_name,
  r.is_perishable,
  r.on_hand,
  r.on_hand = 0                                                   AS out_of_stock,
  round(r.avg_daily_units, 3)                                     AS avg_daily_units_28d,
  CASE WHEN r.avg_daily_units > 0 THEN round(r.on_hand / r.avg_daily_units, 1) END AS days_of_cover,
  r.stockout_days_28d,
  r.lost_units_28d,
  coalesce(e.expiring_units, 0)                                   AS expiring_units,
  e.next_expiry_date
FROM recent r
CROSS JOIN latest
LEFT JOIN expiring e ON e.store_id = r.store_id AND e.product_id = r.product_id;
