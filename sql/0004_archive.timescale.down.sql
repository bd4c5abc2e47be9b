-- shelfops: no-transaction
-- Archived rows go back to the hot tables, the continuous aggregates are recomputed over them,
-- and the views read the hot tables alone again.
INSERT INTO public.transactions
  (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM archive.transactions
ON CONFLICT DO NOTHING;
-- step
INSERT INTO public.inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
SELECT customer_id, store_id, product_id, time, on_hand, allocated
FROM archive.inventory_levels
ON CONFLICT DO NOTHING;
-- step
CALL refresh_continuous_aggregate('rollup.sales_hourly', NULL, NULL);
-- step
CALL refresh_continuous_aggregate('rollup.sales_daily', NULL, NULL);
-- step
CREATE OR REPLACE VIEW sales_hourly AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));
-- step
CREATE OR REPLACE VIEW sales_daily AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));
-- step
DROP VIEW sale_lines, inventory_snapshots, archive_horizons, sales_hourly_archived,
  sales_daily_archived;
-- step
DROP FUNCTION app.archived_sales, app.archived_snapshots;
-- step
DROP SCHEMA archive CASCADE;
