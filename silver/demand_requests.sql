-- silver.demand_requests: Every demand request, sold or lost (simulator ground truth; absent for real retailers). Grain: one row per request_id.
CREATE TABLE IF NOT EXISTS ${silver}.demand_requests (
  request_id   STRING NOT NULL    COMMENT 'Request ID',
  store_id     STRING NOT NULL    COMMENT 'Store ID',
  product_id   STRING NOT NULL    COMMENT 'Product ID',
  requested_at TIMESTAMP NOT NULL COMMENT 'Request timestamp',
  request_date DATE NOT NULL      COMMENT 'Business date',
  units        INT NOT NULL       COMMENT 'Units requested',
  fulfilled    BOOLEAN NOT NULL   COMMENT 'true if the request found stock',
  _record_id   STRING             COMMENT 'Bronze row that produced the current version of this row',
  _source_file STRING             COMMENT 'Landing file of that bronze row',
  _run_id      STRING             COMMENT 'Run that last changed this row',
  _updated_at  TIMESTAMP          COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Every demand request, sold or lost (simulator ground truth; absent for real retailers). Grain: one row per request_id.';
