-- gold.orders: orders proposed by each policy, supplier terms applied. Grain: one row per order_id
-- (= policy_id, store_id, product_id, order_date).
-- Optimized policies order on their order_schedule; the strong baseline (policy_id = evaluate.yml baseline.id, rule
-- service_cover) orders only for the items whose latest recommendation is the baseline. At most one order per item
-- and day is recommended: the one of the item's recommended policy.
CREATE TABLE IF NOT EXISTS ${gold}.orders (
  order_id              STRING NOT NULL COMMENT 'policy_id-store_id-product_id-yyyymmdd (deterministic: re-runs replace, never duplicate)',
  policy_id             STRING NOT NULL COMMENT 'Policy that proposed the order',
  store_id              STRING NOT NULL COMMENT 'Store ID',
  product_id            STRING NOT NULL COMMENT 'Product ID',
  supplier_id           STRING          COMMENT 'Supplier ordered from (primary supplier)',
  order_date            DATE   NOT NULL COMMENT 'Date the order is placed (end of day)',
  need                  DOUBLE          COMMENT 'Units the policy asked for before supplier terms',
  quantity              DOUBLE NOT NULL COMMENT 'Units to order after MOQ, multiple, maximum and store max inventory (0 when blocked)',
  unit_cost             DOUBLE          COMMENT 'Purchase cost per unit',
  order_value           DOUBLE          COMMENT 'quantity x unit_cost',
  lead_time_days        INT             COMMENT 'Supplier lead time',
  expected_arrival_date DATE            COMMENT 'order_date + lead time',
  status                STRING NOT NULL COMMENT 'placed (as needed) | adjusted (terms changed it; see reason) | blocked (terms cannot be met)',
  reason                STRING          COMMENT 'Every adjustment made, or why the order is blocked',
  inventory_position    DOUBLE          COMMENT 'On hand + on order - backorders when the order was computed',
  on_hand               DOUBLE          COMMENT 'Units on hand at the stock count of order_date',
  on_order              DOUBLE          COMMENT 'Units ordered and not yet delivered',
  parameters_as_of      DATE            COMMENT 'Optimization date of the parameters used (NULL for the baseline: nothing is optimized)',
  recommended           BOOLEAN NOT NULL COMMENT 'True when policy_id is the policy of the item in the latest gold.policy_recommendation with as_of <= order_date (the order to place); false otherwise, and false for every order while no recommendation exists yet',
  _run_id               STRING          COMMENT 'Run that last changed this row',
  _updated_at           TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Orders proposed by the inventory policies, honouring supplier terms. Grain: one row per order_id.';
