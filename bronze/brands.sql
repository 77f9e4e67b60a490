-- bronze.brands: Brands sold in all stores. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.brands (
  brand_id      STRING COMMENT 'Brand ID',
  brand_name    STRING COMMENT 'Brand name',
  _rescued_data STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file  STRING COMMENT 'Landing file the row came from',
  _line_number  INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at  TIMESTAMP COMMENT 'When the row was ingested',
  _run_id       STRING COMMENT 'Pipeline run that ingested the row',
  _record_id    STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Brands sold in all stores. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
