-- Calendars are kept with each tenant, like its retention: the day its weeks start on (WEEK
-- buckets) and, optionally, a retail calendar (RETAIL_* buckets): the NRF's 4-5-4, whose year
-- ends on the last weekday before the week start that is nearest the end of the fiscal year's
-- last month (1 = January: the NRF's own calendar, Saturday nearest the end of January).
ALTER TABLE customers ADD COLUMN IF NOT EXISTS week_start text NOT NULL DEFAULT 'MONDAY'
  CONSTRAINT customers_week_start_known CHECK (week_start IN ('MONDAY', 'SUNDAY'));
ALTER TABLE customers ADD COLUMN IF NOT EXISTS retail_calendar text
  CONSTRAINT customers_retail_calendar_known CHECK (retail_calendar IN ('NRF_454'));
ALTER TABLE customers ADD COLUMN IF NOT EXISTS fiscal_year_end smallint
  CONSTRAINT customers_fiscal_year_end_month CHECK (fiscal_year_end BETWEEN 1 AND 12);
-- A retail calendar without its year's end (or the reverse) would be half a setting.
ALTER TABLE customers ADD CONSTRAINT customers_retail_calendar_whole
  CHECK ((retail_calendar IS NULL) = (fiscal_year_end IS NULL));

-- An unscoped admin changes them under the row policy of 0016 (its own row, admin, no scope).
GRANT UPDATE (week_start, retail_calendar, fiscal_year_end) ON customers TO shelfops_gateway;

-- How complete an answer is: the newest sale line the caller's tenant (and store scope) has
-- committed, hot or archived. Runs as the owner so that max() reads the (customer_id, time)
-- index of each hypertable's newest chunks rather than every row through the barrier view.
CREATE OR REPLACE FUNCTION app.newest_sale_line() RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(
    (SELECT max(x.time) FROM public.transactions x
     WHERE x.customer_id = app.current_customer_id()
       AND (app.store_scope() IS NULL OR x.store_id = ANY (app.store_scope()::uuid[]))),
    (SELECT max(x.time) FROM archive.transactions x
     WHERE x.customer_id = app.current_customer_id()
       AND (app.store_scope() IS NULL OR x.store_id = ANY (app.store_scope()::uuid[]))))
$$;
REVOKE ALL ON FUNCTION app.newest_sale_line() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.newest_sale_line() TO shelfops_gateway;
