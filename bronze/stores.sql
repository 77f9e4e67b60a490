-- bronze.stores: Store master export (seed 004 stores.csv). Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.stores (
  store_id             STRING COMMENT 'Store ID',
  store_name           STRING COMMENT 'Store name',
  avg_household_income STRING COMMENT 'Average annual household income of customers',
  avg_traffic          STRING COMMENT 'Average visitors per day',
  open_hour            STRING COMMENT 'Opening hour (0-23)',
  close_hour           STRING COMMENT 'Closing hour (1-24)',
  open_date            STRING COMMENT 'First business day (optional column of the export)',
  timezone             STRING COMMENT 'IANA time zone of the store, e.g. Europe/Berlin (optional column of the export)',
  _rescued_data        STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file         STRING COMMENT 'Landing file the row came from',
  _line_number         INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at         TIMESTAMP COMMENT 'When the row was ingested',
  _run_id              STRING COMMENT 'Pipeline run that ingested the row',
  _record_id           STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Store master export (seed 004 stores.csv). Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
