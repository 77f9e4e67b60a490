-- silver.daily_demand: observed demand per store x product x day, zero-filled. Grain: one row per store_id, product_id, date.
-- The forecasting input. Days without sales are present with units_sold = 0 (from the item's first stock count or sale on).
-- Layout: liquid clustering on (date, store_id): every rebuild MERGEs a date window (scope t.date BETWEEN ...)
-- and the forecast reads the last history_days; date partitions would be small files (one day = one row per
-- store x product), so clustering rather than partitioning.
CREATE TABLE IF NOT EXISTS ${silver}.daily_demand (
  store_id      STRING  NOT NULL COMMENT 'Store ID',
  product_id    STRING  NOT NULL COMMENT 'Product ID',
  date          DATE    NOT NULL COMMENT 'Business date',
  units_sold    INT     NOT NULL COMMENT 'Units sold that day (0 when nothing sold)',
  revenue       DOUBLE  NOT NULL COMMENT 'Sum of units x unit_price',
  transactions  INT     NOT NULL COMMENT 'Number of sale lines',
  avg_price     DOUBLE           COMMENT 'Realised average unit price; the shelf price on days without sales',
  on_hand_end   INT              COMMENT 'Units on hand at the end of the day (NULL if no stock count arrived)',
  requests      INT              COMMENT 'Units requested, sold or lost (NULL unless true demand is known, e.g. simulated data)',
  lost_requests INT              COMMENT 'Units requested that found no stock (NULL unless true demand is known)',
  stockout      BOOLEAN NOT NULL COMMENT 'Ended the day with nothing on hand, or turned a request away',
  _run_id       STRING           COMMENT 'Run that last changed this row',
  _updated_at   TIMESTAMP        COMMENT 'When this row was last changed'
)
USING DELTA
CLUSTER BY (date, store_id)
COMMENT 'Observed daily demand per store x product, zero-filled. Grain: one row per store_id, product_id, date.';
