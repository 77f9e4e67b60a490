-- gold.policy_recommendation: the one policy each store-product should run, chosen out of sample.
-- Grain: one row per as_of, store_id, product_id (every store-product of silver.store_product).
-- Chosen on the walk-forward selection window (which ends before the evaluation window): the highest profit
-- among the candidates whose fill rate meets the item's service level; the baseline when none does.
CREATE TABLE IF NOT EXISTS ${gold}.policy_recommendation (
  as_of                DATE   NOT NULL COMMENT 'Evaluation date the recommendation was made on',
  store_id             STRING NOT NULL COMMENT 'Store ID',
  product_id           STRING NOT NULL COMMENT 'Product ID',
  policy_id            STRING NOT NULL COMMENT 'Recommended policy (an active policy id, or the baseline id)',
  reason               STRING NOT NULL COMMENT 'Why: best profit among the candidates meeting the service level, or why the baseline was kept',
  expected_profit      DOUBLE          COMMENT 'Walk-forward profit of the recommended policy on the selection window',
  baseline_id          STRING          COMMENT 'The baseline rule compared with',
  baseline_profit      DOUBLE          COMMENT 'Walk-forward profit of the baseline on the selection window',
  fill_rate            DOUBLE          COMMENT 'Fill rate of the recommended policy on the selection window',
  service_level        DOUBLE          COMMENT 'Target fill rate of the item (primary supplier service_level, or the configured default)',
  candidates           INT             COMMENT 'Policies evaluated for the item (baseline included)',
  candidates_meeting   INT             COMMENT 'Of those, how many met the service level',
  selection_start      DATE            COMMENT 'First day of the selection window',
  selection_end        DATE            COMMENT 'Last day of the selection window (before the evaluation window)',
  evaluation_profit    DOUBLE          COMMENT 'Out of sample: profit of the recommended policy on the evaluation window',
  evaluation_fill_rate DOUBLE          COMMENT 'Out of sample: its fill rate on the evaluation window',
  baseline_evaluation_profit    DOUBLE COMMENT 'Out of sample: profit of the baseline on the evaluation window',
  baseline_evaluation_fill_rate DOUBLE COMMENT 'Out of sample: fill rate of the baseline on the evaluation window',
  _run_id              STRING          COMMENT 'Run that last changed this row',
  _updated_at          TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'One recommended policy per store-product, chosen on the walk-forward selection window. Grain: one row per as_of, store_id, product_id.';
