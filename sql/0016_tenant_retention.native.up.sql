-- Retention is kept with each tenant: the horizon is data every process reads (the gateway's
-- refusal of old lines, the import, the retention run), not a setting each process must be
-- given alike. NULL until the retention run adopts the RETENTION default for the tenant.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS retention text
  CONSTRAINT customers_retention_interval
  CHECK (retention ~ '^[1-9][0-9]{0,3} (minute|hour|day|week|month|year)s?$');

-- An unscoped admin of the tenant may change its horizon, and nothing else of the row.
GRANT UPDATE (retention) ON customers TO shelfops_gateway;
CREATE POLICY tenant_admin_retention ON customers FOR UPDATE
  USING (id = (SELECT app.current_customer_id()) AND (SELECT app.viewer_role()) = 'admin'
         AND (SELECT app.store_scope()) IS NULL)
  WITH CHECK (id = (SELECT app.current_customer_id()));

-- One retention run over every tenant at its own horizon: a range of each tenant in the
-- (customer_id, time) indexes, the idempotency keys at the same cutoff. The delete is flagged
-- (app.retention_delete) so the rollup tables keep their history. Returns one row per tenant.
CREATE OR REPLACE FUNCTION app.apply_retention(default_retention text)
RETURNS TABLE (customer_id uuid, retention text, cutoff timestamptz, lines bigint, keys bigint)
LANGUAGE plpgsql AS $$
DECLARE
  t record;
BEGIN
  PERFORM set_config('app.retention_delete', 'on', true);
  UPDATE public.customers c SET retention = default_retention WHERE c.retention IS NULL;
  FOR t IN SELECT c.id, c.retention, now() - c.retention::interval AS cutoff
           FROM public.customers c ORDER BY c.id LOOP
    customer_id := t.id;
    retention := t.retention;
    cutoff := t.cutoff;
    DELETE FROM public.transactions x WHERE x.customer_id = t.id AND x.time < t.cutoff;
    GET DIAGNOSTICS lines = ROW_COUNT;
    DELETE FROM public.inventory_levels x WHERE x.customer_id = t.id AND x.time < t.cutoff;
    DELETE FROM public.forecasts x WHERE x.customer_id = t.id AND x.time < t.cutoff;
    DELETE FROM public.sale_keys x WHERE x.customer_id = t.id AND x.time < t.cutoff;
    GET DIAGNOSTICS keys = ROW_COUNT;
    RETURN NEXT;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION app.apply_retention(text) FROM PUBLIC;
