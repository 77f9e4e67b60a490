-- gold.daily_sales: what sold, per store x product x day. Grain: one row per store_id, product_id, date.
-- Layout: liquid clustering on (date, store_id): rebuilt by date window, read by BI per store and period;
-- clustering instead of date partitions (one small partition per day).
CREATE TABLE IF NOT EXISTS ${gold}.daily_sales (
  store_id      STRING  NOT NULL COMMENT 'Store ID',
  product_id    STRING  NOT NULL COMMENT 'Product ID',
  date          DATE    NOT NULL COMMENT 'Business date',
  store_name    STRING           COMMENT 'Store name',
  product_name  STRING           COMMENT 'Product name',
  is_perishable BOOLEAN          COMMENT 'true when the product has a shelf life',
  units         INT     NOT NULL COMMENT 'Units sold (0 on days without sales)',
  revenue       DOUBLE  NOT NULL COMMENT 'Revenue: sum of units x price',
  avg_price     DOUBLE           COMMENT 'Average realised unit price (shelf price on days without sales)',
  on_hand_end   INT              COMMENT 'Units on hand at close',
  stockout_flag BOOLEAN NOT NULL COMMENT 'Ran out: nothing on hand at close, or a customer was turned away',
  lost_requests INT              COMMENT 'Units customers asked for but could not buy (when known)',
  _run_id       STRING           COMMENT 'Run that last changed this row',
  _updated_at   TIMESTAMP        COMMENT 'When this row was last changed'
)
USING DELTA
CLUSTER BY (date, store_id)
COMMENT 'Daily sales per store x product with stock-out flag. Grain: one row per store_id, product_id, date.';
