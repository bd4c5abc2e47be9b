-- shelfops: no-transaction
-- No per-store rollups on TimescaleDB: trends read the per-product ones.
DROP VIEW IF EXISTS store_sales_hourly, store_sales_daily;
-- step
DROP MATERIALIZED VIEW IF EXISTS rollup.store_sales_daily;
-- step
DROP MATERIALIZED VIEW IF EXISTS rollup.store_sales_hourly;
