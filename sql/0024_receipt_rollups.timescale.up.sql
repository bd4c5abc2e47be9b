-- shelfops: no-transaction
-- Receipts in the rollups. A receipt (store, receiptId) is counted once, in the bucket of its
-- first recorded sale line: that line is marked when it is recorded (opens_receipt), and so is
-- the first recorded sale line of each product on a receipt (opens_product). The marks never
-- move (a later line of the receipt, however early its time, opens nothing), so the counts are
-- sums over lines like every other part, and any set of rollup rows and raw lines adds up to
-- exactly the receipts whose opening line it holds: per store and time (receipts), and per
-- product (product_receipts: the receipts containing the product, not additive across
-- products). Two more additive parts serve the ratios: receipt_units (units of sale lines on
-- receipts) and receipt_revenue (net revenue of the lines on receipts). receipt_openers keeps
-- which receipts and receipt/product pairs are open: its primary key settles two uploads of
-- one receipt at once. A continuous aggregate's query cannot be altered: the four are
-- re-created (per product, then per store as 0018 made them), with the views over them.
-- Steps are re-runnable.
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS opens_receipt boolean NOT NULL DEFAULT false;
-- step
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS opens_product boolean NOT NULL DEFAULT false;
-- step
ALTER TABLE archive.transactions ADD COLUMN IF NOT EXISTS opens_receipt boolean NOT NULL DEFAULT false;
-- step
ALTER TABLE archive.transactions ADD COLUMN IF NOT EXISTS opens_product boolean NOT NULL DEFAULT false;
-- step
CREATE TABLE IF NOT EXISTS receipt_openers (
  customer_id uuid NOT NULL,
  store_id    uuid NOT NULL,
  receipt_id  text NOT NULL,
  -- The receipt's own row carries the nil uuid; a product's row, the product.
  product_id  uuid NOT NULL,
  PRIMARY KEY (customer_id, store_id, receipt_id, product_id)
);
-- step
ALTER TABLE receipt_openers ENABLE ROW LEVEL SECURITY;
-- step
ALTER TABLE receipt_openers FORCE ROW LEVEL SECURITY;
-- step
DROP POLICY IF EXISTS tenant_isolation ON receipt_openers;
-- step
CREATE POLICY tenant_isolation ON receipt_openers FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()));
-- step
REVOKE ALL ON receipt_openers FROM PUBLIC;
-- step
-- The lines stored so far, hot and archived: each receipt opens at its earliest sale line (ties
-- by id), and so does each product on it.
WITH lines AS (
  SELECT 'hot' AS place, customer_id, store_id, receipt_id, product_id, transaction_id, time
  FROM public.transactions WHERE receipt_id IS NOT NULL AND quantity > 0
  UNION ALL
  SELECT 'archive', customer_id, store_id, receipt_id, product_id, transaction_id, time
  FROM archive.transactions WHERE receipt_id IS NOT NULL AND quantity > 0
), firsts AS (
  SELECT place, customer_id, transaction_id, time, bool_or(basket) AS receipt, bool_or(NOT basket) AS product
  FROM ((SELECT DISTINCT ON (customer_id, store_id, receipt_id)
                place, customer_id, transaction_id, time, true AS basket
         FROM lines ORDER BY customer_id, store_id, receipt_id, time, transaction_id)
        UNION ALL
        (SELECT DISTINCT ON (customer_id, store_id, receipt_id, product_id)
                place, customer_id, transaction_id, time, false
         FROM lines ORDER BY customer_id, store_id, receipt_id, product_id, time, transaction_id)) f
  GROUP BY place, customer_id, transaction_id, time
), hot AS (
  UPDATE public.transactions t SET opens_receipt = f.receipt, opens_product = f.product
  FROM firsts f
  WHERE f.place = 'hot' AND (t.customer_id, t.transaction_id, t.time) = (f.customer_id, f.transaction_id, f.time)
  RETURNING 1
), archived AS (
  UPDATE archive.transactions t SET opens_receipt = f.receipt, opens_product = f.product
  FROM firsts f
  WHERE f.place = 'archive' AND (t.customer_id, t.transaction_id, t.time) = (f.customer_id, f.transaction_id, f.time)
  RETURNING 1
)
INSERT INTO public.receipt_openers (customer_id, store_id, receipt_id, product_id)
SELECT DISTINCT customer_id, store_id, receipt_id, '00000000-0000-0000-0000-000000000000'::uuid FROM lines
UNION
SELECT DISTINCT customer_id, store_id, receipt_id, product_id FROM lines
ON CONFLICT DO NOTHING;
-- step
-- A sale line on a receipt opens it when no line has before, and opens its product on it when
-- no line of that product has; in the inserting statement, so earlier lines of the same
-- statement count as recorded before, and a concurrent upload of the same receipt waits on the
-- key and then opens nothing.
CREATE OR REPLACE FUNCTION app.sale_line_receipt() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  INSERT INTO public.receipt_openers (customer_id, store_id, receipt_id, product_id)
  VALUES (NEW.customer_id, NEW.store_id, NEW.receipt_id, '00000000-0000-0000-0000-000000000000')
  ON CONFLICT DO NOTHING;
  NEW.opens_receipt := FOUND;
  INSERT INTO public.receipt_openers (customer_id, store_id, receipt_id, product_id)
  VALUES (NEW.customer_id, NEW.store_id, NEW.receipt_id, NEW.product_id)
  ON CONFLICT DO NOTHING;
  NEW.opens_product := FOUND;
  RETURN NEW;
