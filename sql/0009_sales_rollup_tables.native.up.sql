-- Plain PostgreSQL: exact sales rollups kept as tables, updated in the same transaction as every
-- write to transactions by statement-level triggers (transition tables), so they need no
-- refresh and a time predicate reaches them by index. Per tenant, store and product (hourly,
-- daily: what rollup.sales_hourly / rollup.sales_daily now read) and per tenant and store
-- (hourly, daily: trends that neither filter nor split by product). Buckets are UTC, as before.
-- Row contract shared with the raw aggregate: units and revenue net of returns, transactions
-- counts every line, returned_units / returned_revenue the returned share (quantity < 0).

CREATE TABLE IF NOT EXISTS rollup.sales_hourly_totals (
  customer_id      uuid NOT NULL,
  store_id         uuid NOT NULL,
  product_id       uuid NOT NULL,
  bucket           timestamptz NOT NULL,
  units            bigint NOT NULL,
  revenue          numeric NOT NULL,
  transactions     bigint NOT NULL,
  returned_units   bigint NOT NULL,
  returned_revenue numeric NOT NULL,
  PRIMARY KEY (customer_id, store_id, product_id, bucket)
);
CREATE TABLE IF NOT EXISTS rollup.sales_daily_totals (LIKE rollup.sales_hourly_totals INCLUDING ALL);

CREATE TABLE IF NOT EXISTS rollup.store_sales_hourly (
  customer_id      uuid NOT NULL,
  store_id         uuid NOT NULL,
  bucket           timestamptz NOT NULL,
  units            bigint NOT NULL,
  revenue          numeric NOT NULL,
  transactions     bigint NOT NULL,
  returned_units   bigint NOT NULL,
  returned_revenue numeric NOT NULL,
  PRIMARY KEY (customer_id, store_id, bucket)
);
CREATE TABLE IF NOT EXISTS rollup.store_sales_daily (LIKE rollup.store_sales_hourly INCLUDING ALL);

-- A range of buckets of a tenant, whatever the stores: the trend's access path.
CREATE INDEX IF NOT EXISTS sales_hourly_totals_bucket_idx ON rollup.sales_hourly_totals (customer_id, bucket);
CREATE INDEX IF NOT EXISTS sales_daily_totals_bucket_idx ON rollup.sales_daily_totals (customer_id, bucket);
CREATE INDEX IF NOT EXISTS store_sales_hourly_bucket_idx ON rollup.store_sales_hourly (customer_id, bucket);
CREATE INDEX IF NOT EXISTS store_sales_daily_bucket_idx ON rollup.store_sales_daily (customer_id, bucket);

-- Forced RLS like every tenant table; the gateway's role has no grant on these tables and
-- reads them through the tenant views only.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sales_hourly_totals', 'sales_daily_totals', 'store_sales_hourly', 'store_sales_daily'] LOOP
    EXECUTE format('ALTER TABLE rollup.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE rollup.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON rollup.%I', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON rollup.%I FOR SELECT
      USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])))$p$, t);
    EXECUTE format('REVOKE ALL ON rollup.%I FROM PUBLIC', t);
  END LOOP;
END
$$;

