-- silver.orders: Purchase orders placed by the stores. Grain: one row per order_id.
CREATE TABLE IF NOT EXISTS ${silver}.orders (
  order_id              STRING NOT NULL COMMENT 'Order ID',
  store_id              STRING NOT NULL COMMENT 'Store ID',
  product_id            STRING NOT NULL COMMENT 'Product ID',
  supplier_id           STRING NOT NULL COMMENT 'Supplier ID',
  order_date            DATE NOT NULL   COMMENT 'Order date',
  quantity              INT NOT NULL    COMMENT 'Units ordered',
  unit_cost             DOUBLE          COMMENT 'Purchase cost per unit',
  expected_arrival_date DATE            COMMENT 'Promised arrival date',
  _record_id            STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file          STRING          COMMENT 'Landing file of that bronze row',
  _run_id               STRING          COMMENT 'Run that last changed this row',
  _updated_at           TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Purchase orders placed by the stores. Grain: one row per order_id.';
