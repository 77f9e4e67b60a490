-- bronze.products: Product master. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.products (
  product_id     STRING COMMENT 'Product ID',
  brand_id       STRING COMMENT 'Brand ID',
  product_name   STRING COMMENT 'Product name',
  department_id  STRING COMMENT 'Department ID',
  msrp           STRING COMMENT 'Manufacturer suggested retail price',
  product_volume STRING COMMENT 'Volume of one unit',
  shelf_life     STRING COMMENT 'Shelf life as exported, e.g. "3 days", "1 week"; empty if it does not expire',
  _rescued_data  STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file   STRING COMMENT 'Landing file the row came from',
  _line_number   INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at   TIMESTAMP COMMENT 'When the row was ingested',
  _run_id        STRING COMMENT 'Pipeline run that ingested the row',
  _record_id     STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Product master. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
