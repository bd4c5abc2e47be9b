-- Cost history: each product keeps the periods of its unit cost, and a sale line takes the cost
-- in force at its own sale time (0017 gave it the cost at the moment it was recorded, so a late
-- line sold before a cost change and recorded after it took the new cost).
--
-- * product_costs: one row per period, from valid_from until the next period of the product.
-- * products.cost stays the current cost; products.cost_from is when it took effect, null when
--   it applies to every earlier sale (or the product has no cost).
-- * A product's first cost applies to all its earlier history unless the writer names a
--   start; a later change starts when it is made (now()) or at the start named, which must be
--   later than the current period's. Periods are only ever added: history is never rewritten,
--   and a line keeps the cost it was recorded with, whatever period is added later.
-- * The writer names a start by setting cost_from with the new cost; the triggers below keep
--   cost_from and the periods in step for every writer of products.
ALTER TABLE products ADD COLUMN IF NOT EXISTS cost_from timestamptz;

CREATE TABLE IF NOT EXISTS product_costs (
  customer_id uuid NOT NULL,
  product_id  uuid NOT NULL,
  valid_from  timestamptz NOT NULL,
  -- null: no cost known from valid_from on (the product's cost was cleared).
  cost        numeric(12, 2) CONSTRAINT product_costs_cost_not_negative CHECK (cost >= 0),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, product_id, valid_from),
  FOREIGN KEY (customer_id, product_id) REFERENCES products (customer_id, id) ON DELETE CASCADE
);

-- Every cost known so far applies to all earlier history, as it did.
INSERT INTO product_costs (customer_id, product_id, valid_from, cost)
SELECT customer_id, id, '-infinity', cost FROM products WHERE cost IS NOT NULL
ON CONFLICT DO NOTHING;

ALTER TABLE product_costs ENABLE ROW LEVEL SECURITY;
ALTER TABLE product_costs FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON product_costs;
CREATE POLICY tenant_isolation ON product_costs FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()));
-- Written only by the products trigger, in the writer's request, as products are.
DROP POLICY IF EXISTS tenant_catalog_insert ON product_costs;
CREATE POLICY tenant_catalog_insert ON product_costs FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()) AND (SELECT app.store_scope()) IS NULL
              AND (SELECT app.viewer_role()) IN ('admin', 'partner'));
GRANT SELECT ON product_costs TO shelfops_gateway;

-- When a product's cost change takes effect, set before the row is written: an unchanged cost
-- keeps its start; a first cost without a start applies to all earlier history (null); a later
-- change without one starts now; a start not later than the current period's is refused. (An
-- insert keeps the start it names, so an upsert's conflicting insert hands it on unchanged.)
CREATE OR REPLACE FUNCTION app.product_cost_period() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $fn$
BEGIN
  IF NEW.cost IS NULL AND TG_OP = 'INSERT' THEN
    NEW.cost_from := NULL;
  ELSIF TG_OP = 'INSERT' THEN
    RETURN NEW;
  ELSIF NEW.cost IS NOT DISTINCT FROM OLD.cost THEN
    NEW.cost_from := OLD.cost_from;
  ELSIF NEW.cost_from IS NULL OR NEW.cost_from = OLD.cost_from THEN
    NEW.cost_from := CASE WHEN OLD.cost IS NOT NULL OR OLD.cost_from IS NOT NULL THEN now() END;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.cost IS DISTINCT FROM OLD.cost
     AND coalesce(NEW.cost_from, '-infinity') <= coalesce(OLD.cost_from, '-infinity')
     AND (OLD.cost IS NOT NULL OR OLD.cost_from IS NOT NULL) THEN
    RAISE EXCEPTION 'product_costs_period_ordered: the cost of product % from % starts no later than its current one (from %)',
      NEW.sku, coalesce(NEW.cost_from, '-infinity'), coalesce(OLD.cost_from, '-infinity')
      USING ERRCODE = 'check_violation', CONSTRAINT = 'product_costs_period_ordered';
  END IF;
  RETURN NEW;
END
$fn$;
REVOKE ALL ON FUNCTION app.product_cost_period() FROM PUBLIC;
DROP TRIGGER IF EXISTS product_cost_period ON products;
CREATE TRIGGER product_cost_period BEFORE INSERT OR UPDATE OF cost, cost_from ON products
  FOR EACH ROW EXECUTE FUNCTION app.product_cost_period();

-- The period, once the product's row is written (after an insert's conflict check).
CREATE OR REPLACE FUNCTION app.record_product_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.cost IS NULL
     OR TG_OP = 'UPDATE' AND NEW.cost IS NOT DISTINCT FROM OLD.cost THEN
    RETURN NULL;
  END IF;
  INSERT INTO public.product_costs (customer_id, product_id, valid_from, cost)
  VALUES (NEW.customer_id, NEW.id, coalesce(NEW.cost_from, '-infinity'), NEW.cost);
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION app.record_product_cost() FROM PUBLIC;
DROP TRIGGER IF EXISTS record_product_cost ON products;
CREATE TRIGGER record_product_cost AFTER INSERT OR UPDATE OF cost, cost_from ON products
  FOR EACH ROW EXECUTE FUNCTION app.record_product_cost();

-- A line that names no cost of its own takes the cost in force at its sale time: one probe of
-- the period key per line, by the line's own tenant, which the insert policies already checked.
CREATE OR REPLACE FUNCTION app.sale_line_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  SELECT c.cost INTO NEW.unit_cost FROM public.product_costs c
  WHERE c.customer_id = NEW.customer_id AND c.product_id = NEW.product_id
    AND c.valid_from <= NEW.time
  ORDER BY c.valid_from DESC
  LIMIT 1;
  RETURN NEW;
END
$fn$;
