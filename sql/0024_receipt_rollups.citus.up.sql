-- Citus: 0024 as on plain PostgreSQL (see sql/0024_receipt_rollups.native.up.sql), with what
-- Citus needs done another way: receipt_openers is distributed by tenant beside the sale
-- lines, its policy calls the tenant function without a sub-select, and the triggers, which
-- run on the shards of transactions, write the colocated shards (a trigger on a shard cannot
-- run a distributed statement). Statements are sent one by one.
-- DDL on distributed tables runs in parallel; the functions created after it are sent to every
-- node, which Citus allows only in a transaction that stayed sequential. transactions has
-- triggers (the rollups', the line cost's), which Citus touches only when told it may.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
-- step
SET LOCAL citus.enable_unsafe_triggers = on;
-- step
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS opens_receipt boolean NOT NULL DEFAULT false;
-- step
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS opens_product boolean NOT NULL DEFAULT false;
-- step

-- One row per receipt opened (product_id NULL is not allowed in a key: the receipt's own row
-- carries the nil uuid) and one per product first sold on it.
CREATE TABLE IF NOT EXISTS receipt_openers (
  customer_id uuid NOT NULL,
  store_id    uuid NOT NULL,
  receipt_id  text NOT NULL,
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
  USING (customer_id = app.current_customer_id());
-- step
REVOKE ALL ON receipt_openers FROM PUBLIC;
-- step
SELECT create_distributed_table('public.receipt_openers', 'customer_id', colocate_with => 'public.stores');
-- step

-- The lines stored so far: each receipt opens at its earliest sale line (ties by id).
UPDATE transactions t SET opens_receipt = true
FROM (SELECT DISTINCT ON (customer_id, store_id, receipt_id) customer_id, transaction_id, time
      FROM transactions WHERE receipt_id IS NOT NULL AND quantity > 0
      ORDER BY customer_id, store_id, receipt_id, time, transaction_id) f
WHERE t.customer_id = f.customer_id AND t.transaction_id = f.transaction_id AND t.time = f.time
  AND NOT t.opens_receipt;
-- step
UPDATE transactions t SET opens_product = true
FROM (SELECT DISTINCT ON (customer_id, store_id, receipt_id, product_id) customer_id, transaction_id, time
      FROM transactions WHERE receipt_id IS NOT NULL AND quantity > 0
      ORDER BY customer_id, store_id, receipt_id, product_id, time, transaction_id) f
WHERE t.customer_id = f.customer_id AND t.transaction_id = f.transaction_id AND t.time = f.time
  AND NOT t.opens_product;
-- step
INSERT INTO receipt_openers (customer_id, store_id, receipt_id, product_id)
SELECT DISTINCT customer_id, store_id, receipt_id, '00000000-0000-0000-0000-000000000000'::uuid
FROM transactions WHERE opens_receipt
UNION
SELECT DISTINCT customer_id, store_id, receipt_id, product_id FROM transactions WHERE opens_product
ON CONFLICT DO NOTHING;
-- step

-- A sale line on a receipt opens it when no line has before, and opens its product on it when
-- no line of that product has; in the inserting statement, so earlier lines of the same
-- statement count as recorded before, and a concurrent upload of the same receipt waits on the
-- key and then opens nothing.
CREATE OR REPLACE FUNCTION app.sale_line_receipt() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  openers text := coalesce(
    (SELECT format('public.%I', 'receipt_openers_' || r.shardid)
     FROM pg_dist_shard s
     JOIN pg_dist_shard r ON r.logicalrelid = 'public.receipt_openers'::regclass
                         AND r.shardminvalue = s.shardminvalue
     WHERE s.shardid = nullif(substring(TG_TABLE_NAME FROM '_([0-9]+)$'), '')::bigint
       AND s.logicalrelid = 'public.transactions'::regclass),
    'public.receipt_openers');
  opened integer;
BEGIN
  EXECUTE format('INSERT INTO %s (customer_id, store_id, receipt_id, product_id)
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', openers)
    USING NEW.customer_id, NEW.store_id, NEW.receipt_id, '00000000-0000-0000-0000-000000000000'::uuid;
  GET DIAGNOSTICS opened = ROW_COUNT;
  NEW.opens_receipt := opened = 1;
  EXECUTE format('INSERT INTO %s (customer_id, store_id, receipt_id, product_id)
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', openers)
    USING NEW.customer_id, NEW.store_id, NEW.receipt_id, NEW.product_id;
  GET DIAGNOSTICS opened = ROW_COUNT;
  NEW.opens_product := opened = 1;
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

-- The four parts in every rollup table, from the lines stored so far (older buckets, whose
-- lines retention deleted, keep none).
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT * FROM (VALUES
      ('sales_hourly_totals', 'hour', 'customer_id, store_id, product_id'),
      ('sales_daily_totals', 'day', 'customer_id, store_id, product_id'),
      ('store_sales_hourly', 'hour', 'customer_id, store_id'),
      ('store_sales_daily', 'day', 'customer_id, store_id')) AS v (name, unit, keys)
  LOOP
    EXECUTE format('ALTER TABLE rollup.%I ADD COLUMN IF NOT EXISTS receipts bigint NOT NULL DEFAULT 0,
      ADD COLUMN IF NOT EXISTS product_receipts bigint NOT NULL DEFAULT 0,
      ADD COLUMN IF NOT EXISTS receipt_units bigint NOT NULL DEFAULT 0,
      ADD COLUMN IF NOT EXISTS receipt_revenue numeric NOT NULL DEFAULT 0', t.name);
    EXECUTE format($sql$
      UPDATE rollup.%1$I r SET receipts = a.receipts, product_receipts = a.product_receipts,
             receipt_units = a.receipt_units, receipt_revenue = a.receipt_revenue
      FROM (SELECT %2$s, date_trunc(%3$L, l.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
                   count(*) FILTER (WHERE l.opens_receipt) AS receipts,
                   count(*) FILTER (WHERE l.opens_product) AS product_receipts,
                   coalesce(sum(l.quantity) FILTER (WHERE l.receipt_id IS NOT NULL AND l.quantity > 0), 0) AS receipt_units,
                   coalesce(sum(l.revenue) FILTER (WHERE l.receipt_id IS NOT NULL), 0) AS receipt_revenue
            FROM public.transactions l
            WHERE l.receipt_id IS NOT NULL
            GROUP BY %2$s, bucket) a
      WHERE (%4$s, r.bucket) = (%5$s, a.bucket)
      $sql$, t.name, t.keys, t.unit,
      regexp_replace(t.keys, '(\w+)', 'r.\1', 'g'), regexp_replace(t.keys, '(\w+)', 'a.\1', 'g'));
  END LOOP;
END
$$;
-- step

-- 0022's trigger function with the four receipt parts.
CREATE OR REPLACE FUNCTION rollup.apply_sales_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  columns CONSTANT text := 'customer_id, store_id, product_id, time, quantity, revenue, unit_cost, receipt_id, opens_receipt, opens_product';
  lines text;
  target record;
  shard text;
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('app.retention_delete', true) = 'on' THEN
    RETURN NULL;
  END IF;
  lines := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT %s, 1 AS sign FROM new_rows', columns)
    WHEN 'DELETE' THEN format('SELECT %s, -1 AS sign FROM old_rows', columns)
    ELSE format('SELECT %1$s, 1 AS sign FROM new_rows UNION ALL SELECT %1$s, -1 FROM old_rows', columns)
  END;
  FOR target IN
    SELECT * FROM (VALUES
      ('sales_hourly_totals', 'hour', 'customer_id, store_id, product_id'),
      ('sales_daily_totals', 'day', 'customer_id, store_id, product_id'),
      ('store_sales_hourly', 'hour', 'customer_id, store_id'),
      ('store_sales_daily', 'day', 'customer_id, store_id')) AS t (name, unit, keys)
  LOOP
    shard := rollup.colocated_shard(TG_TABLE_NAME, target.name);
    EXECUTE format($sql$
      INSERT INTO %1$s AS r (%2$s, bucket, units, revenue, transactions, returned_units,
                                    returned_revenue, cost, uncosted_lines, receipts,
                                    product_receipts, receipt_units, receipt_revenue)
      SELECT %2$s, bucket, units, revenue, transactions, returned_units, returned_revenue, cost,
             uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue
      FROM (
        SELECT %2$s, date_trunc(%3$L, l.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
               sum(l.sign * l.quantity)::bigint AS units,
               sum(l.sign * l.revenue) AS revenue,
               sum(l.sign)::bigint AS transactions,
               sum(l.sign * greatest(-l.quantity, 0))::bigint AS returned_units,
               sum(CASE WHEN l.quantity < 0 THEN -l.sign * l.revenue ELSE 0 END) AS returned_revenue,
               coalesce(sum(l.sign * l.quantity * l.unit_cost), 0) AS cost,
               sum(CASE WHEN l.unit_cost IS NULL THEN l.sign ELSE 0 END)::bigint AS uncosted_lines,
               sum(CASE WHEN l.opens_receipt THEN l.sign ELSE 0 END)::bigint AS receipts,
               sum(CASE WHEN l.opens_product THEN l.sign ELSE 0 END)::bigint AS product_receipts,
               sum(CASE WHEN l.receipt_id IS NOT NULL AND l.quantity > 0 THEN l.sign * l.quantity ELSE 0 END)::bigint AS receipt_units,
               sum(CASE WHEN l.receipt_id IS NOT NULL THEN l.sign * l.revenue ELSE 0 END) AS receipt_revenue
        FROM (%4$s) l
        GROUP BY %2$s, bucket
      ) d
      WHERE (transactions, units, revenue, returned_units, returned_revenue, cost, uncosted_lines,
             receipts, product_receipts, receipt_units, receipt_revenue)
            <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
      ORDER BY %2$s, bucket
      ON CONFLICT (%2$s, bucket) DO UPDATE SET
        units = r.units + excluded.units,
        revenue = r.revenue + excluded.revenue,
        transactions = r.transactions + excluded.transactions,
        returned_units = r.returned_units + excluded.returned_units,
        returned_revenue = r.returned_revenue + excluded.returned_revenue,
        cost = r.cost + excluded.cost,
        uncosted_lines = r.uncosted_lines + excluded.uncosted_lines,
        receipts = r.receipts + excluded.receipts,
        product_receipts = r.product_receipts + excluded.product_receipts,
        receipt_units = r.receipt_units + excluded.receipt_units,
        receipt_revenue = r.receipt_revenue + excluded.receipt_revenue
      $sql$, shard, target.keys, target.unit, lines);
    IF TG_OP <> 'INSERT' THEN
      EXECUTE format('DELETE FROM %s WHERE transactions = 0', shard);
    END IF;
  END LOOP;
  RETURN NULL;
END
$fn$;
-- step

CREATE OR REPLACE VIEW rollup.sales_hourly AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units,
       returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units,
       receipt_revenue
FROM rollup.sales_hourly_totals;
-- step
CREATE OR REPLACE VIEW rollup.sales_daily AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units,
       returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units,
       receipt_revenue
FROM rollup.sales_daily_totals;
-- step

CREATE OR REPLACE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost, receipt_id, opens_receipt, opens_product
FROM transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));
-- step

-- The views the gateway reads, each with the four parts (columns added at the end keep every
-- view's owner, grants and barrier).
DO $$
DECLARE
  guard CONSTANT text := 'customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))';
  parts CONSTANT text := 'units, revenue, transactions, returned_units, returned_revenue, cost, uncosted_lines, receipts, product_receipts, receipt_units, receipt_revenue';
  v record;
BEGIN
  FOR v IN
    SELECT * FROM (VALUES
      ('sales_hourly', 'rollup.sales_hourly', 'customer_id, store_id, product_id', guard),
      ('sales_daily', 'rollup.sales_daily', 'customer_id, store_id, product_id', guard),
      ('sales_hourly_archived', 'rollup.sales_hourly', 'customer_id, store_id, product_id', 'false'),
      ('sales_daily_archived', 'rollup.sales_daily', 'customer_id, store_id, product_id', 'false'),
      ('store_sales_hourly', 'rollup.store_sales_hourly', 'customer_id, store_id', guard),
      ('store_sales_daily', 'rollup.store_sales_daily', 'customer_id, store_id', guard)) AS t (name, source, keys, filter)
  LOOP
    EXECUTE format('CREATE OR REPLACE VIEW public.%I WITH (security_barrier) AS
      SELECT %s, bucket, %s FROM %s WHERE %s', v.name, v.keys, parts, v.source, v.filter);
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
