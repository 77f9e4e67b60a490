-- bronze.store_product_suppliers: Supplier terms per store x product x supplier. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.store_product_suppliers (
  store_id          STRING COMMENT 'Store ID',
  product_id        STRING COMMENT 'Product ID',
  supplier_id       STRING COMMENT 'Supplier ID',
  lead_time_days    STRING COMMENT 'Promised lead time in days',
  lead_time_ci_days STRING COMMENT 'Lead time confidence interval, +/- days',
  min_order_qty     STRING COMMENT 'Minimal order quantity (MOQ)',
  max_order_qty     STRING COMMENT 'Maximal order quantity',
  qty_multiple      STRING COMMENT 'Order quantity must be a multiple of this',
  unit_cost         STRING COMMENT 'Purchase cost per unit',
  backorder_cost    STRING COMMENT 'Backorder cost per unit',
  shipping_cost     STRING COMMENT 'Shipping cost per unit',
  shipment_freq     STRING COMMENT 'Maximal shipment frequency, e.g. "3 days"',
  service_level     STRING COMMENT 'Target fraction of demand fulfilled',
  is_primary        STRING COMMENT 'true for the supplier the store orders from by default',
  _rescued_data     STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file      STRING COMMENT 'Landing file the row came from',
  _line_number      INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at      TIMESTAMP COMMENT 'When the row was ingested',
  _run_id           STRING COMMENT 'Pipeline run that ingested the row',
  _record_id        STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Supplier terms per store x product x supplier. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
