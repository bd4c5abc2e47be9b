-- shelfops: no-transaction
-- Per-store sales rollups on TimescaleDB, as plain PostgreSQL has kept since 0009: a trend that
-- neither filters nor splits by product reads one row per store and hour or day instead of one
-- per store, product and hour or day. Continuous aggregates on the per-product ones (hourly on
-- hourly, daily on daily: TimescaleDB 2.28 refuses a daily aggregate on an hourly one that is
-- itself on an hourly one), so each is exactly the sum of the rows beneath it and a refresh
-- reads the level below rather than the sale lines. Real-time, like those. The views read them from the archive horizon on, as sales_hourly/sales_daily do;
-- buckets before it are the archived rollups' (the trend statement sums those per store).
CREATE MATERIALIZED VIEW IF NOT EXISTS rollup.store_sales_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT customer_id, store_id,
       time_bucket(INTERVAL '1 hour', bucket) AS bucket,
       sum(units)::bigint AS units,
       sum(revenue) AS revenue,
       sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units,
       sum(returned_revenue) AS returned_revenue,
       sum(cost) AS cost,
       sum(uncosted_lines)::bigint AS uncosted_lines
FROM rollup.sales_hourly
GROUP BY customer_id, store_id, time_bucket(INTERVAL '1 hour', bucket)
WITH NO DATA;
-- step
CREATE MATERIALIZED VIEW IF NOT EXISTS rollup.store_sales_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT customer_id, store_id,
       time_bucket(INTERVAL '1 day', bucket) AS bucket,
       sum(units)::bigint AS units,
       sum(revenue) AS revenue,
       sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units,
       sum(returned_revenue) AS returned_revenue,
       sum(cost) AS cost,
       sum(uncosted_lines)::bigint AS uncosted_lines
FROM rollup.sales_daily
GROUP BY customer_id, store_id, time_bucket(INTERVAL '1 day', bucket)
WITH NO DATA;
-- step
GRANT SELECT ON rollup.store_sales_hourly, rollup.store_sales_daily TO shelfops_access;
-- step
-- No refresh policy: on TimescaleDB 2.28.3 (PostgreSQL 15.20) the job runner's refresh of an
-- aggregate on an aggregate crashed the server (signal 11 in
-- policy_refresh_continuous_aggregate, seen while migrations ran in other databases of the same
-- server). The gateway's rollup refresh (src/db/rollups.ts) refreshes these after the ones
-- beneath, and being real-time they answer exactly between refreshes.
CALL refresh_continuous_aggregate('rollup.store_sales_hourly', NULL, NULL);
-- step
CALL refresh_continuous_aggregate('rollup.store_sales_daily', NULL, NULL);
-- step
CREATE OR REPLACE VIEW store_sales_hourly WITH (security_barrier) AS
SELECT customer_id, store_id, bucket, units, revenue, transactions, returned_units, returned_revenue,
       cost, uncosted_lines
FROM rollup.store_sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE OR REPLACE VIEW store_sales_daily WITH (security_barrier) AS
SELECT customer_id, store_id, bucket, units, revenue, transactions, returned_units, returned_revenue,
       cost, uncosted_lines
FROM rollup.store_sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
ALTER VIEW store_sales_hourly OWNER TO shelfops_access;
-- step
ALTER VIEW store_sales_daily OWNER TO shelfops_access;
-- step
GRANT SELECT ON store_sales_hourly, store_sales_daily TO shelfops_gateway;
