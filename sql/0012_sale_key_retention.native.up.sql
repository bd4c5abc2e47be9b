-- Retention prunes the idempotency keys with the lines they stood for: a line older than the
-- horizon is refused at ingest, so its key can never decide a duplicate again. The delete runs
-- per tenant over a time range, so the keys need this index to be found without a scan.
CREATE INDEX IF NOT EXISTS sale_keys_customer_time_idx ON sale_keys (customer_id, time);
