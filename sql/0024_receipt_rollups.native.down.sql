-- Back to 0019's sale lines and 0017's rollups: no receipt marks, no receipt parts (the
-- trigger function as 0017 wrote it, the views as 0017 and 0019 left them).
DROP TRIGGER IF EXISTS sale_line_receipt ON transactions;
DROP FUNCTION IF EXISTS app.sale_line_receipt();
DROP TABLE IF EXISTS receipt_openers;

DROP VIEW IF EXISTS sale_lines, sales_hourly, sales_daily, sales_hourly_archived,
  sales_daily_archived, store_sales_hourly, store_sales_daily;
DROP VIEW IF EXISTS rollup.sales_hourly, rollup.sales_daily;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sales_hourly_totals', 'sales_daily_totals', 'store_sales_hourly', 'store_sales_daily'] LOOP
    EXECUTE format('ALTER TABLE rollup.%I DROP COLUMN IF EXISTS receipts,
      DROP COLUMN IF EXISTS product_receipts, DROP COLUMN IF EXISTS receipt_units,
      DROP COLUMN IF EXISTS receipt_revenue', t);
  END LOOP;
END
$$;
ALTER TABLE transactions DROP COLUMN IF EXISTS opens_receipt;
ALTER TABLE transactions DROP COLUMN IF EXISTS opens_product;

CREATE VIEW rollup.sales_hourly AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units,
       returned_revenue, cost, uncosted_lines
FROM rollup.sales_hourly_totals;
CREATE VIEW rollup.sales_daily AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions, returned_units,
       returned_revenue, cost, uncosted_lines
FROM rollup.sales_daily_totals;

CREATE VIEW sale_lines WITH (security_barrier = true) AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
       unit_cost, receipt_id
FROM transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

DO $$
DECLARE
  guard CONSTANT text := 'customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))';
  parts CONSTANT text := 'units, revenue, transactions, returned_units, returned_revenue, cost, uncosted_lines';
  v record;
BEGIN
  FOR v IN
    SELECT * FROM (VALUES
      ('sales_hourly', 'rollup.sales_hourly', 'customer_id, store_id, product_id', guard),
      ('sales_daily', 'rollup.sales_daily', 'customer_id, store_id, product_id', guard),
      ('sales_hourly_archived', 'rollup.sales_hourly', 'customer_id, store_id, product_id', 'false'),
      ('sales_daily_archived', 'rollup.sales_daily', 'customer_id, store_id, product_id', 'false'),
      ('store_sales_hourly', 'rollup.store_sales_hourly', 'customer_id, store_id', guard),
      ('store_sales_daily', 'rollup.store_sales_daily', 'customer_id, store_id', guard)) AS t (name, source, keys, filter)
  LOOP
    EXECUTE format('CREATE VIEW public.%I WITH (security_barrier) AS
      SELECT %s, bucket, %s FROM %s WHERE %s', v.name, v.keys, parts, v.source, v.filter);
  END LOOP;
  FOREACH v.name IN ARRAY ARRAY['sale_lines', 'sales_hourly', 'sales_daily', 'sales_hourly_archived',
                                'sales_daily_archived', 'store_sales_hourly', 'store_sales_daily'] LOOP
    EXECUTE format('ALTER VIEW public.%I OWNER TO shelfops_access', v.name);
    EXECUTE format('GRANT SELECT ON public.%I TO shelfops_gateway', v.name);
  END LOOP;
END
$$;
GRANT SELECT ON rollup.sales_hourly, rollup.sales_daily TO shelfops_access;

CREATE OR REPLACE FUNCTION rollup.apply_sales_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  columns CONSTANT text := 'customer_id, store_id, product_id, time, quantity, revenue, unit_cost';
  lines text;
  target record;
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('app.retention_delete', true) = 'on' THEN
    RETURN NULL;
  END IF;
  lines := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT %s, 1 AS sign FROM new_rows', columns)
    WHEN 'DELETE' THEN format('SELECT %s, -1 AS sign FROM old_rows', columns)
    ELSE format('SELECT %1$s, 1 AS sign FROM new_rows UNION ALL SELECT %1$s, -1 FROM old_rows', columns)
  END;
  FOR target IN
    SELECT * FROM (VALUES
      ('sales_hourly_totals', 'hour', 'customer_id, store_id, product_id'),
      ('sales_daily_totals', 'day', 'customer_id, store_id, product_id'),
      ('store_sales_hourly', 'hour', 'customer_id, store_id'),
      ('store_sales_daily', 'day', 'customer_id, store_id')) AS t (name, unit, keys)
  LOOP
    EXECUTE format($sql$
      INSERT INTO rollup.%1$I AS r (%2$s, bucket, units, revenue, transactions, returned_units,
                                    returned_revenue, cost, uncosted_lines)
      SELECT %2$s, bucket, units, revenue, transactions, returned_units, returned_revenue, cost,
             uncosted_lines
      FROM (
        SELECT %2$s, date_trunc(%3$L, l.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
               sum(l.sign * l.quantity)::bigint AS units,
               sum(l.sign * l.revenue) AS revenue,
               sum(l.sign)::bigint AS transactions,
               sum(l.sign * greatest(-l.quantity, 0))::bigint AS returned_units,
               sum(CASE WHEN l.quantity < 0 THEN -l.sign * l.revenue ELSE 0 END) AS returned_revenue,
               coalesce(sum(l.sign * l.quantity * l.unit_cost), 0) AS cost,
               sum(CASE WHEN l.unit_cost IS NULL THEN l.sign ELSE 0 END)::bigint AS uncosted_lines
        FROM (%4$s) l
        GROUP BY %2$s, bucket
      ) d
      WHERE (transactions, units, revenue, returned_units, returned_revenue, cost, uncosted_lines)
            <> (0, 0, 0, 0, 0, 0, 0)
      ORDER BY %2$s, bucket
      ON CONFLICT (%2$s, bucket) DO UPDATE SET
        units = r.units + excluded.units,
        revenue = r.revenue + excluded.revenue,
        transactions = r.transactions + excluded.transactions,
        returned_units = r.returned_units + excluded.returned_units,
        returned_revenue = r.returned_revenue + excluded.returned_revenue,
        cost = r.cost + excluded.cost,
        uncosted_lines = r.uncosted_lines + excluded.uncosted_lines
      $sql$, target.name, target.keys, target.unit, lines);
    IF TG_OP <> 'INSERT' THEN
      EXECUTE format('DELETE FROM rollup.%I WHERE transactions = 0', target.name);
    END IF;
  END LOOP;
  RETURN NULL;
END
$fn$;
-- The keys of lines on a receipt get back 0013's fingerprint.
UPDATE sale_keys k SET content = app.sale_content(t.store_id, t.product_id, t.quantity, t.unit_price)
FROM transactions t
WHERE k.customer_id = t.customer_id AND k.transaction_id = t.transaction_id AND t.receipt_id IS NOT NULL;
DROP FUNCTION IF EXISTS app.sale_content(uuid, uuid, integer, numeric, text);
