REVOKE ALL ON customers, stores, products, transactions, inventory_levels, forecasts,
  anomalies, reorder_points, alerts FROM shelfops_gateway;
DROP VIEW IF EXISTS sales_daily, sales_hourly;

DROP POLICY IF EXISTS tenant_isolation ON customers;
DROP POLICY IF EXISTS tenant_isolation ON stores;
DROP POLICY IF EXISTS tenant_isolation ON products;
DROP POLICY IF EXISTS tenant_isolation ON transactions;
DROP POLICY IF EXISTS tenant_ingest ON transactions;
DROP POLICY IF EXISTS tenant_isolation ON inventory_levels;
DROP POLICY IF EXISTS tenant_ingest ON inventory_levels;
DROP POLICY IF EXISTS tenant_isolation ON forecasts;
DROP POLICY IF EXISTS tenant_isolation ON anomalies;
DROP POLICY IF EXISTS tenant_isolation ON reorder_points;
DROP POLICY IF EXISTS tenant_admin_insert ON reorder_points;
DROP POLICY IF EXISTS tenant_admin_update ON reorder_points;
DROP POLICY IF EXISTS tenant_isolation ON alerts;
DROP POLICY IF EXISTS tenant_admin_insert ON alerts;
DROP POLICY IF EXISTS tenant_admin_update ON alerts;

ALTER TABLE customers NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE stores NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE products NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE transactions NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_levels NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE forecasts NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE anomalies NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE reorder_points NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE alerts NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;

REVOKE USAGE ON SCHEMA public, app FROM shelfops_gateway;
-- The role is shared by every database of the server, so it is kept; it holds no grants here.
