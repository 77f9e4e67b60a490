-- silver.sales: Point-of-sale transaction lines. Grain: one row per transaction_id.
-- Layout: liquid clustering on (sale_date, store_id): daily_demand rebuilds read a sale_date window and
-- analysts filter by store. Not partitioned by date: ~daily partitions of a few MB each would be small files,
-- and clustering keys can change later without rewriting the table.
CREATE TABLE IF NOT EXISTS ${silver}.sales (
  transaction_id STRING NOT NULL    COMMENT 'Transaction line ID',
  store_id       STRING NOT NULL    COMMENT 'Store ID',
  product_id     STRING NOT NULL    COMMENT 'Product ID',
  transaction_ts TIMESTAMP NOT NULL COMMENT 'Transaction timestamp',
  sale_date      DATE NOT NULL      COMMENT 'Business date of the sale',
  units          INT NOT NULL       COMMENT 'Units sold',
  unit_price     DOUBLE NOT NULL    COMMENT 'Price of one unit',
  revenue        DOUBLE             COMMENT 'units x unit_price',
  _record_id     STRING             COMMENT 'Bronze row that produced the current version of this row',
  _source_file   STRING             COMMENT 'Landing file of that bronze row',
  _run_id        STRING             COMMENT 'Run that last changed this row',
  _updated_at    TIMESTAMP          COMMENT 'When this row was last changed'
)
USING DELTA
CLUSTER BY (sale_date, store_id)
COMMENT 'Point-of-sale transaction lines. Grain: one row per transaction_id.';
