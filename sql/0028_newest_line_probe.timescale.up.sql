-- The newest line a request can see, as probes of the (customer_id, time) indexes from their
-- end, whatever the tables' statistics say. 0020's single SQL statement left the choice to the
-- planner, which cannot see the store scope at plan time: on a table not analyzed since a large
-- upload it estimated a handful of rows and aggregated every line of the tenant (seen: 0.3–1.3 s
-- per analytics request until autovacuum analyzed the table, instead of a fraction of a ms).
-- Here each branch is planned with the scope known, and ORDER BY ... LIMIT 1 is the index's order.
-- The hot table and the archive are both probed: a late line recorded after its week was
-- archived is hot but older than the archive's newest (0020 read the archive only when the hot
-- table had no line).
CREATE OR REPLACE FUNCTION app.newest_sale_line() RETURNS timestamptz
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tenant uuid := app.current_customer_id();
  scope uuid[] := app.store_scope();
  hot timestamptz;
  archived timestamptz;
BEGIN
  IF tenant IS NULL THEN
    RETURN NULL;
  END IF;
  IF scope IS NULL THEN
    SELECT x.time INTO hot FROM public.transactions x
    WHERE x.customer_id = tenant ORDER BY x.time DESC LIMIT 1;
    SELECT x.time INTO archived FROM archive.transactions x
    WHERE x.customer_id = tenant ORDER BY x.time DESC LIMIT 1;
  ELSE
    SELECT x.time INTO hot FROM public.transactions x
    WHERE x.customer_id = tenant AND x.store_id = ANY (scope) ORDER BY x.time DESC LIMIT 1;
    SELECT x.time INTO archived FROM archive.transactions x
    WHERE x.customer_id = tenant AND x.store_id = ANY (scope) ORDER BY x.time DESC LIMIT 1;
  END IF;
  RETURN greatest(hot, archived);
END
$$;
