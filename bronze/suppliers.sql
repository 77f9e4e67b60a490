-- bronze.suppliers: Supplier master. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.suppliers (
  supplier_id          STRING COMMENT 'Supplier ID',
  supplier_name        STRING COMMENT 'Supplier name',
  shipping_cost        STRING COMMENT 'Cost of one shipment',
  min_shipping_volume  STRING COMMENT 'Minimal order volume, -1 if none',
  max_shipping_volume  STRING COMMENT 'Maximal order volume, -1 if none',
  fixed_order_size     STRING COMMENT 'Exact items per order, -1 if any',
  purchase_cost_budget STRING COMMENT 'Maximal cost of an order, -1 if none',
  _rescued_data        STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file         STRING COMMENT 'Landing file the row came from',
  _line_number         INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at         TIMESTAMP COMMENT 'When the row was ingested',
  _run_id              STRING COMMENT 'Pipeline run that ingested the row',
  _record_id           STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Supplier master. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
