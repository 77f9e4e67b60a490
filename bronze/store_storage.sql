-- bronze.store_storage: Storage spaces per store. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.store_storage (
  store_id            STRING COMMENT 'Store ID',
  storage_id          STRING COMMENT 'Storage space ID',
  storage_name        STRING COMMENT 'Storage space name',
  storage_volume      STRING COMMENT 'Volume of the storage space',
  storage_cost_budget STRING COMMENT 'Maximal storage cost per day of all items stored at the same time',
  _rescued_data       STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file        STRING COMMENT 'Landing file the row came from',
  _line_number        INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at        TIMESTAMP COMMENT 'When the row was ingested',
  _run_id             STRING COMMENT 'Pipeline run that ingested the row',
  _record_id          STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Storage spaces per store. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
