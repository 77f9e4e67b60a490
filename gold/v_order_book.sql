-- The order book: orders still open (expected after the latest order date, not blocked) and every order of the last
-- 14 days of gold.orders. Grain: one row per order_id (policy_id, store_id, product_id, order_date).
-- is_open / days_to_arrival are relative to the latest order_date in gold.orders (the last ordering run), not the clock.
CREATE OR REPLACE VIEW ${gold}.v_order_book
COMMENT 'Open and recent proposed orders with supplier, expected arrival, status and reason'
AS WITH latest AS (SELECT max(order_date) AS d FROM ${gold}.orders)
SELECT
  o.order_id,
  o.policy_id,
  o.recommended,
  o.store_id,
  st.store_name,
  o.product_id,
  p.product_name,
  o.supplier_id,
  su.supplier_name,
  o.order_date,
  o.expected_arrival_date,
  datediff(o.expected_arrival_date, latest.d)                           AS days_to_arrival,
  o.status <> 'blocked' AND o.expected_arrival_date > latest.d          AS is_open,
  o.status,
  o.reason,
  o.need,
  o.quantity,
  o.unit_cost,
  o.order_value,
  o.lead_time_days,
  o.on_hand,
  o.on_order,
  o.inventory_position,
  o.parameters_as_of
FROM ${gold}.orders o
CROSS JOIN latest
LEFT JOIN ${silver}.stores st ON st.store_id = o.store_id
LEFT JOIN ${silver}.products p ON p.product_id = o.product_id
LEFT JOIN ${silver}.suppliers su ON su.supplier_id = o.supplier_id
WHERE (o.status <> 'blocked' AND o.expected_arrival_date > latest.d) OR o.order_date > date_sub(latest.d, 14);
