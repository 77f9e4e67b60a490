-- silver.brands: Brands. Grain: one row per brand_id.
CREATE TABLE IF NOT EXISTS ${silver}.brands (
  brand_id     STRING NOT NULL COMMENT 'Brand ID',
  brand_name   STRING          COMMENT 'Brand name',
  _record_id   STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file STRING          COMMENT 'Landing file of that bronze row',
  _run_id      STRING          COMMENT 'Run that last changed this row',
  _updated_at  TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Brands. Grain: one row per brand_id.';
