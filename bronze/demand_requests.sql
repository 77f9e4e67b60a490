-- bronze.demand_requests: Simulator ground truth: every demand request, sold or lost, one file per day. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.demand_requests (
  request_id    STRING COMMENT 'Request ID',
  store_id      STRING COMMENT 'Store ID',
  product_id    STRING COMMENT 'Product ID',
  requested_at  STRING COMMENT 'Request timestamp',
  units         STRING COMMENT 'Units requested',
  fulfilled     STRING COMMENT 'true if the request found stock and became a sale',
  _rescued_data STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file  STRING COMMENT 'Landing file the row came from',
  _line_number  INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at  TIMESTAMP COMMENT 'When the row was ingested',
  _run_id       STRING COMMENT 'Pipeline run that ingested the row',
  _record_id    STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Simulator ground truth: every demand request, sold or lost, one file per day. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
