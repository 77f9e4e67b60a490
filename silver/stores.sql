-- silver.stores: Stores of the chain. Grain: one row per store_id.
CREATE TABLE IF NOT EXISTS ${silver}.stores (
  store_id             STRING NOT NULL COMMENT 'Store ID',
  store_name           STRING          COMMENT 'Store name',
  avg_household_income DOUBLE          COMMENT 'Average annual household income of customers',
  avg_traffic          DOUBLE          COMMENT 'Average visitors per day',
  open_hour            INT             COMMENT 'Opening hour (0-23)',
  close_hour           INT             COMMENT 'Closing hour (1-24)',
  open_date            DATE            COMMENT 'First business day; NULL if the export does not say (then the first sale is the first business day)',
  timezone             STRING          COMMENT 'IANA time zone of the store; NULL = the chain time zone (timezone in pipeline.yml)',
  _record_id           STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file         STRING          COMMENT 'Landing file of that bronze row',
  _run_id              STRING          COMMENT 'Run that last changed this row',
  _updated_at          TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Stores of the chain. Grain: one row per store_id.';
