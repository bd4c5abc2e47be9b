-- Back to what 0005 left to shelfops_access: its own views; the others return to the
-- migrating role.
DO $$
DECLARE
  v record;
BEGIN
  FOR v IN
    SELECT n.nspname AS schema, c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'v' AND n.nspname = 'public'
      AND c.relowner = 'shelfops_access'::regrole
      AND c.relname NOT IN ('sale_lines', 'inventory_snapshots', 'sales_hourly', 'sales_daily',
                            'sales_hourly_archived', 'sales_daily_archived', 'archive_horizons')
  LOOP
    EXECUTE format('ALTER VIEW %I.%I OWNER TO %I', v.schema, v.name, current_user);
  END LOOP;
END
$$;

REVOKE SELECT ON ALL TABLES IN SCHEMA rollup FROM shelfops_access;
GRANT SELECT ON rollup.sales_hourly, rollup.sales_daily TO shelfops_access;
DO $$
BEGIN
  IF to_regnamespace('archive') IS NOT NULL THEN
    REVOKE SELECT ON ALL TABLES IN SCHEMA archive FROM shelfops_access;
    GRANT SELECT ON archive.horizon, archive.transactions, archive.inventory_levels,
      archive.sales_hourly, archive.sales_daily TO shelfops_access;
  END IF;
END
$$;
