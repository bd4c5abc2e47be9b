-- The latest snapshot of one store/product, in constant time whatever the history length.
--
-- Read through the security-barrier views (gateway.inventory_levels, inventory_snapshots), an
-- `ORDER BY time DESC LIMIT 1` per position cannot reach the primary key's order: the barrier
-- keeps the view a subquery planned on its own, which returns the position's rows unordered,
-- so every snapshot of the position is read and sorted to keep one. This function holds the
-- ordered probe inside the barrier instead: it runs as shelfops_access (whom row-level security
-- still binds), applies the tenant and store guard itself, and takes no predicate of the
-- caller, only the position's two ids; its result is the one row, or none. Nothing is archived
-- on plain PostgreSQL: one backward probe of the primary key.
CREATE FUNCTION gateway.latest_snapshot(uuid, uuid)
RETURNS TABLE (store_id uuid, product_id uuid, "time" timestamptz, on_hand integer,
               allocated integer, available integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT i.store_id, i.product_id, i.time, i.on_hand, i.allocated, i.available
  FROM public.inventory_levels i
  WHERE i.customer_id = app.current_customer_id()
    AND (app.store_scope() IS NULL OR i.store_id = ANY (app.store_scope()))
    AND i.store_id = $1 AND i.product_id = $2
  ORDER BY i.time DESC
  LIMIT 1
$$;

ALTER FUNCTION gateway.latest_snapshot(uuid, uuid) OWNER TO shelfops_access;
REVOKE ALL ON FUNCTION gateway.latest_snapshot(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gateway.latest_snapshot(uuid, uuid) TO shelfops_gateway;
