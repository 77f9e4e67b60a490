-- bronze.deliveries: Goods received against orders (ERP export, JSON lines). Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.deliveries (
  delivery_id       STRING COMMENT 'Delivery ID',
  store_id          STRING COMMENT 'Store ID',
  product_id        STRING COMMENT 'Product ID',
  supplier_id       STRING COMMENT 'Supplier ID',
  order_id          STRING COMMENT 'Order the delivery fulfils',
  delivery_date     STRING COMMENT 'Date the goods arrived',
  quantity_received STRING COMMENT 'Units received',
  _rescued_data     STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file      STRING COMMENT 'Landing file the row came from',
  _line_number      INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at      TIMESTAMP COMMENT 'When the row was ingested',
  _run_id           STRING COMMENT 'Pipeline run that ingested the row',
  _record_id        STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Goods received against orders (ERP export, JSON lines). Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
