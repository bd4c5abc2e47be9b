DROP FUNCTION IF EXISTS app.snapshot_at(uuid, uuid, timestamptz);

DROP VIEW sale_lines;
CREATE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost
FROM transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));
ALTER VIEW sale_lines OWNER TO shelfops_access;
GRANT SELECT ON sale_lines TO shelfops_gateway;

DROP VIEW gateway.transactions;
CREATE VIEW gateway.transactions WITH (security_barrier) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM public.transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
WITH CASCADED CHECK OPTION;
ALTER VIEW gateway.transactions OWNER TO shelfops_access;
GRANT INSERT ON gateway.transactions TO shelfops_gateway;

DROP INDEX IF EXISTS transactions_receipt_idx;
ALTER TABLE transactions DROP COLUMN IF EXISTS receipt_id;
