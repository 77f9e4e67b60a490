-- silver.departments: Departments per store. Grain: one row per store_id, department_id.
CREATE TABLE IF NOT EXISTS ${silver}.departments (
  store_id        STRING NOT NULL COMMENT 'Store ID',
  department_id   STRING NOT NULL COMMENT 'Department ID',
  department_name STRING          COMMENT 'Department name',
  _record_id      STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file    STRING          COMMENT 'Landing file of that bronze row',
  _run_id         STRING          COMMENT 'Run that last changed this row',
  _updated_at     TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Departments per store. Grain: one row per store_id, department_id.';