END
$fn$;
-- step
REVOKE ALL ON FUNCTION app.sale_line_receipt() FROM PUBLIC;
-- step
DROP TRIGGER IF EXISTS sale_line_receipt ON transactions;
-- step
CREATE TRIGGER sale_line_receipt BEFORE INSERT ON transactions
  FOR EACH ROW WHEN (NEW.receipt_id IS NOT NULL AND NEW.quantity > 0)
  EXECUTE FUNCTION app.sale_line_receipt();
-- step
CREATE OR REPLACE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost, receipt_id, opens_receipt, opens_product
FROM (
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost, receipt_id, opens_receipt, opens_product
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost, receipt_id, opens_receipt, opens_product
  FROM archive.transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
) lines;
-- step
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM information_schema.columns
                 WHERE table_schema = 'rollup' AND table_name = 'sales_hourly' AND column_name = 'receipts') THEN
    DROP VIEW IF EXISTS sales_hourly, sales_daily, sales_hourly_archived, sales_daily_archived,
      store_sales_hourly, store_sales_daily;
    DROP MATERIALIZED VIEW IF EXISTS rollup.store_sales_daily;
    DROP MATERIALIZED VIEW IF EXISTS rollup.store_sales_hourly;
    DROP MATERIALIZED VIEW IF EXISTS rollup.sales_daily;
    DROP MATERIALIZED VIEW IF EXISTS rollup.sales_hourly;
  END IF;
END
$$;
-- step
DROP VIEW IF EXISTS sales_hourly, sales_daily, sales_hourly_archived, sales_daily_archived,
  store_sales_hourly, store_sales_daily;
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
       count(*) FILTER (WHERE unit_cost IS NULL) AS uncosted_lines,
       count(*) FILTER (WHERE opens_receipt) AS receipts,
       count(*) FILTER (WHERE opens_product) AS product_receipts,
       coalesce(sum(quantity) FILTER (WHERE receipt_id IS NOT NULL AND quantity > 0), 0)::bigint AS receipt_units,
       coalesce(sum(revenue) FILTER (WHERE receipt_id IS NOT NULL), 0) AS receipt_revenue
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
       sum(uncosted_lines)::bigint AS uncosted_lines,
       sum(receipts)::bigint AS receipts,
       sum(product_receipts)::bigint AS product_receipts,
       sum(receipt_units)::bigint AS receipt_units,
       sum(receipt_revenue) AS receipt_revenue
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
-- The per-store aggregates of 0018 (no refresh policy, as there: the gateway refreshes them).
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
       sum(uncosted_lines)::bigint AS uncosted_lines,
       sum(receipts)::bigint AS receipts,
       sum(product_receipts)::bigint AS product_receipts,
       sum(receipt_units)::bigint AS receipt_units,
       sum(receipt_revenue) AS receipt_revenue
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
       sum(uncosted_lines)::bigint AS uncosted_lines,
       sum(receipts)::bigint AS receipts,
       sum(product_receipts)::bigint AS product_receipts,
       sum(receipt_units)::bigint AS receipt_units,
       sum(receipt_revenue) AS receipt_revenue
FROM rollup.sales_daily
GROUP BY customer_id, store_id, time_bucket(INTERVAL '1 day', bucket)
WITH NO DATA;
-- step
GRANT SELECT ON rollup.store_sales_hourly, rollup.store_sales_daily TO shelfops_access;
-- step
CALL refresh_continuous_aggregate('rollup.store_sales_hourly', NULL, NULL);
-- step
CALL refresh_continuous_aggregate('rollup.store_sales_daily', NULL, NULL);
-- step
-- The archived rollups gain the four parts, from the archived lines.
ALTER TABLE archive.sales_hourly ADD COLUMN IF NOT EXISTS receipts bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_hourly ADD COLUMN IF NOT EXISTS product_receipts bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_hourly ADD COLUMN IF NOT EXISTS receipt_units bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_hourly ADD COLUMN IF NOT EXISTS receipt_revenue numeric NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_daily ADD COLUMN IF NOT EXISTS receipts bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_daily ADD COLUMN IF NOT EXISTS product_receipts bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_daily ADD COLUMN IF NOT EXISTS receipt_units bigint NOT NULL DEFAULT 0;
-- step
ALTER TABLE archive.sales_daily ADD COLUMN IF NOT EXISTS receipt_revenue numeric NOT NULL DEFAULT 0;
-- step
UPDATE archive.sales_hourly r SET receipts = a.receipts, product_receipts = a.product_receipts,
       receipt_units = a.receipt_units, receipt_revenue = a.receipt_revenue
