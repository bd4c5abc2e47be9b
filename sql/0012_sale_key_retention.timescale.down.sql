SELECT delete_job(job_id) FROM timescaledb_information.jobs
WHERE proc_schema = 'app' AND proc_name = 'prune_sale_keys';
DROP PROCEDURE IF EXISTS app.prune_sale_keys(integer, jsonb);
DROP INDEX IF EXISTS sale_keys_customer_time_idx;
