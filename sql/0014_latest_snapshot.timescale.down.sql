DROP VIEW gateway.latest_inventory;
DROP FUNCTION app.latest_snapshot_before_horizon(uuid, uuid);
REVOKE SELECT ON public.stores, public.products FROM shelfops_access;
