-- silver.store_storage: Storage spaces per store (shelves, refrigerators, ...). Grain: one row per store_id, storage_id.
CREATE TABLE IF NOT EXISTS ${silver}.store_storage (
  store_id            STRING NOT NULL COMMENT 'Store ID',
  storage_id          STRING NOT NULL COMMENT 'Storage space ID',
  storage_name        STRING          COMMENT 'Storage space name',
  storage_volume      DOUBLE          COMMENT 'Volume of the storage space',
  storage_cost_budget DOUBLE          COMMENT 'Maximal storage cost per day of everything stored at once',
  _record_id          STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file        STRING          COMMENT 'Landing file of that bronze row',
  _run_id             STRING          COMMENT 'Run that last changed this row',
  _updated_at         TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Storage spaces per store (shelves, refrigerators, ...). Grain: one row per store_id, storage_id.';
