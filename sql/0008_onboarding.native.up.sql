-- Onboarding a real retailer: tenants that can be disabled, stores and products that can be
-- retired, returns (negative quantities), and one idempotency key per sale line. The sales
-- rollups (plain views here) gain the returned units and revenue.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'active';
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'customers_status_known') THEN
    ALTER TABLE customers ADD CONSTRAINT customers_status_known CHECK (status IN ('active', 'disabled'));
  END IF;
END
$$;
ALTER TABLE stores ADD COLUMN IF NOT EXISTS retired boolean NOT NULL DEFAULT false;
ALTER TABLE products ADD COLUMN IF NOT EXISTS retired boolean NOT NULL DEFAULT false;
-- A negative quantity is a return; revenue follows the quantity's sign.
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_quantity_check;
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_revenue_check;
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'transactions_quantity_not_zero') THEN
    ALTER TABLE transactions ADD CONSTRAINT transactions_quantity_not_zero CHECK (quantity <> 0);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'transactions_revenue_of_quantity') THEN
    ALTER TABLE transactions ADD CONSTRAINT transactions_revenue_of_quantity
      CHECK (revenue = quantity * unit_price);
  END IF;
END
$$;
-- The idempotency key of a sale line is (tenant, transaction id). The hypertables' keys must
-- contain the time, so this table holds the one row per key (and what the line said), which
-- makes a re-sent id with other content detectable and two concurrent uploads of one id wait
-- for each other.
CREATE TABLE IF NOT EXISTS sale_keys (
  customer_id    uuid NOT NULL,
  transaction_id uuid NOT NULL,
  time           timestamptz NOT NULL,
  content        uuid NOT NULL,
  PRIMARY KEY (customer_id, transaction_id)
);
CREATE OR REPLACE FUNCTION app.sale_content(store_id uuid, product_id uuid, quantity integer, unit_price numeric)
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT md5(concat_ws('|', store_id, product_id, quantity, unit_price::numeric(12, 2)))::uuid
$$;
INSERT INTO sale_keys (customer_id, transaction_id, time, content)
SELECT customer_id, transaction_id, time, app.sale_content(store_id, product_id, quantity, unit_price)
FROM transactions
ON CONFLICT DO NOTHING;
ALTER TABLE sale_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE sale_keys FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON sale_keys;
CREATE POLICY tenant_isolation ON sale_keys FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()));
DROP POLICY IF EXISTS tenant_ingest ON sale_keys;
CREATE POLICY tenant_ingest ON sale_keys FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id())
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
GRANT SELECT, INSERT ON sale_keys TO shelfops_gateway;
-- The catalog through the API: writers of the tenant; a store-scoped caller only its stores,
-- and products (tenant-wide) only unscoped.
DROP POLICY IF EXISTS tenant_catalog_insert ON stores;
CREATE POLICY tenant_catalog_insert ON stores FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND (SELECT app.store_scope()) IS NULL
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
DROP POLICY IF EXISTS tenant_catalog_update ON stores;
CREATE POLICY tenant_catalog_update ON stores FOR UPDATE
  USING (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR id = ANY ((SELECT app.store_scope())::uuid[])))
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR id = ANY ((SELECT app.store_scope())::uuid[]))
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
DROP POLICY IF EXISTS tenant_catalog_insert ON products;
CREATE POLICY tenant_catalog_insert ON products FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND (SELECT app.store_scope()) IS NULL
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
DROP POLICY IF EXISTS tenant_catalog_update ON products;
CREATE POLICY tenant_catalog_update ON products FOR UPDATE
  USING (customer_id = (SELECT app.current_customer_id()))
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND (SELECT app.store_scope()) IS NULL
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
GRANT INSERT, UPDATE ON stores, products TO shelfops_gateway;
-- Rollups with returns: units and revenue stay net, returned_* are positive amounts. New
-- columns go last, so the views are replaced in place.
CREATE OR REPLACE VIEW rollup.sales_hourly AS
SELECT customer_id, store_id, product_id,
       date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
       sum(quantity)::bigint AS units,
       sum(revenue) AS revenue,
       count(*) AS transactions,
       coalesce(sum(-quantity) FILTER (WHERE quantity < 0), 0)::bigint AS returned_units,
       coalesce(sum(-revenue) FILTER (WHERE quantity < 0), 0) AS returned_revenue
FROM transactions
GROUP BY customer_id, store_id, product_id, date_trunc('hour', time AT TIME ZONE 'UTC');

CREATE OR REPLACE VIEW rollup.sales_daily AS
SELECT customer_id, store_id, product_id,
       date_trunc('day', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
       sum(quantity)::bigint AS units,
       sum(revenue) AS revenue,
       count(*) AS transactions,
       coalesce(sum(-quantity) FILTER (WHERE quantity < 0), 0)::bigint AS returned_units,
       coalesce(sum(-revenue) FILTER (WHERE quantity < 0), 0) AS returned_revenue
FROM transactions
GROUP BY customer_id, store_id, product_id, date_trunc('day', time AT TIME ZONE 'UTC');

CREATE OR REPLACE VIEW sales_hourly WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue
FROM rollup.sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

CREATE OR REPLACE VIEW sales_daily WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue
FROM rollup.sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

CREATE OR REPLACE VIEW sales_hourly_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue
FROM rollup.sales_hourly WHERE false;

CREATE OR REPLACE VIEW sales_daily_archived WITH (security_barrier) AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions,
       returned_units, returned_revenue
FROM rollup.sales_daily WHERE false;
