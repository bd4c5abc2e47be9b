-- shelfops: no-transaction
GRANT USAGE ON SCHEMA _timescaledb_internal TO PUBLIC;
-- step
DROP MATERIALIZED VIEW IF EXISTS rollup.sales_daily;
-- step
DROP MATERIALIZED VIEW IF EXISTS rollup.sales_hourly;
-- step
DROP SCHEMA IF EXISTS rollup;
