-- Back to the plain-PostgreSQL schema of the version before on the coordinator's local
-- tables: every table undistributed (with the tables its foreign keys reach), and the
-- policies, rollup triggers, retention function and request context as they were.
-- (Statements are sent one by one, "-- step" between them: Citus refuses DDL whose query
-- text holds several statements when it passes the text on to the workers.)

SET LOCAL citus.enable_unsafe_triggers = on;
-- step
-- Undistributing tables joined by foreign keys needs one connection per node.
SET LOCAL citus.multi_shard_modify_mode = 'sequential';
-- step
REVOKE SELECT ON public.forecasts, rollup.sales_hourly_totals, rollup.sales_daily_totals,
  rollup.store_sales_hourly, rollup.store_sales_daily FROM shelfops_gateway;
-- step
REVOKE SELECT, INSERT ON public.transactions, public.inventory_levels FROM shelfops_gateway;
-- step
REVOKE USAGE ON SCHEMA rollup FROM shelfops_gateway;
-- step
DROP TRIGGER IF EXISTS sales_rollups_insert ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_delete ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_update ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_truncate ON transactions;
-- step
DROP TRIGGER IF EXISTS sale_line_cost ON transactions;

-- step
DO $$
DECLARE
  t regclass;
BEGIN
  LOOP
    SELECT p.logicalrelid INTO t FROM pg_dist_partition p
    JOIN pg_class c ON c.oid = p.logicalrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('public', 'rollup', 'app')
    ORDER BY n.nspname, c.relname
    LIMIT 1;
    EXIT WHEN t IS NULL;
    PERFORM undistribute_table(t, cascade_via_foreign_keys => true);
  END LOOP;
END
$$;

-- step
DROP FUNCTION IF EXISTS rollup.colocated_shard(name, name);

-- step
-- The tenant functions in the policies evaluated once per statement again.
DO $$
DECLARE
  p record;
  call CONSTANT text := '(app\.(current_customer_id|store_scope|viewer_role)\(\))';
  -- ANY over a sub-select reads it as a set of rows: the scope array is cast, as written in 0003.
  any_scope CONSTANT text := '(ANY \(\(SELECT app\.store_scope\(\)\))';
BEGIN
  FOR p IN SELECT schemaname, tablename, policyname, qual, with_check FROM pg_policies
           WHERE schemaname IN ('public', 'rollup', 'app') LOOP
    IF p.qual IS NOT NULL THEN
      EXECUTE format('ALTER POLICY %I ON %I.%I USING (%s)', p.policyname, p.schemaname,
        p.tablename, regexp_replace(regexp_replace(p.qual, call, '(SELECT \1)', 'g'), any_scope, '\1::uuid[]', 'g'));
    END IF;
    IF p.with_check IS NOT NULL THEN
      EXECUTE format('ALTER POLICY %I ON %I.%I WITH CHECK (%s)', p.policyname, p.schemaname,
        p.tablename, regexp_replace(regexp_replace(p.with_check, call, '(SELECT \1)', 'g'), any_scope, '\1::uuid[]', 'g'));
    END IF;
  END LOOP;
END
$$;

-- step
CREATE OR REPLACE FUNCTION rollup.apply_sales_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  columns CONSTANT text := 'customer_id, store_id, product_id, time, quantity, revenue, unit_cost';
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
      INSERT INTO rollup.%1$I AS r (%2$s, bucket, units, revenue, transactions, returned_units,
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
      $sql$, target.name, target.keys, target.unit, lines);
    IF TG_OP <> 'INSERT' THEN
      EXECUTE format('DELETE FROM rollup.%I WHERE transactions = 0', target.name);
    END IF;
  END LOOP;
  RETURN NULL;
END
$fn$;

-- step
CREATE OR REPLACE FUNCTION rollup.clear_sales_rollups() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  TRUNCATE rollup.sales_hourly_totals, rollup.sales_daily_totals, rollup.store_sales_hourly,
    rollup.store_sales_daily;
  RETURN NULL;
END
$fn$;
-- step
REVOKE ALL ON FUNCTION rollup.apply_sales_changes(), rollup.clear_sales_rollups() FROM PUBLIC;

-- step
DROP TRIGGER IF EXISTS sales_rollups_insert ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_delete ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_update ON transactions;
-- step
DROP TRIGGER IF EXISTS sales_rollups_truncate ON transactions;
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
CREATE OR REPLACE FUNCTION app.sale_line_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  SELECT p.cost INTO NEW.unit_cost FROM public.products p
  WHERE p.customer_id = NEW.customer_id AND p.id = NEW.product_id;
  RETURN NEW;
END
$fn$;
-- step
CREATE TRIGGER sale_line_cost BEFORE INSERT ON transactions
  FOR EACH ROW WHEN (NEW.unit_cost IS NULL) EXECUTE FUNCTION app.sale_line_cost();

-- step
CREATE OR REPLACE FUNCTION app.apply_retention(default_retention text)
RETURNS TABLE (customer_id uuid, retention text, cutoff timestamptz, lines bigint, keys bigint)
LANGUAGE plpgsql AS $$
DECLARE
  t record;
BEGIN
  PERFORM set_config('app.retention_delete', 'on', true);
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
DROP FUNCTION IF EXISTS app.set_request_context(text, text, text, integer, text, text);
