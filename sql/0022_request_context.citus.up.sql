-- Citus: the plain-PostgreSQL schema (every earlier version ran its native variant on the
-- coordinator's local tables) distributed by tenant, and what Citus needs done another way.
--
-- * The request context (see the common variant of this migration), with the SET LOCALs
--   propagated to the workers: set_config(…, true) never reaches them, and the policies run
--   on the shards there, so a worker without the tenant would see and accept nothing.
-- * customers, the catalog of tenants, is a reference table (a copy on every node); every
--   other table with a customer_id is distributed by it, colocated with stores, so a
--   tenant's rows of every table live on one node and joins by tenant stay on it. Every
--   primary and unique key already includes customer_id. Tables added by later versions
--   before this one are found the same way (by their customer_id column).
-- * The sales rollup tables stay exact in the writing transaction by set-based statements
--   (statement-level triggers with transition tables, as on plain PostgreSQL), run on each
--   shard of transactions and writing the colocated shard of each rollup: a trigger on a
--   shard cannot run a distributed statement.
-- * Policies call the tenant functions without a sub-select (Citus refuses sub-selects there).
-- * The retention delete flags itself with SET LOCAL, which reaches the shards' triggers.
-- (Statements are sent one by one, "-- step" between them: Citus refuses DDL whose query
-- text holds several statements when it passes the text on to the workers.)

CREATE OR REPLACE FUNCTION app.set_request_context(
  customer_id text, viewer_role text, store_ids text, statement_timeout_ms integer,
  database_role text DEFAULT 'shelfops_gateway', statement_tag text DEFAULT 'shelfops')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  SET LOCAL citus.propagate_set_commands = 'local';
  EXECUTE format('SET LOCAL app.customer_id = %L', customer_id);
  EXECUTE format('SET LOCAL app.role = %L', viewer_role);
  EXECUTE format('SET LOCAL app.store_ids = %L', store_ids);
  EXECUTE format('SET LOCAL statement_timeout = %s', statement_timeout_ms);
  -- Names resolve in the schema the gateway's grants cover, whatever the session says.
  SET LOCAL search_path = public;
  -- The operation and tenant, for pg_stat_activity (the operator's view of what runs).
  EXECUTE format('SET LOCAL application_name = %L', statement_tag);
  -- The gateway's role, or the operator's statistics-only one.
  EXECUTE format('SET LOCAL ROLE %I', database_role);
END
$$;

-- step
DROP TRIGGER IF EXISTS sales_rollups_insert ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_delete ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_update ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_truncate ON transactions;
-- step
-- Citus distributes no table with triggers: the line-cost trigger of 0017 comes back below.
DROP TRIGGER IF EXISTS sale_line_cost ON transactions;

-- step
-- Citus refuses subqueries in the policies of distributed tables: the tenant functions are
-- called directly (evaluated per row, not once per statement), the same conditions otherwise.
DO $$
DECLARE
  p record;
  call CONSTANT text := '\(\s*SELECT (app\.(current_customer_id|store_scope|viewer_role)\(\)) AS \w+\)';
BEGIN
  FOR p IN SELECT schemaname, tablename, policyname, qual, with_check FROM pg_policies
           WHERE schemaname IN ('public', 'rollup', 'app') LOOP
    IF p.qual IS NOT NULL THEN
      EXECUTE format('ALTER POLICY %I ON %I.%I USING (%s)', p.policyname, p.schemaname,
        p.tablename, regexp_replace(p.qual, call, '\1', 'g'));
    END IF;
    IF p.with_check IS NOT NULL THEN
      EXECUTE format('ALTER POLICY %I ON %I.%I WITH CHECK (%s)', p.policyname, p.schemaname,
        p.tablename, regexp_replace(p.with_check, call, '\1', 'g'));
    END IF;
  END LOOP;
END
$$;

-- step
-- Citus distributes no table that a local one references: the foreign keys are taken off,
-- the tables distributed, and the same keys put back (each includes customer_id, or refers to
-- the reference table of tenants).
CREATE TEMPORARY TABLE foreign_keys ON COMMIT DROP AS
SELECT f.conrelid::regclass AS rel, f.conname AS name, pg_get_constraintdef(f.oid) AS def
FROM pg_constraint f
JOIN pg_class c ON c.oid = f.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE f.contype = 'f' AND n.nspname IN ('public', 'rollup', 'app');

-- step
DO $$
DECLARE
  k record;
  t regclass;
BEGIN
  FOR k IN SELECT * FROM foreign_keys LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', k.rel, k.name);
  END LOOP;
  PERFORM create_reference_table('public.customers');
  PERFORM create_distributed_table('public.stores', 'customer_id');
  FOR t IN
    SELECT c.oid::regclass
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname IN ('public', 'rollup', 'app')
      AND EXISTS (SELECT FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped)
      AND c.oid <> 'public.stores'::regclass
    ORDER BY n.nspname, c.relname
  LOOP
    PERFORM create_distributed_table(t, 'customer_id', colocate_with => 'public.stores');
  END LOOP;
  FOR k IN SELECT * FROM foreign_keys LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.rel, k.name, k.def);
  END LOOP;
END
$$;

-- step
-- The shard of a rollup colocated with the shard a trigger runs on (its name ends in the
-- shard id); the table itself where the trigger runs on a table that is not a shard.
CREATE OR REPLACE FUNCTION rollup.colocated_shard(trigger_table name, rollup name) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT coalesce(
    (SELECT format('rollup.%I', rollup || '_' || r.shardid)
     FROM pg_dist_shard s
     JOIN pg_dist_shard r ON r.logicalrelid = format('rollup.%I', rollup)::regclass
                         AND r.shardminvalue = s.shardminvalue
     WHERE s.shardid = nullif(substring(trigger_table FROM '_([0-9]+)$'), '')::bigint
       AND s.logicalrelid = 'public.transactions'::regclass),
    format('rollup.%I', rollup))
$$;

-- step
CREATE OR REPLACE FUNCTION rollup.apply_sales_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  columns CONSTANT text := 'customer_id, store_id, product_id, time, quantity, revenue, unit_cost';
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
                             returned_revenue, cost, uncosted_lines)
      SELECT %2$s, bucket, units, revenue, transactions, returned_units, returned_revenue, cost,
             uncosted_lines
      FROM (
        SELECT %2$s, date_trunc(%3$L, l.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
               sum(l.sign * l.quantity)::bigint AS units,
               sum(l.sign * l.revenue) AS revenue,
               sum(l.sign)::bigint AS transactions,
               sum(l.sign * greatest(-l.quantity, 0))::bigint AS returned_units,
               sum(CASE WHEN l.quantity < 0 THEN -l.sign * l.revenue ELSE 0 END) AS returned_revenue,
               coalesce(sum(l.sign * l.quantity * l.unit_cost), 0) AS cost,
               sum(CASE WHEN l.unit_cost IS NULL THEN l.sign ELSE 0 END)::bigint AS uncosted_lines
        FROM (%4$s) l
        GROUP BY %2$s, bucket
      ) d
      WHERE (transactions, units, revenue, returned_units, returned_revenue, cost, uncosted_lines)
            <> (0, 0, 0, 0, 0, 0, 0)
      ORDER BY %2$s, bucket
      ON CONFLICT (%2$s, bucket) DO UPDATE SET
        units = r.units + excluded.units,
        revenue = r.revenue + excluded.revenue,
        transactions = r.transactions + excluded.transactions,
        returned_units = r.returned_units + excluded.returned_units,
        returned_revenue = r.returned_revenue + excluded.returned_revenue,
        cost = r.cost + excluded.cost,
        uncosted_lines = r.uncosted_lines + excluded.uncosted_lines
      $sql$, shard, target.keys, target.unit, lines);
    IF TG_OP <> 'INSERT' THEN
      EXECUTE format('DELETE FROM %s WHERE transactions = 0', shard);
    END IF;
  END LOOP;
  RETURN NULL;
