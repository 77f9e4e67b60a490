-- Policies against the baseline, latest evaluation. Grain: one row per evaluation, policy_id, store_id ('ALL' = the
-- whole chain), segment ('all' = every item), period of the latest as_of of each evaluation in gold.policy_metrics;
-- each metric sits beside the baseline's value on the same store-products and the relative improvement (positive =
-- better), with the profit ceiling and the share of the gain to it captured.
-- cost_rank 1 = the cheapest policy of its evaluation, store, segment and period.
CREATE OR REPLACE VIEW ${gold}.v_policy_comparison
COMMENT 'Policy x store x period of the latest evaluation: metrics, the baseline beside them and the improvement'
AS WITH latest AS (SELECT evaluation, max(as_of) AS as_of FROM ${gold}.policy_metrics GROUP BY evaluation)
SELECT
  m.evaluation,
  m.as_of,
  m.period,
  m.period_start,
  m.period_end,
  m.store_id,
  m.segment,
  CASE WHEN m.store_id = 'ALL' THEN 'All stores' ELSE s.store_name END        AS store_name,
  m.policy_id,
  m.baseline_id,
  coalesce(m.policy_id = m.baseline_id, false)                                AS is_baseline,
  m.items,
  rank() OVER (PARTITION BY m.evaluation, m.store_id, m.segment, m.period ORDER BY m.total_cost) AS cost_rank,
  m.total_cost,          m.total_cost_baseline,          m.total_cost_improvement,
  m.total_revenue,       m.total_revenue_baseline,       m.total_revenue_improvement,
  m.profit,              m.profit_baseline,              m.profit_improvement,
  m.profit_gain,         m.profit_gain_share,
  m.profit_ceiling,      m.gain_captured,                m.ceiling_note,
  m.fill_rate,           m.fill_rate_baseline,           m.fill_rate_improvement,
  m.cycle_service_level, m.cycle_service_level_baseline, m.cycle_service_level_improvement,
  m.stockout_events,     m.stockout_events_baseline,     m.stockout_events_improvement,
  m.turnover_ratio,      m.turnover_ratio_baseline,      m.turnover_ratio_improvement,
  m.normalized_revenue,  m.normalized_revenue_baseline,  m.normalized_revenue_improvement,
  m.holding_cost,        m.holding_cost_baseline,
  m.ordering_cost,       m.ordering_cost_baseline,
  m.stockout_cost,       m.stockout_cost_baseline,
  m.disposal_cost,       m.disposal_cost_baseline,
  m.purchase_cost,
  m.average_inventory_value
FROM ${gold}.policy_metrics m
JOIN latest ON m.evaluation = latest.evaluation AND m.as_of = latest.as_of
LEFT JOIN ${silver}.stores s ON s.store_id = m.store_id;
