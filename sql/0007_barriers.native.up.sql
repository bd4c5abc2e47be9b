-- Every relation the gateway's role may read applies its tenant guard before any predicate of
-- the caller. Tables do so through forced RLS (policies run before non-leakproof quals). Views
-- owned by the migrating user filter by tenant themselves; without `security_barrier` the
-- planner may run a cheap caller function before that filter and hand it other tenants' rows.
-- So every such view becomes a security barrier: only leakproof predicates (the built-in
-- comparisons the gateway's queries use) are pushed below its filter. Views a later migration
-- (re)creates must say `WITH (security_barrier)` themselves; a test checks the catalog.
DO $$
DECLARE
  v regclass;
BEGIN
  FOR v IN
    SELECT c.oid::regclass
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'v'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'timescaledb_information',
                            'timescaledb_experimental')
      AND n.nspname NOT LIKE '\_timescaledb%'
      AND has_table_privilege('shelfops_gateway', c.oid, 'SELECT')
  LOOP
    EXECUTE format('ALTER VIEW %s SET (security_barrier = true)', v);
  END LOOP;
END
$$;

-- No objects of its own: no CREATE in any schema or on the database, and no temporary tables
-- or functions (which could shadow names through pg_temp).
DO $$
DECLARE
  s name;
BEGIN
  FOR s IN
    SELECT nspname FROM pg_namespace
    WHERE has_schema_privilege('shelfops_gateway', oid, 'CREATE')
  LOOP
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC, shelfops_gateway', s);
  END LOOP;
  BEGIN
    EXECUTE format('REVOKE TEMPORARY, CREATE ON DATABASE %I FROM PUBLIC, shelfops_gateway',
                   current_database());
  EXCEPTION WHEN internal_error THEN
    -- PGlite (the embedded database) cannot update the catalog row of the database it runs
    -- in ("tuple concurrently deleted"), so there an event trigger refuses the gateway's role
    -- any DDL, temporary objects included.
    CREATE OR REPLACE FUNCTION app.refuse_gateway_ddl() RETURNS event_trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
      IF current_user = 'shelfops_gateway' THEN
        RAISE EXCEPTION 'permission denied: the gateway''s role creates no objects (%)', tg_tag
          USING ERRCODE = 'insufficient_privilege';
      END IF;
    END
    $fn$;
    IF NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'shelfops_gateway_no_ddl') THEN
      CREATE EVENT TRIGGER shelfops_gateway_no_ddl ON ddl_command_start
        EXECUTE FUNCTION app.refuse_gateway_ddl();
    END IF;
  END;
END
$$;
