-- silver.deliveries: Goods received against orders. Grain: one row per delivery_id.
CREATE TABLE IF NOT EXISTS ${silver}.deliveries (
  delivery_id       STRING NOT NULL COMMENT 'Delivery ID',
  order_id          STRING NOT NULL COMMENT 'Order the delivery fulfils',
  store_id          STRING NOT NULL COMMENT 'Store ID',
  product_id        STRING NOT NULL COMMENT 'Product ID',
  supplier_id       STRING          COMMENT 'Supplier ID',
  delivery_date     DATE NOT NULL   COMMENT 'Date the goods arrived',
  quantity_received INT NOT NULL    COMMENT 'Units received',
  _record_id        STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file      STRING          COMMENT 'Landing file of that bronze row',
  _run_id           STRING          COMMENT 'Run that last changed this row',
  _updated_at       TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Goods received against orders. Grain: one row per delivery_id.';
