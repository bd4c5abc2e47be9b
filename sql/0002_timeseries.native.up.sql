-- Plain PostgreSQL: the rollups are ordinary views over the raw table, always exact. Buckets are
-- UTC, like TimescaleDB's time_bucket without a time zone.
CREATE SCHEMA IF NOT EXISTS rollup;

CREATE VIEW rollup.sales_hourly AS
SELECT customer_id, store_id, product_id,
       date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
       sum(quantity)::bigint AS units,
       sum(revenue) AS revenue,
       count(*) AS transactions
FROM transactions
GROUP BY customer_id, store_id, product_id, date_trunc('hour', time AT TIME ZONE 'UTC');

CREATE VIEW rollup.sales_daily AS
SELECT customer_id, store_id, product_id,
       date_trunc('day', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
       sum(quantity)::bigint AS units,
       sum(revenue) AS revenue,
       count(*) AS transactions
FROM transactions
GROUP BY customer_id, store_id, product_id, date_trunc('day', time AT TIME ZONE 'UTC');