FROM (SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 hour', time) AS bucket,
             count(*) FILTER (WHERE opens_receipt) AS receipts,
             count(*) FILTER (WHERE opens_product) AS product_receipts,
             coalesce(sum(quantity) FILTER (WHERE quantity > 0), 0) AS receipt_units,
             sum(revenue) AS receipt_revenue
      FROM archive.transactions WHERE receipt_id IS NOT NULL
      GROUP BY 1, 2, 3, 4) a
WHERE (r.customer_id, r.store_id, r.product_id, r.bucket) = (a.customer_id, a.store_id, a.product_id, a.bucket)
  AND (r.receipts, r.product_receipts, r.receipt_units, r.receipt_revenue)
      IS DISTINCT FROM (a.receipts, a.product_receipts, a.receipt_units, a.receipt_revenue);
-- step
UPDATE archive.sales_daily r SET receipts = a.receipts, product_receipts = a.product_receipts,
       receipt_units = a.receipt_units, receipt_revenue = a.receipt_revenue
FROM (SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 day', time) AS bucket,
             count(*) FILTER (WHERE opens_receipt) AS receipts,
             count(*) FILTER (WHERE opens_product) AS product_receipts,
             coalesce(sum(quantity) FILTER (WHERE quantity > 0), 0) AS receipt_units,
             sum(revenue) AS receipt_revenue
      FROM archive.transactions WHERE receipt_id IS NOT NULL
      GROUP BY 1, 2, 3, 4) a
WHERE (r.customer_id, r.store_id, r.product_id, r.bucket) = (a.customer_id, a.store_id, a.product_id, a.bucket)
  AND (r.receipts, r.product_receipts, r.receipt_units, r.receipt_revenue)
      IS DISTINCT FROM (a.receipts, a.product_receipts, a.receipt_units, a.receipt_revenue);
