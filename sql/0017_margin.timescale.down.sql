-- shelfops: no-transaction
-- Back to products and sale lines without a cost, and the rollups without the cost parts (as
-- 0008 made them, with the views over them).
DROP VIEW IF EXISTS sales_hourly, sales_daily, sales_hourly_archived, sales_daily_archived;
-- step
DROP MATERIALIZED VIEW IF EXISTS rollup.sales_daily;
-- step
DROP MATERIALIZED VIEW IF EXISTS rollup.sales_hourly;
-- step
-- TimescaleDB creates no continuous aggregate on a table with row-level security; turned off and
-- on again in this one transaction, which holds the table's exclusive lock throughout (as 0008).
BEGIN;
ALTER TABLE transactions DISABLE ROW LEVEL SECURITY;
ALTER TABLE transactions NO FORCE ROW LEVEL SECURITY;
CREATE MATERIALIZED VIEW rollup.sales_hourly
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
CREATE MATERIALIZED VIEW rollup.sales_daily
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
GRANT SELECT ON rollup.sales_hourly, rollup.sales_daily TO shelfops_access;
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
CREATE OR REPLACE FUNCTION archive.move_before(before timestamp with time zone)
 RETURNS TABLE(relation text, moved bigint, boundary timestamp with time zone)
 LANGUAGE plpgsql
AS $function$
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
$function$;
-- step
ALTER TABLE archive.sales_hourly DROP COLUMN IF EXISTS cost, DROP COLUMN IF EXISTS uncosted_lines;
-- step
ALTER TABLE archive.sales_daily DROP COLUMN IF EXISTS cost, DROP COLUMN IF EXISTS uncosted_lines;
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
DO $$
DECLARE
  v text;
BEGIN
  FOREACH v IN ARRAY ARRAY['sales_hourly', 'sales_daily', 'sales_hourly_archived', 'sales_daily_archived'] LOOP
    EXECUTE format('ALTER VIEW public.%I OWNER TO shelfops_access', v);
    EXECUTE format('GRANT SELECT ON public.%I TO shelfops_gateway', v);
  END LOOP;
END
$$;
-- step
DROP VIEW IF EXISTS sale_lines;
-- step
CREATE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM (
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
  FROM archive.transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
) lines;
-- step
ALTER VIEW sale_lines OWNER TO shelfops_access;
-- step
GRANT SELECT ON sale_lines TO shelfops_gateway;
-- step
DROP TRIGGER IF EXISTS sale_line_cost ON transactions;
-- step
DROP FUNCTION IF EXISTS app.sale_line_cost();
-- step
ALTER TABLE archive.transactions DROP COLUMN IF EXISTS unit_cost;
-- step
ALTER TABLE transactions DROP COLUMN IF EXISTS unit_cost;
-- step
ALTER TABLE products DROP COLUMN IF EXISTS cost;
