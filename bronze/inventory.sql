-- bronze.inventory: End-of-day stock counts per store x product x expiry date, one file per day. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.inventory (
  store_id      STRING COMMENT 'Store ID',
  product_id    STRING COMMENT 'Product ID',
  snapshot_date STRING COMMENT 'Date of the count',
  units         STRING COMMENT 'Units on hand',
  expiry_date   STRING COMMENT 'Expiry date of the counted batch; empty if it does not expire',
  _rescued_data STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file  STRING COMMENT 'Landing file the row came from',
  _line_number  INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at  TIMESTAMP COMMENT 'When the row was ingested',
  _run_id       STRING COMMENT 'Pipeline run that ingested the row',
  _record_id    STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'End-of-day stock counts per store x product x expiry date, one file per day. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
