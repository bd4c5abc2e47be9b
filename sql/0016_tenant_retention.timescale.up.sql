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

-- The key pruning of 0012 followed one interval for every tenant; app.apply_retention below
-- deletes the keys with each tenant's lines.
SELECT delete_job(job_id) FROM timescaledb_information.jobs
WHERE proc_schema = 'app' AND proc_name = 'prune_sale_keys';
DROP PROCEDURE IF EXISTS app.prune_sale_keys(integer, jsonb);

-- One retention run over every tenant at its own horizon. drop_chunks removes whole chunks, so
-- it can serve only the oldest cutoff of all (the longest horizon): chunks entirely older than
-- that hold no line any tenant keeps. Each tenant's lines between there and its own cutoff are
-- then deleted as rows (in the archive's compressed chunks too, which TimescaleDB decompresses
-- only for the tenant's segments), and the tenant's idempotency keys at the same cutoff, so
-- every stored line keeps its key and no key outlives its line. Lines are counted before the
-- drop, which does not report what it removed. Returns one row per tenant.
CREATE OR REPLACE FUNCTION app.apply_retention(default_retention text)
RETURNS TABLE (customer_id uuid, retention text, cutoff timestamptz, lines bigint, keys bigint)
LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
  horizons text[];
  cutoffs timestamptz[];
  counts bigint[] := '{}';
  oldest timestamptz;
  n bigint;
  i integer;
BEGIN
  UPDATE public.customers c SET retention = default_retention WHERE c.retention IS NULL;
  SELECT array_agg(c.id ORDER BY c.id), array_agg(c.retention ORDER BY c.id),
         array_agg(now() - c.retention::interval ORDER BY c.id), min(now() - c.retention::interval)
  INTO ids, horizons, cutoffs, oldest
  FROM public.customers c;
  IF ids IS NULL THEN
    RETURN;
  END IF;
  FOR i IN 1 .. cardinality(ids) LOOP
    counts[i] := (SELECT count(*) FROM public.transactions x
                  WHERE x.customer_id = ids[i] AND x.time < cutoffs[i])
               + (SELECT count(*) FROM archive.transactions x
                  WHERE x.customer_id = ids[i] AND x.time < cutoffs[i]);
  END LOOP;
  PERFORM drop_chunks(h.name::regclass, older_than => oldest)
  FROM unnest(ARRAY['public.transactions', 'archive.transactions', 'public.inventory_levels',
                    'archive.inventory_levels', 'public.forecasts']) AS h(name);
  FOR i IN 1 .. cardinality(ids) LOOP
    DELETE FROM public.transactions x WHERE x.customer_id = ids[i] AND x.time < cutoffs[i];
    DELETE FROM archive.transactions x WHERE x.customer_id = ids[i] AND x.time < cutoffs[i];
    DELETE FROM public.inventory_levels x WHERE x.customer_id = ids[i] AND x.time < cutoffs[i];
    DELETE FROM archive.inventory_levels x WHERE x.customer_id = ids[i] AND x.time < cutoffs[i];
    DELETE FROM public.forecasts x WHERE x.customer_id = ids[i] AND x.time < cutoffs[i];
    DELETE FROM public.sale_keys x WHERE x.customer_id = ids[i] AND x.time < cutoffs[i];
    GET DIAGNOSTICS n = ROW_COUNT;
    customer_id := ids[i];
    retention := horizons[i];
    cutoff := cutoffs[i];
    lines := counts[i];
    keys := n;
    RETURN NEXT;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION app.apply_retention(text) FROM PUBLIC;

-- Where TimescaleDB's job runner applies retention (MAINTENANCE=jobs), the same run as a job.
CREATE OR REPLACE PROCEDURE app.retention_job(job_id integer, config jsonb)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM app.apply_retention(config->>'retention');
END
$$;
REVOKE ALL ON PROCEDURE app.retention_job(integer, jsonb) FROM PUBLIC;
