-- Back to PostgreSQL's defaults: views without a barrier, TEMP on the database for PUBLIC.
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
    EXECUTE format('ALTER VIEW %s RESET (security_barrier)', v);
  END LOOP;
  IF EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'shelfops_gateway_no_ddl') THEN
    -- The embedded database, whose own catalog row cannot change (see the up script).
    DROP EVENT TRIGGER shelfops_gateway_no_ddl;
  ELSE
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
  END IF;
  DROP FUNCTION IF EXISTS app.refuse_gateway_ddl();
END
$$;
