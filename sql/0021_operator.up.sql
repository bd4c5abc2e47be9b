-- The operator: a database role for statistics only. It is a member of pg_monitor (activity
-- of every session, pg_stat_statements, sizes, settings) and reads TimescaleDB's information
-- views, which PUBLIC may read. It holds no grant on any tenant table, view or rollup and
-- cannot bypass row-level security, so no statement it runs returns a tenant's row. What it
-- learns about tenants comes from the functions below: counts per tenant, never a row.
-- INHERIT, unlike the gateway's roles: pg_monitor's rights reach it only through inheritance.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shelfops_operator') THEN
    CREATE ROLE shelfops_operator NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created at the same moment by a migration of another database of this server
END
$$;

GRANT pg_monitor TO shelfops_operator;

-- TimescaleDB's size and compression functions and its information views resolve names in
-- these schemas with the caller's privileges. USAGE on a schema gives no row: the role holds
-- no grant on a chunk (chunks copy their hypertable's grants) or an archive or rollup table.
DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['_timescaledb_internal', 'archive', 'rollup'] LOOP
    IF to_regnamespace(name) IS NOT NULL THEN
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO shelfops_operator', name);
    END IF;
  END LOOP;
END
$$;

CREATE SCHEMA operator;
REVOKE ALL ON SCHEMA operator FROM PUBLIC;
GRANT USAGE ON SCHEMA operator TO shelfops_operator;

-- Sale lines per tenant: in all, and with a sale time in the last 7 and 30 days (raw and
-- archived lines alike), with the tenant's retention horizon. Runs as the migration's owner,
-- which the maintenance already needs to read every tenant's rows.
CREATE FUNCTION operator.tenant_usage()
RETURNS TABLE (customer_id uuid, name text, lines bigint, lines_7d bigint, lines_30d bigint,
               retention text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  sources text := 'SELECT customer_id, time FROM public.transactions';
BEGIN
  IF to_regclass('archive.transactions') IS NOT NULL THEN
    sources := sources || ' UNION ALL SELECT customer_id, time FROM archive.transactions';
  END IF;
  RETURN QUERY EXECUTE format(
    $q$SELECT c.id, c.name, coalesce(l.lines, 0), coalesce(l.lines_7d, 0),
              coalesce(l.lines_30d, 0), c.retention
       FROM public.customers c
       LEFT JOIN (
         SELECT s.customer_id, count(*) AS lines,
                count(*) FILTER (WHERE s.time >= now() - interval '7 days') AS lines_7d,
                count(*) FILTER (WHERE s.time >= now() - interval '30 days') AS lines_30d
         FROM (%s) s GROUP BY s.customer_id
       ) l ON l.customer_id = c.id
       ORDER BY c.id$q$, sources);
END
$$;

-- How far the rollups are behind the newest line: the ranges writes made stale and not yet
-- refreshed (the ledger of 0006), and when the gateway's maintenance last refreshed them.
CREATE FUNCTION operator.rollup_lag()
RETURNS TABLE (stale_ranges bigint, oldest_stale_at timestamptz, newest_line_at timestamptz,
               last_refresh_at timestamptz, last_refresh_error text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT (SELECT count(*) FROM public.stale_rollup_ranges),
         (SELECT min(recorded_at) FROM public.stale_rollup_ranges),
         (SELECT max(time) FROM public.transactions),
         (SELECT last_success_at FROM app.maintenance_runs WHERE task = 'refresh'),
         (SELECT last_error FROM app.maintenance_runs WHERE task = 'refresh'
          AND last_failure_at > coalesce(last_success_at, '-infinity'))
$$;

REVOKE ALL ON FUNCTION operator.tenant_usage(), operator.rollup_lag() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION operator.tenant_usage(), operator.rollup_lag() TO shelfops_operator;
