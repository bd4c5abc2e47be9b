-- Receipts: a sale line may name the receipt (basket) it was rung up on. A receipt is the pair
-- (store_id, receipt_id): POS numbers receipts per till or store, so the same number in two
-- stores is two receipts. Lines without one (older uploads) belong to no receipt.
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS receipt_id text
  CONSTRAINT transactions_receipt_id_length CHECK (length(receipt_id) BETWEEN 1 AND 64);

-- The lines of one receipt, in receipt order.
CREATE INDEX IF NOT EXISTS transactions_receipt_idx
  ON transactions (customer_id, store_id, receipt_id, time) WHERE receipt_id IS NOT NULL;

CREATE OR REPLACE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost, receipt_id
FROM transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

CREATE OR REPLACE VIEW gateway.transactions WITH (security_barrier) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       receipt_id
FROM public.transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
WITH CASCADED CHECK OPTION;

-- The latest snapshot of one store/product at or before an instant, in constant time: one
-- backward probe of the snapshots' primary key from that instant (the barrier views cannot
-- reach its order, see 0014). It applies the tenant and store guard itself and takes only the
-- position and the instant, so the gateway's role may call it directly.
CREATE FUNCTION app.snapshot_at(store uuid, product uuid, at timestamptz)
RETURNS TABLE ("time" timestamptz, on_hand integer, allocated integer, available integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT i.time, i.on_hand, i.allocated, i.available
  FROM public.inventory_levels i
  WHERE i.customer_id = app.current_customer_id()
    AND (app.store_scope() IS NULL OR i.store_id = ANY (app.store_scope()))
    AND i.store_id = store AND i.product_id = product AND i.time <= at
  ORDER BY i.time DESC
  LIMIT 1;
END
$$;

ALTER FUNCTION app.snapshot_at(uuid, uuid, timestamptz) OWNER TO shelfops_access;
REVOKE ALL ON FUNCTION app.snapshot_at(uuid, uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.snapshot_at(uuid, uuid, timestamptz) TO shelfops_gateway;
