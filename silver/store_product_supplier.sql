-- silver.store_product_supplier: Supplier terms per store x product x supplier. Grain: one row per store_id, product_id, supplier_id.
CREATE TABLE IF NOT EXISTS ${silver}.store_product_supplier (
  store_id           STRING NOT NULL COMMENT 'Store ID',
  product_id         STRING NOT NULL COMMENT 'Product ID',
  supplier_id        STRING NOT NULL COMMENT 'Supplier ID',
  lead_time_days     INT             COMMENT 'Promised lead time in days',
  lead_time_ci_days  INT             COMMENT 'Lead time confidence interval, +/- days',
  min_order_qty      INT             COMMENT 'Minimal order quantity (MOQ)',
  max_order_qty      INT             COMMENT 'Maximal order quantity; NULL if none',
  qty_multiple       INT             COMMENT 'Order quantities must be a multiple of this',
  unit_cost          DOUBLE          COMMENT 'Purchase cost per unit',
  backorder_cost     DOUBLE          COMMENT 'Backorder cost per unit',
  shipping_cost      DOUBLE          COMMENT 'Shipping cost per unit',
  shipment_freq_days INT             COMMENT 'Maximal shipment frequency in days (parsed from e.g. "3 days", "1 week")',
  service_level      DOUBLE          COMMENT 'Target fraction of demand fulfilled',
  is_primary         BOOLEAN         COMMENT 'Supplier the store orders from by default',
  _record_id         STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file       STRING          COMMENT 'Landing file of that bronze row',
  _run_id            STRING          COMMENT 'Run that last changed this row',
  _updated_at        TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Supplier terms per store x product x supplier. Grain: one row per store_id, product_id, supplier_id.';
