DROP INDEX IF EXISTS sale_keys_customer_time_idx;
