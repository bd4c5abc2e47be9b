-- Plain PostgreSQL compresses nothing, so nothing is archived: the views the gateway reads
-- are the hot tables under the tenant and store filter, as on TimescaleDB.
CREATE VIEW sale_lines AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

CREATE VIEW inventory_snapshots AS
SELECT customer_id, store_id, product_id, time, on_hand, allocated, available
FROM inventory_levels
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

-- Nothing is archived: no key of an upload is.
CREATE FUNCTION app.archived_sales(ids uuid[], times timestamptz[])
RETURNS TABLE (transaction_id uuid, "time" timestamptz)
LANGUAGE sql STABLE AS $$ SELECT NULL::uuid, NULL::timestamptz WHERE false $$;

CREATE FUNCTION app.archived_snapshots(stores uuid[], products uuid[], times timestamptz[])
RETURNS TABLE (store_id uuid, product_id uuid, "time" timestamptz)
LANGUAGE sql STABLE AS $$ SELECT NULL::uuid, NULL::uuid, NULL::timestamptz WHERE false $$;

REVOKE ALL ON FUNCTION app.archived_sales, app.archived_snapshots FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.archived_sales, app.archived_snapshots TO shelfops_gateway;

CREATE VIEW archive_horizons (relation, boundary) AS
VALUES ('transactions', '-infinity'::timestamptz), ('inventory_levels', '-infinity'::timestamptz);

-- The rollups' archived share, which TimescaleDB reads beside the rollups: empty here.
CREATE VIEW sales_hourly_archived AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_hourly WHERE false;

CREATE VIEW sales_daily_archived AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_daily WHERE false;

GRANT SELECT ON sale_lines, inventory_snapshots, archive_horizons, sales_hourly_archived,
  sales_daily_archived TO shelfops_gateway;
