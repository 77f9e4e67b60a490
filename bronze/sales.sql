-- bronze.sales: Point-of-sale transactions, one file per day. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.sales (
  transaction_id STRING COMMENT 'Transaction line ID',
  store_id       STRING COMMENT 'Store ID',
  product_id     STRING COMMENT 'Product ID',
  transaction_ts STRING COMMENT 'Transaction timestamp (yyyy-MM-dd HH:mm:ss, store local time)',
  units          STRING COMMENT 'Units sold',
  unit_price     STRING COMMENT 'Price of one unit',
  _rescued_data  STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file   STRING COMMENT 'Landing file the row came from',
  _line_number   INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at   TIMESTAMP COMMENT 'When the row was ingested',
  _run_id        STRING COMMENT 'Pipeline run that ingested the row',
  _record_id     STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Point-of-sale transactions, one file per day. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
