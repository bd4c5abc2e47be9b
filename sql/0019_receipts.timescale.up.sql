-- Receipts: a sale line may name the receipt (basket) it was rung up on. A receipt is the pair
-- (store_id, receipt_id): POS numbers receipts per till or store, so the same number in two
-- stores is two receipts. Lines without one (older uploads) belong to no receipt. The archive
-- keeps the column as well, and archiving copies it.
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS receipt_id text
  CONSTRAINT transactions_receipt_id_length CHECK (length(receipt_id) BETWEEN 1 AND 64);
-- step
ALTER TABLE archive.transactions ADD COLUMN IF NOT EXISTS receipt_id text;
-- step
-- The lines of one receipt, in receipt order.
CREATE INDEX IF NOT EXISTS transactions_receipt_idx
  ON transactions (customer_id, store_id, receipt_id, time) WHERE receipt_id IS NOT NULL;
-- step
CREATE OR REPLACE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost, receipt_id
FROM (
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
         unit_cost, receipt_id
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
         unit_cost, receipt_id
  FROM archive.transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
) lines;
-- step
CREATE OR REPLACE VIEW gateway.transactions WITH (security_barrier) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       receipt_id
FROM public.transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
WITH CASCADED CHECK OPTION;
-- step
-- Archiving copies the receipt of every line it moves.
CREATE OR REPLACE FUNCTION archive.move_before(before timestamp with time zone)
 RETURNS TABLE(relation text, moved bigint, boundary timestamp with time zone)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
  cut timestamptz := archive.chunk_week(before);
  sales bigint;
  snapshots bigint;
BEGIN
  IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'archiving needs a role that bypasses row-level security (superuser or BYPASSRLS); % is neither', current_user;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('shelfops.archive'));

  -- Uploads wait for the move (reads do not), so what is copied is exactly what is deleted.
  LOCK TABLE public.transactions, public.inventory_levels IN EXCLUSIVE MODE;

  WITH kept AS (
    INSERT INTO archive.transactions
    SELECT t.customer_id, t.transaction_id, t.time, t.store_id, t.product_id, t.quantity,
           t.unit_price, t.revenue, t.unit_cost, t.receipt_id
    FROM public.transactions t
    WHERE t.time < cut
    ON CONFLICT DO NOTHING
    RETURNING *
  ), hourly AS (
    INSERT INTO archive.sales_hourly AS h
      (customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue,
       cost, uncosted_lines)
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 hour', k.time),
           sum(k.quantity), sum(k.revenue), count(*),
           coalesce(sum(-k.quantity) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(-k.revenue) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(k.quantity * k.unit_cost), 0), count(*) FILTER (WHERE k.unit_cost IS NULL)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = h.units + excluded.units, revenue = h.revenue + excluded.revenue,
          transactions = h.transactions + excluded.transactions,
          returned_units = h.returned_units + excluded.returned_units,
          returned_revenue = h.returned_revenue + excluded.returned_revenue,
          cost = h.cost + excluded.cost,
          uncosted_lines = h.uncosted_lines + excluded.uncosted_lines
  ), daily AS (
    INSERT INTO archive.sales_daily AS d
      (customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units, returned_revenue,
       cost, uncosted_lines)
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 day', k.time),
           sum(k.quantity), sum(k.revenue), count(*),
           coalesce(sum(-k.quantity) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(-k.revenue) FILTER (WHERE k.quantity < 0), 0),
           coalesce(sum(k.quantity * k.unit_cost), 0), count(*) FILTER (WHERE k.unit_cost IS NULL)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = d.units + excluded.units, revenue = d.revenue + excluded.revenue,
          transactions = d.transactions + excluded.transactions,
          returned_units = d.returned_units + excluded.returned_units,
          returned_revenue = d.returned_revenue + excluded.returned_revenue,
          cost = d.cost + excluded.cost,
          uncosted_lines = d.uncosted_lines + excluded.uncosted_lines
  )
  SELECT count(*) INTO sales FROM kept;
  DELETE FROM public.transactions t WHERE t.time < cut;

  INSERT INTO archive.inventory_levels
  SELECT i.customer_id, i.store_id, i.product_id, i.time, i.on_hand, i.allocated, i.available
  FROM public.inventory_levels i
  WHERE i.time < cut
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS snapshots = ROW_COUNT;
  DELETE FROM public.inventory_levels i WHERE i.time < cut;

  UPDATE archive.horizon h SET boundary = greatest(h.boundary, cut)
  WHERE h.relation IN ('transactions', 'inventory_levels');
  PERFORM drop_chunks('public.transactions', older_than => cut);
  PERFORM drop_chunks('public.inventory_levels', older_than => cut);

  RETURN QUERY
    SELECT h.relation, CASE h.relation WHEN 'transactions' THEN sales ELSE snapshots END, h.boundary
    FROM archive.horizon h ORDER BY h.relation;
END
$function$;
-- step
-- The latest snapshot of one store/product at or before an instant, in constant time: one
-- backward probe of the hot table's primary key and one of the archive's from that instant,
-- the newer kept (as app.latest_snapshot_before_horizon of 0014 does for the latest one; the
-- barrier views cannot reach the keys' order). It applies the tenant and store guard itself
-- and takes only the position and the instant, so the gateway's role may call it directly.
CREATE FUNCTION app.snapshot_at(store uuid, product uuid, at timestamptz)
RETURNS TABLE ("time" timestamptz, on_hand integer, allocated integer, available integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT b.time, b.on_hand, b.allocated, b.available
  FROM ((SELECT i.time, i.on_hand, i.allocated, i.available
         FROM public.inventory_levels i
         WHERE i.customer_id = app.current_customer_id()
           AND (app.store_scope() IS NULL OR i.store_id = ANY (app.store_scope()))
           AND i.store_id = store AND i.product_id = product AND i.time <= at
         ORDER BY i.time DESC
         LIMIT 1)
        UNION ALL
        (SELECT a.time, a.on_hand, a.allocated, a.available
         FROM archive.inventory_levels a
         WHERE a.customer_id = app.current_customer_id()
           AND (app.store_scope() IS NULL OR a.store_id = ANY (app.store_scope()))
           AND a.store_id = store AND a.product_id = product AND a.time <= at
         ORDER BY a.time DESC
         LIMIT 1)) b
  ORDER BY b.time DESC
  LIMIT 1;
END
$$;
-- step
ALTER FUNCTION app.snapshot_at(uuid, uuid, timestamptz) OWNER TO shelfops_access;
-- step
REVOKE ALL ON FUNCTION app.snapshot_at(uuid, uuid, timestamptz) FROM PUBLIC;
-- step
GRANT EXECUTE ON FUNCTION app.snapshot_at(uuid, uuid, timestamptz) TO shelfops_gateway;
