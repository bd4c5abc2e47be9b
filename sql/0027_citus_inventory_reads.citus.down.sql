-- Back to the plain-PostgreSQL definitions of 0014 and 0019.

DROP VIEW gateway.latest_inventory;
-- step
CREATE VIEW gateway.latest_inventory WITH (security_barrier) AS
SELECT s.customer_id, s.id AS store_id, p.id AS product_id, l.time, l.on_hand, l.allocated,
       l.available
FROM public.stores s
JOIN public.products p ON p.customer_id = s.customer_id
CROSS JOIN LATERAL (
  SELECT i.time, i.on_hand, i.allocated, i.available
  FROM public.inventory_levels i
  WHERE i.customer_id = s.customer_id AND i.store_id = s.id AND i.product_id = p.id
  ORDER BY i.time DESC
  LIMIT 1
) l
WHERE s.customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR s.id = ANY ((SELECT app.store_scope())::uuid[]));
-- step
ALTER VIEW gateway.latest_inventory OWNER TO shelfops_access;
-- step
GRANT SELECT ON gateway.latest_inventory TO shelfops_gateway;

-- step
CREATE OR REPLACE FUNCTION app.snapshot_at(store uuid, product uuid, at timestamptz)
RETURNS TABLE ("time" timestamptz, on_hand integer, allocated integer, available integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT i.time, i.on_hand, i.allocated, i.available
  FROM public.inventory_levels i
  WHERE i.customer_id = app.current_customer_id()
    AND (app.store_scope() IS NULL OR i.store_id = ANY (app.store_scope()))
    AND i.store_id = store AND i.product_id = product AND i.time <= at
  ORDER BY i.time DESC
  LIMIT 1;
END
$$;
