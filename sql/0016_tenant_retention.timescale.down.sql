SELECT delete_job(job_id) FROM timescaledb_information.jobs
WHERE proc_schema = 'app' AND proc_name = 'retention_job';
DROP PROCEDURE IF EXISTS app.retention_job(integer, jsonb);
DROP FUNCTION IF EXISTS app.apply_retention(text);
DROP POLICY IF EXISTS tenant_admin_retention ON customers;
REVOKE UPDATE (retention) ON customers FROM shelfops_gateway;
ALTER TABLE customers DROP COLUMN IF EXISTS retention;

-- drop_chunks drops whole chunks: a line older than the retention cutoff stays while its chunk
-- reaches past the cutoff, and so does its key, so that every stored line keeps its key (a
-- re-sent id of it is still a duplicate or a CONFLICT). The cutoff is therefore the earlier of
-- the retention cutoff and the start of the oldest chunk of sale lines, hot or archived. Run by
-- the gateway's retention step, and as a TimescaleDB job where the job runner applies
-- retention. EXECUTE plans the delete with the cutoff's value, so it stays a range scan.
CREATE OR REPLACE PROCEDURE app.prune_sale_keys(job_id integer, config jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  cutoff timestamptz;
BEGIN
  SELECT least(now() - (config->>'retention')::interval, min(c.range_start)) INTO cutoff
  FROM timescaledb_information.chunks c
  WHERE (c.hypertable_schema, c.hypertable_name) IN (('public', 'transactions'), ('archive', 'transactions'));
  EXECUTE '/* deleteOldSaleKeys */ DELETE FROM public.sale_keys
           WHERE customer_id = ANY($1::uuid[]) AND time < $2::timestamptz'
  USING ARRAY(SELECT id FROM public.customers), cutoff;
END
$$;

REVOKE ALL ON PROCEDURE app.prune_sale_keys(integer, jsonb) FROM PUBLIC;
