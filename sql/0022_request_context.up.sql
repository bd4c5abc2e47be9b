-- The request context as one function call: the gateway opens every request's transaction
-- with it, on every backend, so there is one way to set it. SET LOCAL (not set_config(…, true))
-- because on Citus only SET LOCAL reaches the workers, where the policies run on the shards
-- (the Citus variant of this migration also has the function propagate them there). Unset,
-- empty or malformed settings still read as no tenant and no store (app.current_customer_id,
-- app.store_scope): the policies fail closed.
CREATE OR REPLACE FUNCTION app.set_request_context(
  customer_id text, viewer_role text, store_ids text, statement_timeout_ms integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SET LOCAL app.customer_id = %L', customer_id);
  EXECUTE format('SET LOCAL app.role = %L', viewer_role);
  EXECUTE format('SET LOCAL app.store_ids = %L', store_ids);
  EXECUTE format('SET LOCAL statement_timeout = %s', statement_timeout_ms);
  -- Names resolve in the schema the gateway's grants cover, whatever the session says.
  SET LOCAL search_path = public;
  SET LOCAL ROLE shelfops_gateway;
END
$$;
