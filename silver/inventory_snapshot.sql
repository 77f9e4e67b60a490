-- silver.inventory_snapshot: End-of-day stock counts. Grain: one row per store_id, product_id, snapshot_date, expiry_date (expiry_date NULL for non-perishables).
CREATE TABLE IF NOT EXISTS ${silver}.inventory_snapshot (
  store_id      STRING NOT NULL COMMENT 'Store ID',
  product_id    STRING NOT NULL COMMENT 'Product ID',
  snapshot_date DATE NOT NULL   COMMENT 'Date of the count (end of day)',
  expiry_date   DATE            COMMENT 'Expiry date of the counted batch; NULL if it does not expire',
  units         INT NOT NULL    COMMENT 'Units on hand',
  _record_id    STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file  STRING          COMMENT 'Landing file of that bronze row',
  _run_id       STRING          COMMENT 'Run that last changed this row',
  _updated_at   TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'End-of-day stock counts. Grain: one row per store_id, product_id, snapshot_date, expiry_date (expiry_date NULL for non-perishables).';
