-- silver.suppliers: Suppliers. Grain: one row per supplier_id.
CREATE TABLE IF NOT EXISTS ${silver}.suppliers (
  supplier_id          STRING NOT NULL COMMENT 'Supplier ID',
  supplier_name        STRING          COMMENT 'Supplier name',
  shipping_cost        DOUBLE          COMMENT 'Cost of one shipment',
  min_shipping_volume  DOUBLE          COMMENT 'Minimal order volume; NULL if none (exported as -1)',
  max_shipping_volume  DOUBLE          COMMENT 'Maximal order volume; NULL if none',
  fixed_order_size     INT             COMMENT 'Exact items per order; NULL if any',
  purchase_cost_budget DOUBLE          COMMENT 'Maximal cost of one order; NULL if none',
  _record_id           STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file         STRING          COMMENT 'Landing file of that bronze row',
  _run_id              STRING          COMMENT 'Run that last changed this row',
  _updated_at          TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Suppliers. Grain: one row per supplier_id.';
