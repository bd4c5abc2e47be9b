-- shelfops: no-transaction
-- Margin: products carry a unit cost, and each sale line keeps the cost in force when it was
-- recorded (a later change of the product's cost leaves recorded lines as they are). A line
-- recorded while its product has no cost keeps none. The rollups gain two additive parts:
-- cost (the sum of quantity × unit cost over the lines that have one, net of returns) and
-- uncosted_lines (the lines without one), so a span's cost is known exactly when it has no
-- uncosted line. A continuous aggregate's query cannot be altered: both are re-created, with
-- the views over them. Steps are re-runnable.
ALTER TABLE products ADD COLUMN IF NOT EXISTS cost numeric(12, 2)
  CONSTRAINT products_cost_not_negative CHECK (cost >= 0);
-- step
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS unit_cost numeric(12, 2)
  CONSTRAINT transactions_unit_cost_not_negative CHECK (unit_cost >= 0);
-- step
ALTER TABLE archive.transactions ADD COLUMN IF NOT EXISTS unit_cost numeric(12, 2);
-- step
-- A line that names no cost of its own takes its product's, in the inserting statement. The
-- lookup is by the line's own tenant, which the insert policies already checked.
CREATE OR REPLACE FUNCTION app.sale_line_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  SELECT p.cost INTO NEW.unit_cost FROM public.products p
  WHERE p.customer_id = NEW.customer_id AND p.id = NEW.product_id;
  RETURN NEW;
END
$fn$;
-- step
REVOKE ALL ON FUNCTION app.sale_line_cost() FROM PUBLIC;
-- step
DROP TRIGGER IF EXISTS sale_line_cost ON transactions;
-- step
CREATE TRIGGER sale_line_cost BEFORE INSERT ON transactions
  FOR EACH ROW WHEN (NEW.unit_cost IS NULL) EXECUTE FUNCTION app.sale_line_cost();
-- step
CREATE OR REPLACE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost
FROM (
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost
  FROM archive.transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
) lines;
-- step
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM information_schema.columns
                 WHERE table_schema = 'rollup' AND table_name = 'sales_hourly' AND column_name = 'cost') THEN
    DROP VIEW IF EXISTS sales_hourly, sales_daily, sales_hourly_archived, sales_daily_archived;
    DROP MATERIALIZED VIEW IF EXISTS rollup.sales_daily;
    DROP MATERIALIZED VIEW IF EXISTS rollup.sales_hourly;
  END IF;
END
$$;
-- step
DROP VIEW IF EXISTS sales_hourly, sales_daily, sales_hourly_archived, sales_daily_archived;
-- step
-- TimescaleDB creates no continuous aggregate on a table with row-level security; turned off and
-- on again in this one transaction, which holds the table's exclusive lock throughout (as 0008).
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
       coalesce(sum(-revenue) FILTER (WHERE quantity < 0), 0) AS returned_revenue,
       coalesce(sum(quantity * unit_cost), 0) AS cost,
       count(*) FILTER (WHERE unit_cost IS NULL) AS uncosted_lines
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
       sum(returned_revenue) AS returned_revenue,
       sum(cost) AS cost,
       sum(uncosted_lines)::bigint AS uncosted_lines
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
-- Every archived line was recorded without a cost.
ALTER TABLE archive.sales_hourly ADD COLUMN IF NOT EXISTS cost numeric NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_hourly ADD COLUMN IF NOT EXISTS uncosted_lines bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_daily ADD COLUMN IF NOT EXISTS cost numeric NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_daily ADD COLUMN IF NOT EXISTS uncosted_lines bigint NOT NULL DEFAULT 0;
-- step
UPDATE archive.sales_hourly SET uncosted_lines = transactions WHERE uncosted_lines <> transactions AND cost = 0;
-- step
UPDATE archive.sales_daily SET uncosted_lines = transactions WHERE uncosted_lines <> transactions AND cost = 0;
-- step
-- The move to the archive keeps the lines' cost and the rollups' cost parts.
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
           t.unit_price, t.revenue, t.unit_cost
    FROM public.transactions t
    WHERE t.time < cut
    ON CONFLICT DO NOTHING
    RETURNING *
  ), hourly AS (
    INSERT INTO archive.sales_hourly AS h
      (customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue,
       cost, uncosted_lines)
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 hour', k.time),
           sum(k.quantity), sum(k.revenue), count(*),
           coalesce(sum(-k.quantity) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(-k.revenue) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(k.quantity * k.unit_cost), 0), count(*) FILTER (WHERE k.unit_cost IS NULL)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = h.units + excluded.units, revenue = h.revenue + excluded.revenue,
          transactions = h.transactions + excluded.transactions,
          returned_units = h.returned_units + excluded.returned_units,
          returned_revenue = h.returned_revenue + excluded.returned_revenue,
          cost = h.cost + excluded.cost,
          uncosted_lines = h.uncosted_lines + excluded.uncosted_lines
  ), daily AS (
    INSERT INTO archive.sales_daily AS d
      (customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue,
       cost, uncosted_lines)
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 day', k.time),
           sum(k.quantity), sum(k.revenue), count(*),
           coalesce(sum(-k.quantity) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(-k.revenue) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(k.quantity * k.unit_cost), 0), count(*) FILTER (WHERE k.unit_cost IS NULL)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = d.units + excluded.units, revenue = d.revenue + excluded.revenue,
          transactions = d.transactions + excluded.transactions,
          returned_units = d.returned_units + excluded.returned_units,
          returned_revenue = d.returned_revenue + excluded.returned_revenue,
          cost = d.cost + excluded.cost,
          uncosted_lines = d.uncosted_lines + excluded.uncosted_lines
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
CREATE VIEW sales_hourly WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue, cost, uncosted_lines
FROM rollup.sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW sales_hourly_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units, sum(returned_revenue) AS returned_revenue,
       sum(cost) AS cost, sum(uncosted_lines)::bigint AS uncosted_lines
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue, cost, uncosted_lines
  FROM archive.sales_hourly
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 hour', time), quantity, revenue, 1,
         greatest(-quantity, 0), CASE WHEN quantity < 0 THEN -revenue ELSE 0 END,
         coalesce(quantity * unit_cost, 0), (unit_cost IS NULL)::integer
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
    AND time < (SELECT boundary FROM archive.horizon WHERE relation = 'transactions')
) archived
GROUP BY customer_id, store_id, product_id, bucket;
-- step
CREATE VIEW sales_daily WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue, cost, uncosted_lines
FROM rollup.sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW sales_daily_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units, sum(returned_revenue) AS returned_revenue,
       sum(cost) AS cost, sum(uncosted_lines)::bigint AS uncosted_lines
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue, cost, uncosted_lines
  FROM archive.sales_daily
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 day', time), quantity, revenue, 1,
         greatest(-quantity, 0), CASE WHEN quantity < 0 THEN -revenue ELSE 0 END,
         coalesce(quantity * unit_cost, 0), (unit_cost IS NULL)::integer
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
