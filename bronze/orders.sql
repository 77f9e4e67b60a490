-- bronze.orders: Purchase orders placed by the stores (ERP export, JSON lines). Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.orders (
  order_id              STRING COMMENT 'Order ID',
  store_id              STRING COMMENT 'Store ID',
  product_id            STRING COMMENT 'Product ID',
  supplier_id           STRING COMMENT 'Supplier ID',
  order_date            STRING COMMENT 'Order date',
  quantity              STRING COMMENT 'Units ordered',
  unit_cost             STRING COMMENT 'Purchase cost per unit',
  expected_arrival_date STRING COMMENT 'Promised arrival date',
  _rescued_data         STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file          STRING COMMENT 'Landing file the row came from',
  _line_number          INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at          TIMESTAMP COMMENT 'When the row was ingested',
  _run_id               STRING COMMENT 'Pipeline run that ingested the row',
  _record_id            STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Purchase orders placed by the stores (ERP export, JSON lines). Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
