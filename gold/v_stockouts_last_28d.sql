-- Store-products that ran out most often over the 28 days up to the latest date in gold.daily_sales.
CREATE OR REPLACE VIEW ${gold}.v_stockouts_last_28d
COMMENT 'Stock-out days and lost units per store-product over the last 28 days of data'
AS WITH latest AS (SELECT max(date) AS d FROM ${gold}.daily_sales)
SELECT s.store_id, s.product_id, any_value(s.store_name) AS store_name, any_value(s.product_name) AS product_name,
       sum(CASE WHEN s.stockout_flag THEN 1 ELSE 0 END) AS stockout_days,
       sum(coalesce(s.lost_requests, 0))                AS lost_units,
       sum(s.units)                                     AS units_sold
FROM ${gold}.daily_sales s CROSS JOIN latest
WHERE s.date > date_sub(latest.d, 28)
GROUP BY s.store_id, s.product_id;