-- Adds the signed lines of one statement (+1 inserted, -1 deleted; an update is both) to the
-- four rollups, keys in order so concurrent writers lock rows in the same order, then drops
-- the rows left with no line. Rows leave by retention without leaving the rollups, as
-- TimescaleDB's rollups keep their history after drop_chunks: the retention delete sets
-- app.retention_delete transaction-locally.
CREATE OR REPLACE FUNCTION rollup.apply_sales_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  columns CONSTANT text := 'customer_id, store_id, product_id, time, quantity, revenue';
  lines text;
  target record;
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
    EXECUTE format($sql$
      INSERT INTO rollup.%1$I AS r (%2$s, bucket, units, revenue, transactions, returned_units, returned_revenue)
      SELECT %2$s, bucket, units, revenue, transactions, returned_units, returned_revenue
      FROM (
        SELECT %2$s, date_trunc(%3$L, l.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
               sum(l.sign * l.quantity)::bigint AS units,
               sum(l.sign * l.revenue) AS revenue,
               sum(l.sign)::bigint AS transactions,
               sum(l.sign * greatest(-l.quantity, 0))::bigint AS returned_units,
               sum(CASE WHEN l.quantity < 0 THEN -l.sign * l.revenue ELSE 0 END) AS returned_revenue
        FROM (%4$s) l
        GROUP BY %2$s, bucket
      ) d
      WHERE (transactions, units, revenue, returned_units, returned_revenue) <> (0, 0, 0, 0, 0)
      ORDER BY %2$s, bucket
      ON CONFLICT (%2$s, bucket) DO UPDATE SET
        units = r.units + excluded.units,
        revenue = r.revenue + excluded.revenue,
        transactions = r.transactions + excluded.transactions,
        returned_units = r.returned_units + excluded.returned_units,
        returned_revenue = r.returned_revenue + excluded.returned_revenue
      $sql$, target.name, target.keys, target.unit, lines);
    IF TG_OP <> 'INSERT' THEN
      EXECUTE format('DELETE FROM rollup.%I WHERE transactions = 0', target.name);
    END IF;
  END LOOP;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION rollup.clear_sales_rollups() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  TRUNCATE rollup.sales_hourly_totals, rollup.sales_daily_totals, rollup.store_sales_hourly,
    rollup.store_sales_daily;
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION rollup.apply_sales_changes(), rollup.clear_sales_rollups() FROM PUBLIC;

-- Rows emptied by a delete or an update are found through this index, which only ever holds
-- them between the two statements of one trigger run.
CREATE INDEX IF NOT EXISTS sales_hourly_totals_empty_idx ON rollup.sales_hourly_totals (customer_id) WHERE transactions = 0;
CREATE INDEX IF NOT EXISTS sales_daily_totals_empty_idx ON rollup.sales_daily_totals (customer_id) WHERE transactions = 0;
CREATE INDEX IF NOT EXISTS store_sales_hourly_empty_idx ON rollup.store_sales_hourly (customer_id) WHERE transactions = 0;
CREATE INDEX IF NOT EXISTS store_sales_daily_empty_idx ON rollup.store_sales_daily (customer_id) WHERE transactions = 0;

-- No write may slip between the backfill's snapshot and the triggers.
LOCK TABLE transactions IN SHARE ROW EXCLUSIVE MODE;

DROP TRIGGER IF EXISTS sales_rollups_insert ON transactions;
DROP TRIGGER IF EXISTS sales_rollups_delete ON transactions;
DROP TRIGGER IF EXISTS sales_rollups_update ON transactions;
DROP TRIGGER IF EXISTS sales_rollups_truncate ON transactions;
CREATE TRIGGER sales_rollups_insert AFTER INSERT ON transactions
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rollup.apply_sales_changes();
CREATE TRIGGER sales_rollups_delete AFTER DELETE ON transactions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rollup.apply_sales_changes();
CREATE TRIGGER sales_rollups_update AFTER UPDATE ON transactions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rollup.apply_sales_changes();
CREATE TRIGGER sales_rollups_truncate AFTER TRUNCATE ON transactions
  FOR EACH STATEMENT EXECUTE FUNCTION rollup.clear_sales_rollups();

-- Backfill (a re-run starts over, so the totals are exact either way).
TRUNCATE rollup.sales_hourly_totals, rollup.sales_daily_totals, rollup.store_sales_hourly,
  rollup.store_sales_daily;
INSERT INTO rollup.sales_hourly_totals
SELECT customer_id, store_id, product_id, date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       sum(quantity), sum(revenue), count(*),
       coalesce(sum(-quantity) FILTER (WHERE quantity < 0), 0),
       coalesce(sum(-revenue) FILTER (WHERE quantity < 0), 0)
FROM transactions GROUP BY 1, 2, 3, 4;
INSERT INTO rollup.sales_daily_totals
SELECT customer_id, store_id, product_id, date_trunc('day', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       sum(units), sum(revenue), sum(transactions), sum(returned_units), sum(returned_revenue)
FROM rollup.sales_hourly_totals GROUP BY 1, 2, 3, 4;
INSERT INTO rollup.store_sales_hourly
SELECT customer_id, store_id, bucket, sum(units), sum(revenue), sum(transactions),
       sum(returned_units), sum(returned_revenue)
FROM rollup.sales_hourly_totals GROUP BY 1, 2, 3;
INSERT INTO rollup.store_sales_daily
SELECT customer_id, store_id, bucket, sum(units), sum(revenue), sum(transactions),
       sum(returned_units), sum(returned_revenue)
FROM rollup.sales_daily_totals GROUP BY 1, 2, 3;
ANALYZE rollup.sales_hourly_totals, rollup.sales_daily_totals, rollup.store_sales_hourly,
  rollup.store_sales_daily;

-- rollup.sales_hourly / rollup.sales_daily read the tables from now on. Replaced, not dropped,
-- so the views built on them stay as they are; the returned share is kept when an earlier
-- migration already shows it.
DO $$
DECLARE
  returns text := CASE WHEN EXISTS (
    SELECT FROM information_schema.columns
    WHERE table_schema = 'rollup' AND table_name = 'sales_hourly' AND column_name = 'returned_units')
    THEN ', returned_units, returned_revenue' ELSE '' END;
BEGIN
  EXECUTE format('CREATE OR REPLACE VIEW rollup.sales_hourly AS
    SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions%s
    FROM rollup.sales_hourly_totals', returns);
  EXECUTE format('CREATE OR REPLACE VIEW rollup.sales_daily AS
    SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions%s
    FROM rollup.sales_daily_totals', returns);
END
$$;

-- The per-store rollups as the gateway reads them: the tenant's rows in its store scope.
CREATE OR REPLACE VIEW store_sales_hourly WITH (security_barrier) AS
SELECT customer_id, store_id, bucket, units, revenue, transactions, returned_units, returned_revenue
FROM rollup.store_sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

CREATE OR REPLACE VIEW store_sales_daily WITH (security_barrier) AS
SELECT customer_id, store_id, bucket, units, revenue, transactions, returned_units, returned_revenue
FROM rollup.store_sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

GRANT SELECT ON store_sales_hourly, store_sales_daily TO shelfops_gateway;
