-- shelfops: no-transaction
-- TimescaleDB: hypertables and the hourly/daily sales rollups. Continuous aggregates cannot be
-- created in a transaction block nor on a table that already has row-level security, so this
-- runs statement by statement and before 0003 enables RLS.
SELECT create_hypertable('transactions', by_range('time', INTERVAL '7 days'), migrate_data => true, if_not_exists => true);
-- step
SELECT create_hypertable('inventory_levels', by_range('time', INTERVAL '7 days'), migrate_data => true, if_not_exists => true);
-- step
SELECT create_hypertable('forecasts', by_range('time', INTERVAL '30 days'), migrate_data => true, if_not_exists => true);
-- step
CREATE SCHEMA IF NOT EXISTS rollup;
-- step
CREATE MATERIALIZED VIEW IF NOT EXISTS rollup.sales_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT customer_id, store_id, product_id,
       time_bucket(INTERVAL '1 hour', time) AS bucket,
       sum(quantity)::bigint AS units,
       sum(revenue) AS revenue,
       count(*) AS transactions
FROM transactions
GROUP BY customer_id, store_id, product_id, time_bucket(INTERVAL '1 hour', time)
WITH NO DATA;
-- step
CREATE MATERIALIZED VIEW IF NOT EXISTS rollup.sales_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT customer_id, store_id, product_id,
       time_bucket(INTERVAL '1 day', bucket) AS bucket,
       sum(units)::bigint AS units,
       sum(revenue) AS revenue,
       sum(transactions)::bigint AS transactions
FROM rollup.sales_hourly
GROUP BY customer_id, store_id, product_id, time_bucket(INTERVAL '1 day', bucket)
WITH NO DATA;
-- step
-- Each policy is added paused, in the statement that adds it: a scheduled one starts at once,
-- while the migrations still reshape its aggregate. Who runs the upkeep is the gateway's choice
-- at start (MAINTENANCE=jobs schedules the jobs, the default leaves them paused).
SELECT alter_job(id, scheduled => false) FROM add_continuous_aggregate_policy('rollup.sales_hourly',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '5 minutes', if_not_exists => true) id
  WHERE id > 0;
-- step
SELECT alter_job(id, scheduled => false) FROM add_continuous_aggregate_policy('rollup.sales_daily',
  start_offset => INTERVAL '4 days', end_offset => INTERVAL '1 day',
  schedule_interval => INTERVAL '30 minutes', if_not_exists => true) id
  WHERE id > 0;
-- step
-- Chunks copy the hypertable's grants but not its row-level security: nobody but the owner may
-- name them directly. Queries through the hypertable still reach them.
REVOKE USAGE ON SCHEMA _timescaledb_internal FROM PUBLIC;
