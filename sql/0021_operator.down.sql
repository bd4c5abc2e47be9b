-- The role stays: roles belong to the server, and another database of it may use this one.
DROP SCHEMA IF EXISTS operator CASCADE;

DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['_timescaledb_internal', 'archive', 'rollup'] LOOP
    IF to_regnamespace(name) IS NOT NULL THEN
      EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM shelfops_operator', name);
    END IF;
  END LOOP;
END
$$;
