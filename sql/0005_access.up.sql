-- How the gateway reaches TimescaleDB without reaching chunks.
--
-- TimescaleDB resolves its internal schema with the privileges of the role that runs the
-- statement: chunk routing on insert, decompression, the real-time aggregate watermark and
-- the invalidation triggers all need USAGE on _timescaledb_internal, and without it every
-- statement of a cold session fails. Chunks copy their hypertable's grants but not its
-- row-level security, so a role that holds a grant on a hypertable and USAGE on that schema
-- could read every tenant's rows from a chunk, and their statistics from pg_stats.
--
-- So the gateway gets USAGE on the schema and no grant on any hypertable: it reaches them only
-- through views owned by shelfops_access, a role that holds the grants, logs in nowhere,
-- cannot bypass row-level security and of which the gateway is not a member. Each view
-- applies the tenant and store guard itself (security_barrier: before any predicate of the
-- caller), and row-level security applies again underneath, since the views' owner is
-- subject to it.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shelfops_access') THEN
    CREATE ROLE shelfops_access NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created at the same moment by a migration of another database of this server
END
$$;

GRANT USAGE ON SCHEMA public, app, rollup TO shelfops_access;
GRANT SELECT, INSERT ON transactions, inventory_levels TO shelfops_access;
GRANT SELECT ON forecasts, rollup.sales_hourly, rollup.sales_daily TO shelfops_access;

-- The gateway's doors to the hypertables: one simple view each, insertable where it writes.
CREATE SCHEMA gateway;
REVOKE ALL ON SCHEMA gateway FROM PUBLIC;

CREATE VIEW gateway.transactions WITH (security_barrier) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM public.transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
WITH CASCADED CHECK OPTION;

CREATE VIEW gateway.inventory_levels WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, time, on_hand, allocated, available
FROM public.inventory_levels
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
WITH CASCADED CHECK OPTION;

CREATE VIEW gateway.forecasts WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, time, model_version, units, units_lower, units_upper,
       created_at
FROM public.forecasts
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

ALTER VIEW gateway.transactions OWNER TO shelfops_access;
ALTER VIEW gateway.inventory_levels OWNER TO shelfops_access;
ALTER VIEW gateway.forecasts OWNER TO shelfops_access;

-- The views the gateway already read run as shelfops_access too, so row-level security
-- applies beneath their own guard; they become barriers against the caller's predicates.
DO $$
DECLARE
  v text;
BEGIN
  IF to_regnamespace('archive') IS NOT NULL THEN
    GRANT USAGE ON SCHEMA archive TO shelfops_access;
    GRANT SELECT ON archive.horizon, archive.transactions, archive.inventory_levels,
      archive.sales_hourly, archive.sales_daily TO shelfops_access;
  END IF;
  FOREACH v IN ARRAY ARRAY['sale_lines', 'inventory_snapshots', 'sales_hourly', 'sales_daily',
                           'sales_hourly_archived', 'sales_daily_archived', 'archive_horizons'] LOOP
    EXECUTE format('ALTER VIEW public.%I OWNER TO shelfops_access', v);
    EXECUTE format('ALTER VIEW public.%I SET (security_barrier = true)', v);
  END LOOP;
  -- TimescaleDB's own paths, run as the gateway: see the top of this file.
  IF to_regnamespace('_timescaledb_internal') IS NOT NULL THEN
    GRANT USAGE ON SCHEMA _timescaledb_internal TO shelfops_gateway;
  END IF;
END
$$;

-- Revoking on a hypertable revokes on its chunks, and chunks created later copy the
-- hypertable's (now empty) grants for the gateway.
REVOKE ALL ON transactions, inventory_levels, forecasts FROM shelfops_gateway;
GRANT USAGE ON SCHEMA gateway TO shelfops_gateway;
GRANT INSERT ON gateway.transactions TO shelfops_gateway;
GRANT SELECT, INSERT ON gateway.inventory_levels TO shelfops_gateway;
GRANT SELECT ON gateway.forecasts TO shelfops_gateway;