END
$fn$;

-- step
CREATE OR REPLACE FUNCTION rollup.clear_sales_rollups() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  EXECUTE format('TRUNCATE %s, %s, %s, %s',
    rollup.colocated_shard(TG_TABLE_NAME, 'sales_hourly_totals'),
    rollup.colocated_shard(TG_TABLE_NAME, 'sales_daily_totals'),
    rollup.colocated_shard(TG_TABLE_NAME, 'store_sales_hourly'),
    rollup.colocated_shard(TG_TABLE_NAME, 'store_sales_daily'));
  RETURN NULL;
END
$fn$;
-- step
REVOKE ALL ON FUNCTION rollup.apply_sales_changes(), rollup.clear_sales_rollups() FROM PUBLIC;

-- step
SET LOCAL citus.enable_unsafe_triggers = on;
-- step
CREATE TRIGGER sales_rollups_insert AFTER INSERT ON transactions
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rollup.apply_sales_changes();
-- step
CREATE TRIGGER sales_rollups_delete AFTER DELETE ON transactions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rollup.apply_sales_changes();
-- step
CREATE TRIGGER sales_rollups_update AFTER UPDATE ON transactions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rollup.apply_sales_changes();
-- step
CREATE TRIGGER sales_rollups_truncate AFTER TRUNCATE ON transactions
  FOR EACH STATEMENT EXECUTE FUNCTION rollup.clear_sales_rollups();

