DROP FUNCTION IF EXISTS app.snapshot_at(uuid, uuid, timestamptz);
-- step
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
           t.unit_price, t.revenue, t.unit_cost
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
DROP VIEW sale_lines;
-- step
CREATE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost
FROM (
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost
  FROM archive.transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
) lines;
-- step
ALTER VIEW sale_lines OWNER TO shelfops_access;
-- step
GRANT SELECT ON sale_lines TO shelfops_gateway;
-- step
DROP VIEW gateway.transactions;
-- step
CREATE VIEW gateway.transactions WITH (security_barrier) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM public.transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
WITH CASCADED CHECK OPTION;
-- step
ALTER VIEW gateway.transactions OWNER TO shelfops_access;
-- step
GRANT INSERT ON gateway.transactions TO shelfops_gateway;
-- step
DROP INDEX IF EXISTS transactions_receipt_idx;
-- step
ALTER TABLE archive.transactions DROP COLUMN IF EXISTS receipt_id;
-- step
ALTER TABLE transactions DROP COLUMN IF EXISTS receipt_id;
