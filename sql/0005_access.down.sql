DO $$
DECLARE
  v text;
BEGIN
  IF to_regnamespace('_timescaledb_internal') IS NOT NULL THEN
    REVOKE USAGE ON SCHEMA _timescaledb_internal FROM shelfops_gateway;
  END IF;
  FOREACH v IN ARRAY ARRAY['sale_lines', 'inventory_snapshots', 'sales_hourly', 'sales_daily',
                           'sales_hourly_archived', 'sales_daily_archived', 'archive_horizons'] LOOP
    EXECUTE format('ALTER VIEW public.%I RESET (security_barrier)', v);
    EXECUTE format('ALTER VIEW public.%I OWNER TO %I', v, current_user);
  END LOOP;
  IF to_regnamespace('archive') IS NOT NULL THEN
    REVOKE ALL ON archive.horizon, archive.transactions, archive.inventory_levels,
      archive.sales_hourly, archive.sales_daily FROM shelfops_access;
    REVOKE ALL ON SCHEMA archive FROM shelfops_access;
  END IF;
END
$$;

DROP SCHEMA gateway CASCADE;
REVOKE ALL ON transactions, inventory_levels, forecasts, rollup.sales_hourly, rollup.sales_daily
  FROM shelfops_access;
REVOKE ALL ON SCHEMA public, app, rollup FROM shelfops_access;
GRANT SELECT ON transactions, inventory_levels, forecasts TO shelfops_gateway;
GRANT INSERT ON transactions, inventory_levels TO shelfops_gateway;
