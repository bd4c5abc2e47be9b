-- shelfops: no-transaction
-- Onboarding a real retailer: tenants that can be disabled, stores and products that can be
-- retired, returns (negative quantities), and one idempotency key per sale line. The sales
-- rollups gain the returned units and revenue, so the continuous aggregates are re-created
-- (a continuous aggregate's query cannot be altered); steps are re-runnable.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'active';
-- step
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'customers_status_known') THEN
    ALTER TABLE customers ADD CONSTRAINT customers_status_known CHECK (status IN ('active', 'disabled'));
  END IF;
END
$$;
-- step
ALTER TABLE stores ADD COLUMN IF NOT EXISTS retired boolean NOT NULL DEFAULT false;
-- step
ALTER TABLE products ADD COLUMN IF NOT EXISTS retired boolean NOT NULL DEFAULT false;
-- step
-- A negative quantity is a return; revenue follows the quantity's sign.
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_quantity_check;
-- step
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_revenue_check;
-- step
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'transactions_quantity_not_zero') THEN
    ALTER TABLE transactions ADD CONSTRAINT transactions_quantity_not_zero CHECK (quantity <> 0);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'transactions_revenue_of_quantity') THEN
    ALTER TABLE transactions ADD CONSTRAINT transactions_revenue_of_quantity
      CHECK (revenue = quantity * unit_price);
  END IF;
END
$$;
-- step
-- The idempotency key of a sale line is (tenant, transaction id). The hypertables' keys must
-- contain the time, so this table holds the one row per key (and what the line said), which
-- makes a re-sent id with other content detectable and two concurrent uploads of one id wait
-- for each other.
CREATE TABLE IF NOT EXISTS sale_keys (
  customer_id    uuid NOT NULL,
  transaction_id uuid NOT NULL,
  time           timestamptz NOT NULL,
  content        uuid NOT NULL,
  PRIMARY KEY (customer_id, transaction_id)
);
-- step
CREATE OR REPLACE FUNCTION app.sale_content(store_id uuid, product_id uuid, quantity integer, unit_price numeric)
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT md5(concat_ws('|', store_id, product_id, quantity, unit_price::numeric(12, 2)))::uuid
$$;
-- step
INSERT INTO sale_keys (customer_id, transaction_id, time, content)
SELECT customer_id, transaction_id, time, app.sale_content(store_id, product_id, quantity, unit_price)
FROM (SELECT * FROM transactions UNION ALL SELECT * FROM archive.transactions) t
ON CONFLICT DO NOTHING;
-- step
ALTER TABLE sale_keys ENABLE ROW LEVEL SECURITY;
-- step
ALTER TABLE sale_keys FORCE ROW LEVEL SECURITY;
-- step
DROP POLICY IF EXISTS tenant_isolation ON sale_keys;
-- step
CREATE POLICY tenant_isolation ON sale_keys FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()));
-- step
DROP POLICY IF EXISTS tenant_ingest ON sale_keys;
-- step
CREATE POLICY tenant_ingest ON sale_keys FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id())
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
-- step
GRANT SELECT, INSERT ON sale_keys TO shelfops_gateway;
-- step
-- The catalog through the API: writers of the tenant; a store-scoped caller only its stores,
-- and products (tenant-wide) only unscoped.
DROP POLICY IF EXISTS tenant_catalog_insert ON stores;
-- step
CREATE POLICY tenant_catalog_insert ON stores FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND (SELECT app.store_scope()) IS NULL
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
-- step
DROP POLICY IF EXISTS tenant_catalog_update ON stores;
-- step
CREATE POLICY tenant_catalog_update ON stores FOR UPDATE
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR id = ANY ((SELECT app.store_scope())::uuid[])))
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR id = ANY ((SELECT app.store_scope())::uuid[]))
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
-- step
DROP POLICY IF EXISTS tenant_catalog_insert ON products;
-- step
CREATE POLICY tenant_catalog_insert ON products FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND (SELECT app.store_scope()) IS NULL
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
-- step
DROP POLICY IF EXISTS tenant_catalog_update ON products;
-- step
CREATE POLICY tenant_catalog_update ON products FOR UPDATE
  USING (customer_id = (SELECT app.current_customer_id()))
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND (SELECT app.store_scope()) IS NULL
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
-- step
GRANT INSERT, UPDATE ON stores, products TO shelfops_gateway;
-- step
-- Rollups with returns: units and revenue stay net, returned_* are positive amounts.
DROP VIEW IF EXISTS sales_hourly;
-- step
DROP VIEW IF EXISTS sales_daily;
-- step
DROP VIEW IF EXISTS sales_hourly_archived;
-- step
DROP VIEW IF EXISTS sales_daily_archived;
-- step
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM information_schema.columns
                 WHERE table_schema = 'rollup' AND table_name = 'sales_hourly' AND column_name = 'returned_units') THEN
    DROP MATERIALIZED VIEW IF EXISTS rollup.sales_daily;
    DROP MATERIALIZED VIEW IF EXISTS rollup.sales_hourly;
  END IF;
