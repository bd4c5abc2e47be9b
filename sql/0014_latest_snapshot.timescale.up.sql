-- The latest snapshot of each store/product, in constant time whatever the history length.
--
-- Read through the security-barrier views (gateway.inventory_levels, inventory_snapshots), an
-- `ORDER BY time DESC LIMIT 1` per position cannot reach the primary key's order: the barrier
-- keeps the view a subquery planned on its own, which returns the position's rows unordered,
-- so every snapshot of the position was read and sorted to keep one. This view holds the
-- ordered probe inside the barrier instead: one row per position of the tenant's stores (in
-- the store scope) and products, the position's newest snapshot. A caller's equality on
-- store_id and product_id (leakproof) reaches the stores' and products' primary keys inside
-- it, so a LATERAL read of one position is two key lookups and one backward probe of the
-- snapshots' primary key. Positions without a snapshot have no row.
--
-- A hot snapshot at or after the archive horizon is newer than anything archived, so the probe
-- of the hot table's recent chunks answers alone when it finds one. Otherwise (a position
-- without a recent snapshot) app.latest_snapshot_before_horizon compares the latest hot row
-- (older than the horizon: accepted late) with the latest archived one. It is a function so
-- that the archive, hundreds of compressed chunks after a few years, is planned only when a
-- position needs it (once per session: PL/pgSQL keeps the plan), not with every statement that
-- reads a position. It applies the tenant and store guard itself and takes only the position's
-- ids, so the gateway's role may call it directly without reaching anything more.
GRANT SELECT ON public.stores, public.products TO shelfops_access;

CREATE FUNCTION app.latest_snapshot_before_horizon(store uuid, product uuid)
RETURNS TABLE ("time" timestamptz, on_hand integer, allocated integer, available integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT b.time, b.on_hand, b.allocated, b.available
  FROM ((SELECT i.time, i.on_hand, i.allocated, i.available
         FROM public.inventory_levels i
         WHERE i.customer_id = app.current_customer_id()
           AND (app.store_scope() IS NULL OR i.store_id = ANY (app.store_scope()))
           AND i.store_id = store AND i.product_id = product
         ORDER BY i.time DESC
         LIMIT 1)
        UNION ALL
        (SELECT a.time, a.on_hand, a.allocated, a.available
         FROM archive.inventory_levels a
         WHERE a.customer_id = app.current_customer_id()
           AND (app.store_scope() IS NULL OR a.store_id = ANY (app.store_scope()))
           AND a.store_id = store AND a.product_id = product
         ORDER BY a.time DESC
         LIMIT 1)) b
  ORDER BY b.time DESC
  LIMIT 1;
END
$$;

ALTER FUNCTION app.latest_snapshot_before_horizon(uuid, uuid) OWNER TO shelfops_access;
REVOKE ALL ON FUNCTION app.latest_snapshot_before_horizon(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.latest_snapshot_before_horizon(uuid, uuid) TO shelfops_gateway;

CREATE VIEW gateway.latest_inventory WITH (security_barrier) AS
SELECT s.customer_id, s.id AS store_id, p.id AS product_id, l.time, l.on_hand, l.allocated,
       l.available
FROM public.stores s
JOIN public.products p ON p.customer_id = s.customer_id
CROSS JOIN LATERAL (
  (SELECT i.time, i.on_hand, i.allocated, i.available
   FROM public.inventory_levels i
   WHERE i.customer_id = s.customer_id AND i.store_id = s.id AND i.product_id = p.id
     AND i.time >= (SELECT h.boundary FROM archive.horizon h WHERE h.relation = 'inventory_levels')
   ORDER BY i.time DESC
   LIMIT 1)
  UNION ALL
  SELECT f.time, f.on_hand, f.allocated, f.available
  FROM app.latest_snapshot_before_horizon(s.id, p.id) f
  LIMIT 1
) l
WHERE s.customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR s.id = ANY ((SELECT app.store_scope())::uuid[]));

ALTER VIEW gateway.latest_inventory OWNER TO shelfops_access;
GRANT SELECT ON gateway.latest_inventory TO shelfops_gateway;
