-- silver.store_product: Assortment: what each store sells, at which price, with which storage and shortage costs. Grain: one row per store_id, product_id.
CREATE TABLE IF NOT EXISTS ${silver}.store_product (
  store_id         STRING NOT NULL COMMENT 'Store ID',
  product_id       STRING NOT NULL COMMENT 'Product ID',
  department_id    STRING          COMMENT 'Department ID',
  storage_id       STRING          COMMENT 'Storage space the product is kept in',
  msrp             DOUBLE          COMMENT 'MSRP in this store',
  price            DOUBLE          COMMENT 'Shelf price',
  storage_cost     DOUBLE          COMMENT 'Holding cost per unit per day',
  missed_sale_cost DOUBLE          COMMENT 'Cost of a missed sale per unit',
  disposal_cost    DOUBLE          COMMENT 'Cost of disposing one expired unit',
  min_inventory    INT             COMMENT 'Minimal units to keep',
  max_inventory    INT             COMMENT 'Maximal units the storage can hold',
  _record_id       STRING          COMMENT 'Bronze row that produced the current version of this row',
  _source_file     STRING          COMMENT 'Landing file of that bronze row',
  _run_id          STRING          COMMENT 'Run that last changed this row',
  _updated_at      TIMESTAMP       COMMENT 'When this row was last changed'
)
USING DELTA
COMMENT 'Assortment: what each store sells, at which price, with which storage and shortage costs. Grain: one row per store_id, product_id.';
