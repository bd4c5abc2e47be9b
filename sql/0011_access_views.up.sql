-- Every view the gateway reads runs as shelfops_access and is a security barrier, as 0005 set
-- out: later migrations re-created some of them (0008, the rollup views with the returned
-- amounts) and added others (0009, the per-store rollups of plain PostgreSQL), which left them
-- owned by the migrating role. Run as shelfops_access, row-level security applies beneath
-- each view's own tenant guard.
GRANT SELECT ON ALL TABLES IN SCHEMA rollup TO shelfops_access;

DO $$
DECLARE
  v record;
BEGIN
  IF to_regnamespace('archive') IS NOT NULL THEN
    GRANT SELECT ON ALL TABLES IN SCHEMA archive TO shelfops_access;
  END IF;
  FOR v IN
    SELECT n.nspname AS schema, c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'v' AND n.nspname IN ('public', 'gateway')
      AND has_table_privilege('shelfops_gateway', c.oid, 'SELECT')
  LOOP
    EXECUTE format('ALTER VIEW %I.%I OWNER TO shelfops_access', v.schema, v.name);
    EXECUTE format('ALTER VIEW %I.%I SET (security_barrier = true)', v.schema, v.name);
  END LOOP;
END
$$;
