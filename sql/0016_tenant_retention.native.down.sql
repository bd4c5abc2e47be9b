DROP FUNCTION IF EXISTS app.apply_retention(text);
DROP POLICY IF EXISTS tenant_admin_retention ON customers;
REVOKE UPDATE (retention) ON customers FROM shelfops_gateway;
ALTER TABLE customers DROP COLUMN IF EXISTS retention;