-- step
-- A line's cost comes from its product's row in the colocated shard of products: a trigger on
-- a shard may not run a distributed query (0017's function reads public.products).
CREATE OR REPLACE FUNCTION app.sale_line_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  products text := coalesce(
    (SELECT format('public.%I', 'products_' || r.shardid)
     FROM pg_dist_shard s
     JOIN pg_dist_shard r ON r.logicalrelid = 'public.products'::regclass
                         AND r.shardminvalue = s.shardminvalue
     WHERE s.shardid = nullif(substring(TG_TABLE_NAME FROM '_([0-9]+)$'), '')::bigint
       AND s.logicalrelid = 'public.transactions'::regclass),
    'public.products');
BEGIN
  EXECUTE format('SELECT p.cost FROM %s p WHERE p.customer_id = $1 AND p.id = $2', products)
    INTO NEW.unit_cost USING NEW.customer_id, NEW.product_id;
  RETURN NEW;
END
$fn$;
-- step
CREATE TRIGGER sale_line_cost BEFORE INSERT ON transactions
  FOR EACH ROW WHEN (NEW.unit_cost IS NULL) EXECUTE FUNCTION app.sale_line_cost();

-- step
-- One retention run over every tenant at its own horizon (as in 0016), the delete flagged with
-- SET LOCAL so the flag reaches the shards' rollup triggers.
CREATE OR REPLACE FUNCTION app.apply_retention(default_retention text)
RETURNS TABLE (customer_id uuid, retention text, cutoff timestamptz, lines bigint, keys bigint)
LANGUAGE plpgsql AS $$
DECLARE
  t record;
BEGIN
  SET LOCAL citus.propagate_set_commands = 'local';
  SET LOCAL app.retention_delete = 'on';
  UPDATE public.customers c SET retention = default_retention WHERE c.retention IS NULL;
  FOR t IN SELECT c.id, c.retention, now() - c.retention::interval AS cutoff
           FROM public.customers c ORDER BY c.id LOOP
    customer_id := t.id;
    retention := t.retention;
    cutoff := t.cutoff;
    DELETE FROM public.transactions x WHERE x.customer_id = t.id AND x.time < t.cutoff;
    GET DIAGNOSTICS lines = ROW_COUNT;
    DELETE FROM public.inventory_levels x WHERE x.customer_id = t.id AND x.time < t.cutoff;
    DELETE FROM public.forecasts x WHERE x.customer_id = t.id AND x.time < t.cutoff;
    DELETE FROM public.sale_keys x WHERE x.customer_id = t.id AND x.time < t.cutoff;
    GET DIAGNOSTICS keys = ROW_COUNT;
    RETURN NEXT;
  END LOOP;
END
$$;
-- step
REVOKE ALL ON FUNCTION app.apply_retention(text) FROM PUBLIC;

-- step
-- The workers check privileges as the role that runs the statement, the gateway's: on Citus
-- it reads and writes the distributed tables themselves, whose forced row-level security is
-- the boundary (the views' owners' grants do not reach the shards, and a security-barrier
-- view is flattened there). The role also logs in to the workers for the coordinator (the
-- role is the cluster's, shared by every database of it, so a down migration keeps it so).
ALTER ROLE shelfops_gateway LOGIN;
-- step
GRANT USAGE ON SCHEMA rollup TO shelfops_gateway;
-- step
GRANT SELECT, INSERT ON public.transactions, public.inventory_levels TO shelfops_gateway;
-- step
GRANT SELECT ON public.forecasts, rollup.sales_hourly_totals, rollup.sales_daily_totals,
  rollup.store_sales_hourly, rollup.store_sales_daily TO shelfops_gateway;
-- step
DO $$
DECLARE
  unguarded text;
BEGIN
  SELECT string_agg(c.oid::regclass::text, ', ') INTO unguarded
  FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
  WHERE NOT (c.relrowsecurity AND c.relforcerowsecurity);
  IF unguarded IS NOT NULL THEN
    RAISE EXCEPTION 'distributed tables without forced row-level security: %', unguarded;
  END IF;
END
$$;
