-- The tenant's reporting zone, kept with its calendars: the zone its dashboards show days,
-- weeks, months and retail periods in. An analytics question still names its own zone (a
-- trend's timeZone, UTC when left out); this is what a client asks when it means "the
-- tenant's days". UTC unless set; a tenant that already has stores starts with the zone most
-- of them keep (ties by name), the zone its dashboard took before the setting existed.
-- (One statement a step: Citus passes DDL on to its workers as the text that carried it.)
ALTER TABLE customers ADD COLUMN IF NOT EXISTS time_zone text NOT NULL DEFAULT 'UTC';
-- step
-- One tenant at a time, each a query of its own stores (on Citus one routed query per tenant,
-- then an update of the reference table by key).
DO $$
DECLARE
  t record;
  zone text;
BEGIN
  FOR t IN SELECT c.id FROM public.customers c ORDER BY c.id LOOP
    SELECT s.time_zone INTO zone FROM public.stores s
    WHERE s.customer_id = t.id
    GROUP BY s.time_zone ORDER BY count(*) DESC, s.time_zone LIMIT 1;
    UPDATE public.customers c SET time_zone = coalesce(zone, 'UTC') WHERE c.id = t.id;
  END LOOP;
END
$$;
-- step
-- An unscoped admin changes it under the row policy of 0016, like the calendars of 0020.
GRANT UPDATE (time_zone) ON customers TO shelfops_gateway;
