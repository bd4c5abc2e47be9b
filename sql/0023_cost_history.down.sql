-- Back to lines that take their product's cost at the moment they are recorded (0017's
-- function), and products without a cost history.
CREATE OR REPLACE FUNCTION app.sale_line_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  SELECT p.cost INTO NEW.unit_cost FROM public.products p
  WHERE p.customer_id = NEW.customer_id AND p.id = NEW.product_id;
  RETURN NEW;
END
$fn$;

DROP TRIGGER IF EXISTS record_product_cost ON products;
DROP TRIGGER IF EXISTS product_cost_period ON products;
DROP FUNCTION IF EXISTS app.record_product_cost();
DROP FUNCTION IF EXISTS app.product_cost_period();
DROP TABLE IF EXISTS product_costs;
ALTER TABLE products DROP COLUMN IF EXISTS cost_from;