END
$$;
-- step
-- TimescaleDB creates no continuous aggregate on a table with row-level security. Turning it
-- off and on again in the same transaction (this step is one) holds the table's exclusive
-- lock throughout, so nobody ever reads it without its policies.
BEGIN;
ALTER TABLE transactions DISABLE ROW LEVEL SECURITY;
ALTER TABLE transactions NO FORCE ROW LEVEL SECURITY;
CREATE MATERIALIZED VIEW IF NOT EXISTS rollup.sales_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT customer_id, store_id, product_id,
       time_bucket(INTERVAL '1 hour', time) AS bucket,
       sum(quantity)::bigint AS units,
       sum(revenue) AS revenue,
       count(*) AS transactions,
       coalesce(sum(-quantity) FILTER (WHERE quantity < 0), 0)::bigint AS returned_units,
       coalesce(sum(-revenue) FILTER (WHERE quantity < 0), 0) AS returned_revenue
FROM transactions
GROUP BY customer_id, store_id, product_id, time_bucket(INTERVAL '1 hour', time)
WITH NO DATA;
CREATE MATERIALIZED VIEW IF NOT EXISTS rollup.sales_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT customer_id, store_id, product_id,
       time_bucket(INTERVAL '1 day', bucket) AS bucket,
       sum(units)::bigint AS units,
       sum(revenue) AS revenue,
       sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units,
       sum(returned_revenue) AS returned_revenue
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
-- Every archived row was a sale before returns were accepted: nothing returned.
ALTER TABLE archive.sales_hourly ADD COLUMN IF NOT EXISTS returned_units bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_hourly ADD COLUMN IF NOT EXISTS returned_revenue numeric NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_daily ADD COLUMN IF NOT EXISTS returned_units bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_daily ADD COLUMN IF NOT EXISTS returned_revenue numeric NOT NULL DEFAULT 0;
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
      (customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue)
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 hour', k.time),
           sum(k.quantity), sum(k.revenue), count(*),
           coalesce(sum(-k.quantity) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(-k.revenue) FILTER (WHERE k.quantity < 0), 0)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = h.units + excluded.units, revenue = h.revenue + excluded.revenue,
          transactions = h.transactions + excluded.transactions,
          returned_units = h.returned_units + excluded.returned_units,
          returned_revenue = h.returned_revenue + excluded.returned_revenue
  ), daily AS (
    INSERT INTO archive.sales_daily AS d
      (customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue)
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 day', k.time),
           sum(k.quantity), sum(k.revenue), count(*),
           coalesce(sum(-k.quantity) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(-k.revenue) FILTER (WHERE k.quantity < 0), 0)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = d.units + excluded.units, revenue = d.revenue + excluded.revenue,
          transactions = d.transactions + excluded.transactions,
          returned_units = d.returned_units + excluded.returned_units,
          returned_revenue = d.returned_revenue + excluded.returned_revenue
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
CREATE VIEW sales_hourly WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue
FROM rollup.sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW sales_hourly_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units, sum(returned_revenue) AS returned_revenue
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
         returned_units, returned_revenue
  FROM archive.sales_hourly
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 hour', time), quantity, revenue, 1,
         greatest(-quantity, 0), CASE WHEN quantity < 0 THEN -revenue ELSE 0 END
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
    AND time < (SELECT boundary FROM archive.horizon WHERE relation = 'transactions')
) archived
GROUP BY customer_id, store_id, product_id, bucket;
-- step
CREATE VIEW sales_daily WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue
FROM rollup.sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW sales_daily_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units, sum(returned_revenue) AS returned_revenue
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
         returned_units, returned_revenue
  FROM archive.sales_daily
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 day', time), quantity, revenue, 1,
         greatest(-quantity, 0), CASE WHEN quantity < 0 THEN -revenue ELSE 0 END
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
    AND time < (SELECT boundary FROM archive.horizon WHERE relation = 'transactions')
) archived
GROUP BY customer_id, store_id, product_id, bucket;
-- step
GRANT SELECT ON sales_hourly, sales_daily, sales_hourly_archived, sales_daily_archived TO shelfops_gateway;
