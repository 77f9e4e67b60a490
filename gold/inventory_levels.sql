-- gold.inventory_levels: the latest evaluation's replay, day by day. Grain: one row per evaluation, policy_id, store_id, product_id, date.
-- Layout: liquid clustering on (store_id, date): the replay is rewritten as a whole and read per store and
-- period; there is no date the writes are confined to, so partitioning by date would buy nothing.
CREATE TABLE IF NOT EXISTS ${gold}.inventory_levels (
  evaluation           STRING NOT NULL COMMENT 'walk_forward (decisions re-made on the policy schedule from data up to their day) or replay (latest parameters over the past horizon)',
  policy_id            STRING NOT NULL COMMENT 'Policy, baseline or reference rule replayed',
  store_id             STRING NOT NULL COMMENT 'Store ID',
  product_id           STRING NOT NULL COMMENT 'Product ID',
  date                 DATE   NOT NULL COMMENT 'Replayed day',
  as_of                DATE            COMMENT 'Date of the evaluation that produced the replay',
  status               STRING          COMMENT 'ok, or invalid (the item could not be replayed; see error)',
  error                STRING          COMMENT 'Why the item could not be replayed',
  demand               BIGINT          COMMENT 'Units requested (true demand)',
  sold                 BIGINT          COMMENT 'Units sold',
  lost                 BIGINT          COMMENT 'Units requested that found no stock (stock-out events)',
  received             BIGINT          COMMENT 'Units delivered this morning',
  disposed             BIGINT          COMMENT 'Units expired and thrown away at closing',
  on_hand_end          BIGINT          COMMENT 'Units on hand at the end of the day',
  on_order_end         BIGINT          COMMENT 'Units ordered and not yet delivered at the end of the day',
  ordered              BIGINT          COMMENT 'Units ordered at the end of the day (after supplier terms)',
  orders               BIGINT          COMMENT 'Orders placed (0/1)',
  orders_adjusted      BIGINT          COMMENT 'Orders whose quantity supplier terms changed',
  orders_blocked       BIGINT          COMMENT 'Orders supplier terms could not accept',
  unit_days_sold       BIGINT          COMMENT 'Days in inventory of the units sold (for NR)',
  cycles_closed        BIGINT          COMMENT 'Replenishment cycles that ended today',
  cycles_with_stockout BIGINT          COMMENT 'Of those, cycles with a lost sale',
  revenue              DOUBLE          COMMENT 'sold x price',
  inventory_value_end  DOUBLE          COMMENT 'on_hand_end x unit cost',
  holding_cost         DOUBLE          COMMENT 'on_hand_end x holding cost per unit per day',
  ordering_cost        DOUBLE          COMMENT 'orders x cost per order',
  stockout_cost        DOUBLE          COMMENT 'lost x missed-sale cost',
  disposal_cost        DOUBLE          COMMENT 'disposed x (unit cost + disposal cost)',
  _run_id              STRING          COMMENT 'Run that last changed this row',
  _updated_at          TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
CLUSTER BY (store_id, date)
COMMENT 'End-of-day stock and flows per policy x store x product x day from the latest evaluation replay.';
