-- Citus: the inventory reads that plain PostgreSQL's schema words in ways Citus cannot run,
-- worded so that a statement binding its tenant runs on that tenant's shard.
--
-- * gateway.latest_inventory (0014) probes each position's snapshots in a LATERAL subquery
--   correlated with the stores and products it joins: the snapshots' tenant is then a column
--   of another table, not a value Citus can route by, and Citus refuses the statement. Here
--   it is the newest snapshot of each position read from the snapshots alone (DISTINCT ON in
--   the primary key's order): a caller's bound tenant, store and product reach that key, so a
--   position is one backward probe on the tenant's shard, as on plain PostgreSQL. It is no
--   barrier: on Citus the gateway reads the snapshots themselves, whose forced row-level
--   security is the boundary (see 0022); positions outside the store scope have no row.
-- * app.snapshot_at (0019) reads the snapshots from inside a statement, and a statement routed
--   to a shard may run no distributed query (Citus refuses the nesting). It reads the tenant's
--   shard of the snapshots directly when it runs on the node holding that shard, and the
--   distributed table when it runs elsewhere (on the coordinator, as a statement of its own).
-- (Statements are sent one by one, "-- step" between them: Citus refuses DDL whose query
-- text holds several statements when it passes the text on to the workers.)

DROP VIEW gateway.latest_inventory;
-- step
CREATE VIEW gateway.latest_inventory AS
SELECT DISTINCT ON (i.customer_id, i.store_id, i.product_id)
       i.customer_id, i.store_id, i.product_id, i.time, i.on_hand, i.allocated, i.available
FROM public.inventory_levels i
ORDER BY i.customer_id, i.store_id, i.product_id, i.time DESC;
-- step
ALTER VIEW gateway.latest_inventory OWNER TO shelfops_access;
-- step
GRANT SELECT ON gateway.latest_inventory TO shelfops_gateway;

-- step
CREATE OR REPLACE FUNCTION app.snapshot_at(store uuid, product uuid, at timestamptz)
RETURNS TABLE ("time" timestamptz, on_hand integer, allocated integer, available integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  tenant CONSTANT uuid := app.current_customer_id();
  snapshots text := 'public.inventory_levels';
  shard text;
BEGIN
  IF tenant IS NULL THEN
    RETURN;
  END IF;
  shard := format('public.%I', 'inventory_levels_'
    || get_shard_id_for_distribution_column('public.inventory_levels', tenant));
  IF to_regclass(shard) IS NOT NULL THEN
    snapshots := shard;
  END IF;
  RETURN QUERY EXECUTE format($sql$
    SELECT i.time, i.on_hand, i.allocated, i.available
    FROM %s i
    WHERE i.customer_id = $1
      AND (app.store_scope() IS NULL OR i.store_id = ANY (app.store_scope()))
      AND i.store_id = $2 AND i.product_id = $3 AND i.time <= $4
    ORDER BY i.time DESC
    LIMIT 1$sql$, snapshots) USING tenant, store, product, at;
END
$$;
