DROP VIEW gateway.latest_inventory;
REVOKE SELECT ON public.stores, public.products FROM shelfops_access;
