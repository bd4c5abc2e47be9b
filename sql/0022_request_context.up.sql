-- The request context as one function call: the gateway opens every request's transaction
-- with it, on every backend, so there is one way to set it. SET LOCAL (not set_config(…, true))
-- because on Citus only SET LOCAL reaches the workers, where the policies run on the shards
-- (the Citus variant of this migration also has the function propagate them there). Unset,
-- empty or malformed settings still read as no tenant and no store (app.current_customer_id,
-- app.store_scope): the policies fail closed.
CREATE OR REPLACE FUNCTION app.set_request_context(
  customer_id text, viewer_role text, store_ids text, statement_timeout_ms integer,
  database_role text DEFAULT 'shelfops_gateway', statement_tag text DEFAULT 'shelfops')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
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
