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
-- snapshots' primary key. Positions without a snapshot have no row. Nothing is archived on
-- plain PostgreSQL.
GRANT SELECT ON public.stores, public.products TO shelfops_access;

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

ALTER VIEW gateway.latest_inventory OWNER TO shelfops_access;
GRANT SELECT ON gateway.latest_inventory TO shelfops_gateway;
