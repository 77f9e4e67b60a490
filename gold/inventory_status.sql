-- gold.inventory_status: stock on hand per store at the end of each day. Grain: one row per store_id, date.
CREATE TABLE IF NOT EXISTS ${gold}.inventory_status (
  store_id           STRING NOT NULL COMMENT 'Store ID',
  date               DATE   NOT NULL COMMENT 'Business date (end of day count)',
  on_hand_units      BIGINT NOT NULL COMMENT 'Units on hand, all products',
  on_hand_value      DOUBLE NOT NULL COMMENT 'Units x primary supplier unit cost',
  items              INT             COMMENT 'Store-products counted',
  items_out_of_stock INT             COMMENT 'Store-products with nothing on hand',
  expiring_units     BIGINT          COMMENT 'Units expiring within two days',
  _run_id            STRING          COMMENT 'Run that last changed this row',
  _updated_at        TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'End-of-day inventory per store: units and value. Grain: one row per store_id, date.';
