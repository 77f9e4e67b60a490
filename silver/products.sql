-- silver.products: Product master with parsed shelf life. Grain: one row per product_id.
CREATE TABLE IF NOT EXISTS ${silver}.products (
  product_id      STRING NOT NULL COMMENT 'Product ID',
  brand_id        STRING          COMMENT 'Brand ID',
  product_name    STRING          COMMENT 'Product name',
  department_id   STRING          COMMENT 'Department ID',
  msrp            DOUBLE          COMMENT 'Manufacturer suggested retail price',
  product_volume  DOUBLE          COMMENT 'Volume of one unit',
  shelf_life_days INT             COMMENT 'Days a unit can be sold after it arrives; NULL if it does not expire',
  is_perishable   BOOLEAN         COMMENT 'true when the product has a shelf life',
  _record_id      STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file    STRING          COMMENT 'Landing file of that bronze row',
  _run_id         STRING          COMMENT 'Run that last changed this row',
  _updated_at     TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Product master with parsed shelf life. Grain: one row per product_id.';
