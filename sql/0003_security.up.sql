-- Row-level security, enabled and forced on every tenant table, and the gateway's role.
-- shelfops_gateway owns nothing, cannot bypass RLS and only gets the grants below. A policy
-- whose tenant setting is unset or malformed matches no rows (see app.current_customer_id).
-- The settings are read through scalar sub-selects so PostgreSQL evaluates them once per
-- statement, not once per row.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shelfops_gateway') THEN
    CREATE ROLE shelfops_gateway NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created at the same moment by a migration of another database of this server
END
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public, app TO shelfops_gateway;

ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customers FOR SELECT
  USING (id = (SELECT app.current_customer_id()));

ALTER TABLE stores ENABLE ROW LEVEL SECURITY;
ALTER TABLE stores FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON stores FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR id = ANY ((SELECT app.store_scope())::uuid[])));

ALTER TABLE products ENABLE ROW LEVEL SECURITY;
ALTER TABLE products FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON products FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()));

-- Store-level tables: tenant and store scope for reading; writing also needs a writer role.
ALTER TABLE transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE transactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON transactions FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])));
CREATE POLICY tenant_ingest ON transactions FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));

ALTER TABLE inventory_levels ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_levels FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_levels FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])));
CREATE POLICY tenant_ingest ON inventory_levels FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));

ALTER TABLE forecasts ENABLE ROW LEVEL SECURITY;
ALTER TABLE forecasts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON forecasts FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])));

ALTER TABLE anomalies ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomalies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON anomalies FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])));

ALTER TABLE reorder_points ENABLE ROW LEVEL SECURITY;
ALTER TABLE reorder_points FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON reorder_points FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])));
CREATE POLICY tenant_admin_insert ON reorder_points FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
              AND (SELECT app.viewer_role()) = 'admin');
CREATE POLICY tenant_admin_update ON reorder_points FOR UPDATE
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])))
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
              AND (SELECT app.viewer_role()) = 'admin');

ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alerts FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])));
CREATE POLICY tenant_admin_insert ON alerts FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
              AND (SELECT app.viewer_role()) = 'admin');
CREATE POLICY tenant_admin_update ON alerts FOR UPDATE
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[])))
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
              AND (SELECT app.viewer_role()) = 'admin');

-- Rollups cannot carry policies (TimescaleDB refuses RLS on continuous aggregates), so the
-- gateway reaches them only through these views, which apply the same tenant and store filter.
CREATE VIEW sales_hourly AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

CREATE VIEW sales_daily AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

GRANT SELECT ON customers, stores, products, transactions, inventory_levels, forecasts,
  anomalies, reorder_points, alerts, sales_hourly, sales_daily TO shelfops_gateway;
GRANT INSERT ON transactions, inventory_levels TO shelfops_gateway;
GRANT INSERT, UPDATE ON reorder_points, alerts TO shelfops_gateway;
