-- Back to PostgreSQL's defaults: views without a barrier, TEMP on the database for PUBLIC.
DO $$
DECLARE
  v regclass;
BEGIN
  FOR v IN
    SELECT c.oid::regclass
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'v'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'timescaledb_information',
                            'timescaledb_experimental')
      AND n.nspname NOT LIKE '\_timescaledb%'
      AND has_table_privilege('shelfops_gateway', c.oid, 'SELECT')
  LOOP
    EXECUTE format('ALTER VIEW %s RESET (security_barrier)', v);
  END LOOP;
  IF EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'shelfops_gateway_no_ddl') THEN
    -- The embedded database, whose own catalog row cannot change (see the up script).
    DROP EVENT TRIGGER shelfops_gateway_no_ddl;
  ELSE
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
  END IF;
  DROP FUNCTION IF EXISTS app.refuse_gateway_ddl();
END
$$;

-- The views of migration 0004 as they were.
CREATE OR REPLACE VIEW sale_lines AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
UNION ALL
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM archive.transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

CREATE OR REPLACE VIEW inventory_snapshots AS
SELECT customer_id, store_id, product_id, time, on_hand, allocated, available
FROM inventory_levels
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
UNION ALL
SELECT customer_id, store_id, product_id, time, on_hand, allocated, available
FROM archive.inventory_levels
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