-- step
-- The move to the archive keeps the lines' receipt marks and the rollups' receipt parts.
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
           t.unit_price, t.revenue, t.unit_cost, t.receipt_id, t.opens_receipt, t.opens_product
    FROM public.transactions t
    WHERE t.time < cut
    ON CONFLICT DO NOTHING
    RETURNING *
  ), hourly AS (
    INSERT INTO archive.sales_hourly AS h
      (customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue,
       cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue)
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 hour', k.time),
           sum(k.quantity), sum(k.revenue), count(*),
           coalesce(sum(-k.quantity) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(-k.revenue) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(k.quantity * k.unit_cost), 0), count(*) FILTER (WHERE k.unit_cost IS NULL),
           count(*) FILTER (WHERE k.opens_receipt), count(*) FILTER (WHERE k.opens_product),
           coalesce(sum(k.quantity) FILTER (WHERE k.receipt_id IS NOT NULL AND k.quantity > 0), 0),
           coalesce(sum(k.revenue) FILTER (WHERE k.receipt_id IS NOT NULL), 0)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = h.units + excluded.units, revenue = h.revenue + excluded.revenue,
          transactions = h.transactions + excluded.transactions,
          returned_units = h.returned_units + excluded.returned_units,
          returned_revenue = h.returned_revenue + excluded.returned_revenue,
          cost = h.cost + excluded.cost,
          uncosted_lines = h.uncosted_lines + excluded.uncosted_lines,
          receipts = h.receipts + excluded.receipts,
          product_receipts = h.product_receipts + excluded.product_receipts,
          receipt_units = h.receipt_units + excluded.receipt_units,
          receipt_revenue = h.receipt_revenue + excluded.receipt_revenue
  ), daily AS (
    INSERT INTO archive.sales_daily AS d
      (customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue,
       cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue)
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 day', k.time),
           sum(k.quantity), sum(k.revenue), count(*),
           coalesce(sum(-k.quantity) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(-k.revenue) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(k.quantity * k.unit_cost), 0), count(*) FILTER (WHERE k.unit_cost IS NULL),
           count(*) FILTER (WHERE k.opens_receipt), count(*) FILTER (WHERE k.opens_product),
           coalesce(sum(k.quantity) FILTER (WHERE k.receipt_id IS NOT NULL AND k.quantity > 0), 0),
           coalesce(sum(k.revenue) FILTER (WHERE k.receipt_id IS NOT NULL), 0)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = d.units + excluded.units, revenue = d.revenue + excluded.revenue,
          transactions = d.transactions + excluded.transactions,
          returned_units = d.returned_units + excluded.returned_units,
          returned_revenue = d.returned_revenue + excluded.returned_revenue,
          cost = d.cost + excluded.cost,
          uncosted_lines = d.uncosted_lines + excluded.uncosted_lines,
          receipts = d.receipts + excluded.receipts,
          product_receipts = d.product_receipts + excluded.product_receipts,
          receipt_units = d.receipt_units + excluded.receipt_units,
          receipt_revenue = d.receipt_revenue + excluded.receipt_revenue
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
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue
FROM rollup.sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW sales_daily WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue
FROM rollup.sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW store_sales_hourly WITH (security_barrier) AS
SELECT customer_id, store_id, bucket, units, revenue, transactions, returned_units, returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue
FROM rollup.store_sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW store_sales_daily WITH (security_barrier) AS
SELECT customer_id, store_id, bucket, units, revenue, transactions, returned_units, returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue
FROM rollup.store_sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');
-- step
CREATE VIEW sales_hourly_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units, sum(returned_revenue) AS returned_revenue,
       sum(cost) AS cost, sum(uncosted_lines)::bigint AS uncosted_lines,
       sum(receipts)::bigint AS receipts, sum(product_receipts)::bigint AS product_receipts,
       sum(receipt_units)::bigint AS receipt_units, sum(receipt_revenue) AS receipt_revenue
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue
  FROM archive.sales_hourly
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 hour', time), quantity, revenue, 1,
         greatest(-quantity, 0), CASE WHEN quantity < 0 THEN -revenue ELSE 0 END,
         coalesce(quantity * unit_cost, 0), (unit_cost IS NULL)::integer,
         opens_receipt::integer, opens_product::integer,
         CASE WHEN receipt_id IS NOT NULL AND quantity > 0 THEN quantity ELSE 0 END,
         CASE WHEN receipt_id IS NOT NULL THEN revenue ELSE 0 END
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
    AND time < (SELECT boundary FROM archive.horizon WHERE relation = 'transactions')
) archived
GROUP BY customer_id, store_id, product_id, bucket;
-- step
CREATE VIEW sales_daily_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions,
       sum(returned_units)::bigint AS returned_units, sum(returned_revenue) AS returned_revenue,
       sum(cost) AS cost, sum(uncosted_lines)::bigint AS uncosted_lines,
       sum(receipts)::bigint AS receipts, sum(product_receipts)::bigint AS product_receipts,
       sum(receipt_units)::bigint AS receipt_units, sum(receipt_revenue) AS receipt_revenue
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue
  FROM archive.sales_daily
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 day', time), quantity, revenue, 1,
         greatest(-quantity, 0), CASE WHEN quantity < 0 THEN -revenue ELSE 0 END,
         coalesce(quantity * unit_cost, 0), (unit_cost IS NULL)::integer,
         opens_receipt::integer, opens_product::integer,
         CASE WHEN receipt_id IS NOT NULL AND quantity > 0 THEN quantity ELSE 0 END,
         CASE WHEN receipt_id IS NOT NULL THEN revenue ELSE 0 END
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
  FOREACH v IN ARRAY ARRAY['sales_hourly', 'sales_daily', 'sales_hourly_archived', 'sales_daily_archived',
                           'store_sales_hourly', 'store_sales_daily'] LOOP
    EXECUTE format('ALTER VIEW public.%I OWNER TO shelfops_access', v);
    EXECUTE format('GRANT SELECT ON public.%I TO shelfops_gateway', v);
  END LOOP;
END
$$;
-- step
-- A line's identity includes its receipt: the fingerprint its idempotency key keeps covers the
-- receipt too, so a resend of a transaction id on another receipt is a conflict, not a
-- duplicate. A line without a receipt keeps 0013's fingerprint; the keys of stored lines on a
-- receipt are fingerprinted again.
CREATE OR REPLACE FUNCTION app.sale_content(store_id uuid, product_id uuid, quantity integer, unit_price numeric, receipt_id text)
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT md5(store_id::text || '|' || product_id::text || '|' || quantity::text || '|'
             || unit_price::numeric(12, 2)::text || coalesce('|' || receipt_id, ''))::uuid
$$;
-- step
UPDATE sale_keys k SET content = app.sale_content(t.store_id, t.product_id, t.quantity, t.unit_price, t.receipt_id)
FROM transactions t
WHERE k.customer_id = t.customer_id AND k.transaction_id = t.transaction_id AND t.receipt_id IS NOT NULL;
-- step
UPDATE sale_keys k SET content = app.sale_content(t.store_id, t.product_id, t.quantity, t.unit_price, t.receipt_id)
FROM archive.transactions t
WHERE k.customer_id = t.customer_id AND k.transaction_id = t.transaction_id AND t.receipt_id IS NOT NULL;
-- step
