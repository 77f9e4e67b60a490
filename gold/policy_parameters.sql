-- gold.policy_parameters: optimized policy decisions. Grain: one row per policy_id, as_of, store_id, product_id.
CREATE TABLE IF NOT EXISTS ${gold}.policy_parameters (
  policy_id      STRING NOT NULL COMMENT 'Policy id from conf/base/policies.yml',
  as_of          DATE   NOT NULL COMMENT 'Date the policy was optimized',
  store_id       STRING NOT NULL COMMENT 'Store ID',
  product_id     STRING NOT NULL COMMENT 'Product ID',
  policy_type    STRING NOT NULL COMMENT 'sQ | sQ_perishable | RS | ceoq | ww | clsp | nvbudget | jrp',
  objective_kind STRING          COMMENT 'What the policy optimized: profit | cost, with /floor or /penalty (service level) for types that have one',
  partition_key  STRING          COMMENT 'The model this item was solved in, e.g. store_id=S01/storage_id=ST02',
  supplier_id    STRING          COMMENT 'Primary supplier the decision assumes',
  forecast_as_of DATE            COMMENT 'Origin of the demand forecast used',
  status         STRING NOT NULL COMMENT 'optimal (proven) | feasible | infeasible | time_limit | error',
  decision_json  STRING          COMMENT 'The decision: {"s","Q"} | {"R","S"} | {"Q"} | {"x": [...]} | {"s"}',
  reorder_point  DOUBLE          COMMENT 's of (s,Q) policies',
  order_quantity DOUBLE          COMMENT 'Q of (s,Q) and EOQ policies',
  review_period  DOUBLE          COMMENT 'R of (R,S), days',
  order_up_to    DOUBLE          COMMENT 'S of (R,S), or the newsvendor level s',
  item_cost      DOUBLE          COMMENT 'The item part of the objective (per day for stationary policies)',
  objective      DOUBLE          COMMENT 'Objective of the whole partition model',
  bound          DOUBLE          COMMENT 'Best proven bound of the partition model',
  gap            DOUBLE          COMMENT 'Relative gap |objective - bound| / |objective|',
  solve_ms       DOUBLE          COMMENT 'Wall time of the partition (build + solve), ms',
  solver         STRING          COMMENT 'Solver used',
  message        STRING          COMMENT 'Why the status is not optimal, or other notes',
  inputs_json    STRING          COMMENT 'Inputs the item was solved with (a, L, h, K, pi, W, life, supplier terms, ...)',
  _run_id        STRING          COMMENT 'Run that last changed this row',
  _updated_at    TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Optimized inventory policy parameters per store-product. Grain: one row per policy_id, as_of, store_id, product_id.';
