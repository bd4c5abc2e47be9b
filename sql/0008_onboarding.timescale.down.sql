-- shelfops: no-transaction
-- Back to sale lines without returns, the rollups without returned amounts, no sale keys and
-- no tenant status or retired catalog rows. Fails (changing nothing of the lines) while
-- returns are stored: they cannot be expressed without this migration.
DROP VIEW IF EXISTS sales_hourly;
-- step
DROP VIEW IF EXISTS sales_daily;
-- step
DROP VIEW IF EXISTS sales_hourly_archived;
-- step
DROP VIEW IF EXISTS sales_daily_archived;
-- step
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_quantity_not_zero;
-- step
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_revenue_of_quantity;
-- step
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'transactions_quantity_check') THEN
    ALTER TABLE transactions ADD CONSTRAINT transactions_quantity_check CHECK (quantity > 0);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'transactions_revenue_check') THEN
    ALTER TABLE transactions ADD CONSTRAINT transactions_revenue_check CHECK (revenue >= 0);
  END IF;
END
$$;
-- step
DO $$
BEGIN
  IF EXISTS (SELECT FROM information_schema.columns
             WHERE table_schema = 'rollup' AND table_name = 'sales_hourly' AND column_name = 'returned_units') THEN
    DROP MATERIALIZED VIEW IF EXISTS rollup.sales_daily;
    DROP MATERIALIZED VIEW IF EXISTS rollup.sales_hourly;
  END IF;
END
$$;
-- step
-- One transaction, as in the up migration: nobody reads transactions without its policies.
BEGIN;
ALTER TABLE transactions DISABLE ROW LEVEL SECURITY;
ALTER TABLE transactions NO FORCE ROW LEVEL SECURITY;
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
ALTER TABLE transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE transactions FORCE ROW LEVEL SECURITY;
COMMIT;
-- step
-- The policies are added paused (see 0002): the gateway schedules them with MAINTENANCE=jobs.
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
CALL refresh_continuous_aggregate('rollup.sales_hourly', NULL, NULL);
-- step
CALL refresh_continuous_aggregate('rollup.sales_daily', NULL, NULL);
-- step
CREATE OR REPLACE FUNCTION archive.move_before(before timestamptz)
RETURNS TABLE (relation text, moved bigint, boundary timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  cut timestamptz := archive.chunk_week(before);
  sales bigint;
  snapshots bigint;
BEGIN
  IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'archiving needs a role that bypasses row-level security (superuser or BYPASSRLS); % is neither', current_user;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('shelfops.archive'));

  -- Uploads wait for the move (reads do not), so what is copied is exactly what is deleted.
  LOCK TABLE public.transactions, public.inventory_levels IN EXCLUSIVE MODE;

  WITH kept AS (
    INSERT INTO archive.transactions
    SELECT t.customer_id, t.transaction_id, t.time, t.store_id, t.product_id, t.quantity,
           t.unit_price, t.revenue
    FROM public.transactions t
    WHERE t.time < cut
    ON CONFLICT DO NOTHING
    RETURNING *
  ), hourly AS (
    INSERT INTO archive.sales_hourly AS h
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 hour', k.time),
           sum(k.quantity), sum(k.revenue), count(*)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = h.units + excluded.units, revenue = h.revenue + excluded.revenue,
          transactions = h.transactions + excluded.transactions
  ), daily AS (
    INSERT INTO archive.sales_daily AS d
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 day', k.time),
           sum(k.quantity), sum(k.revenue), count(*)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = d.units + excluded.units, revenue = d.revenue + excluded.revenue,
          transactions = d.transactions + excluded.transactions
  )
  SELECT count(*) INTO sales FROM kept;
  DELETE FROM public.transactions t WHERE t.time < cut;

  INSERT INTO archive.inventory_levels
  SELECT i.customer_id, i.store_id, i.product_id, i.time, i.on_hand, i.allocated, i.available
  FROM public.inventory_levels i
  WHERE i.time < cut
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS snapshots = ROW_COUNT;
  DELETE FROM public.inventory_levels i WHERE i.time < cut;

  UPDATE archive.horizon h SET boundary = greatest(h.boundary, cut)
  WHERE h.relation IN ('transactions', 'inventory_levels');
  PERFORM drop_chunks('public.transactions', older_than => cut);
  PERFORM drop_chunks('public.inventory_levels', older_than => cut);

  RETURN QUERY
    SELECT h.relation, CASE h.relation WHEN 'transactions' THEN sales ELSE snapshots END, h.boundary
    FROM archive.horizon h ORDER BY h.relation;
END
$$;
-- step
ALTER TABLE archive.sales_hourly DROP COLUMN IF EXISTS returned_units;
-- step
ALTER TABLE archive.sales_hourly DROP COLUMN IF EXISTS returned_revenue;
-- step
ALTER TABLE archive.sales_daily DROP COLUMN IF EXISTS returned_units;
-- step
ALTER TABLE archive.sales_daily DROP COLUMN IF EXISTS returned_revenue;
-- step
CREATE VIEW sales_hourly WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW sales_hourly_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
  FROM archive.sales_hourly
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 hour', time), quantity, revenue, 1
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
    AND time < (SELECT boundary FROM archive.horizon WHERE relation = 'transactions')
) archived
GROUP BY customer_id, store_id, product_id, bucket;
-- step
CREATE VIEW sales_daily WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW sales_daily_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
  FROM archive.sales_daily
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 day', time), quantity, revenue, 1
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
    AND time < (SELECT boundary FROM archive.horizon WHERE relation = 'transactions')
) archived
GROUP BY customer_id, store_id, product_id, bucket;
-- step
GRANT SELECT ON sales_hourly, sales_daily, sales_hourly_archived, sales_daily_archived TO shelfops_gateway;
-- step
DROP POLICY IF EXISTS tenant_catalog_insert ON stores;
-- step
DROP POLICY IF EXISTS tenant_catalog_update ON stores;
-- step
DROP POLICY IF EXISTS tenant_catalog_insert ON products;
-- step
DROP POLICY IF EXISTS tenant_catalog_update ON products;
-- step
REVOKE INSERT, UPDATE ON stores, products FROM shelfops_gateway;
-- step
DROP TABLE IF EXISTS sale_keys;
-- step
DROP FUNCTION IF EXISTS app.sale_content(uuid, uuid, integer, numeric);
-- step
ALTER TABLE products DROP COLUMN IF EXISTS retired;
-- step
ALTER TABLE stores DROP COLUMN IF EXISTS retired;
-- step
ALTER TABLE customers DROP CONSTRAINT IF EXISTS customers_status_known;
-- step
ALTER TABLE customers DROP COLUMN IF EXISTS status;
