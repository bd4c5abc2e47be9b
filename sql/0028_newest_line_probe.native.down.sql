-- 0020's statement, as it was.
CREATE OR REPLACE FUNCTION app.newest_sale_line() RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT max(x.time) FROM public.transactions x
  WHERE x.customer_id = app.current_customer_id()
    AND (app.store_scope() IS NULL OR x.store_id = ANY (app.store_scope()::uuid[]))
$$;
