-- bronze.store_products: Store x product assortment, prices and storage terms. Raw, append-only: every value kept as text exactly as it arrived.
CREATE TABLE IF NOT EXISTS ${bronze}.store_products (
  store_id         STRING COMMENT 'Store ID',
  product_id       STRING COMMENT 'Product ID',
  department_id    STRING COMMENT 'Department ID',
  storage_id       STRING COMMENT 'Storage space the product is kept in',
  msrp             STRING COMMENT 'MSRP in this store',
  price            STRING COMMENT 'Shelf price',
  storage_cost     STRING COMMENT 'Holding cost per unit per day',
  missed_sale_cost STRING COMMENT 'Cost of a missed sale per unit',
  disposal_cost    STRING COMMENT 'Cost of disposing one expired unit',
  min_inventory    STRING COMMENT 'Minimal units to keep',
  max_inventory    STRING COMMENT 'Maximal units the storage can hold',
  _rescued_data    STRING COMMENT 'Raw line when the record did not fit the expected columns (extra/missing fields, bad JSON, unknown keys)',
  _source_file     STRING COMMENT 'Landing file the row came from',
  _line_number     INT    COMMENT 'Line of the landing file where the record starts (1 = a CSV header)',
  _ingested_at     TIMESTAMP COMMENT 'When the row was ingested',
  _run_id          STRING COMMENT 'Pipeline run that ingested the row',
  _record_id       STRING COMMENT 'Unique id of this bronze row (lineage key used by quarantine)'
)
USING DELTA
COMMENT 'Store x product assortment, prices and storage terms. Raw text columns plus ingestion lineage.'
TBLPROPERTIES ('delta.appendOnly' = 'true');
