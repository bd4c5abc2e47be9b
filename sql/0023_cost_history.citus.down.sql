-- Back to 0022's line cost on Citus (the product's current cost, from the colocated shard of
-- products) and products without a cost history.
-- (Statements are sent one by one, "-- step" between them, as in 0022.)
CREATE OR REPLACE FUNCTION app.sale_line_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
  products text := coalesce(
    (SELECT format('public.%I', 'products_' || r.shardid)
     FROM pg_dist_shard s
     JOIN pg_dist_shard r ON r.logicalrelid = 'public.products'::regclass
                         AND r.shardminvalue = s.shardminvalue
     WHERE s.shardid = nullif(substring(TG_TABLE_NAME FROM '_([0-9]+)$'), '')::bigint
       AND s.logicalrelid = 'public.transactions'::regclass),
    'public.products');
BEGIN
  EXECUTE format('SELECT p.cost FROM %s p WHERE p.customer_id = $1 AND p.id = $2', products)
    INTO NEW.unit_cost USING NEW.customer_id, NEW.product_id;
  RETURN NEW;
END
$fn$;
-- step
SET LOCAL citus.enable_unsafe_triggers = on;
-- step
DROP TRIGGER IF EXISTS record_product_cost ON products;
-- step
DROP TRIGGER IF EXISTS product_cost_period ON products;
-- step
DROP FUNCTION IF EXISTS app.record_product_cost();
-- step
DROP FUNCTION IF EXISTS app.product_cost_period();
-- step
DROP FUNCTION IF EXISTS app.colocated_shard(name, regclass, regclass);
-- step
DROP TABLE IF EXISTS product_costs;
-- step
ALTER TABLE products DROP COLUMN IF EXISTS cost_from;
