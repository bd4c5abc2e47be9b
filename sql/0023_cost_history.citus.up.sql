-- Citus: the cost history of the common variant of this migration (read it for the rules),
-- with what Citus needs done another way:
-- * product_costs is distributed by customer_id, colocated with products and transactions, so
--   a product's periods live on the node of its rows and its tenant's lines;
-- * a trigger on a shard may not run a distributed statement: the triggers read and write the
--   colocated shard of product_costs (found by app.colocated_shard);
-- * policies call the tenant functions without a sub-select (as 0022 rewrote the others).
-- (Statements are sent one by one, "-- step" between them, as in 0022; the functions come
-- first, since Citus propagates no function once the transaction ran a parallel operation.)

-- The shard of `target` colocated with the shard of `distributed` a trigger runs on (its name
-- ends in the shard id); `target` itself where the trigger runs on a table that is not a shard.
CREATE OR REPLACE FUNCTION app.colocated_shard(trigger_table name, distributed regclass, target regclass)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT coalesce(
    (SELECT format('%I.%I', n.nspname, c.relname || '_' || r.shardid)
     FROM pg_dist_shard s
     JOIN pg_dist_shard r ON r.logicalrelid = target AND r.shardminvalue = s.shardminvalue
     JOIN pg_class c ON c.oid = target
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE s.shardid = nullif(substring(trigger_table FROM '_([0-9]+)$'), '')::bigint
       AND s.logicalrelid = distributed),
    target::text)
$$;

-- step
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
-- step
REVOKE ALL ON FUNCTION app.product_cost_period() FROM PUBLIC;

-- step
CREATE OR REPLACE FUNCTION app.record_product_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.cost IS NULL
     OR TG_OP = 'UPDATE' AND NEW.cost IS NOT DISTINCT FROM OLD.cost THEN
    RETURN NULL;
  END IF;
  EXECUTE format('INSERT INTO %s (customer_id, product_id, valid_from, cost) VALUES ($1, $2, $3, $4)',
                 app.colocated_shard(TG_TABLE_NAME, 'public.products', 'public.product_costs'))
    USING NEW.customer_id, NEW.id, coalesce(NEW.cost_from, '-infinity'), NEW.cost;
  RETURN NULL;
END
$fn$;
-- step
REVOKE ALL ON FUNCTION app.record_product_cost() FROM PUBLIC;

-- step
-- A line's cost: the period in force at its sale time, from the colocated shard of product_costs.
CREATE OR REPLACE FUNCTION app.sale_line_cost() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  EXECUTE format('SELECT c.cost FROM %s c WHERE c.customer_id = $1 AND c.product_id = $2
                    AND c.valid_from <= $3 ORDER BY c.valid_from DESC LIMIT 1',
                 app.colocated_shard(TG_TABLE_NAME, 'public.transactions', 'public.product_costs'))
    INTO NEW.unit_cost USING NEW.customer_id, NEW.product_id, NEW.time;
  RETURN NEW;
END
$fn$;

-- step
ALTER TABLE products ADD COLUMN IF NOT EXISTS cost_from timestamptz;
-- step
CREATE TABLE product_costs (
  customer_id uuid NOT NULL,
  product_id  uuid NOT NULL,
  valid_from  timestamptz NOT NULL,
  cost        numeric(12, 2) CONSTRAINT product_costs_cost_not_negative CHECK (cost >= 0),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, product_id, valid_from)
);
-- step
ALTER TABLE product_costs ENABLE ROW LEVEL SECURITY;
-- step
ALTER TABLE product_costs FORCE ROW LEVEL SECURITY;
-- step
CREATE POLICY tenant_isolation ON product_costs FOR SELECT
  USING (customer_id = app.current_customer_id());
-- step
-- (Made before the table is distributed: Citus cannot pass the role list of a new policy on
-- to the shards of a distributed table, but distributes a table's policies with it.)
CREATE POLICY tenant_catalog_insert ON product_costs FOR INSERT
  WITH CHECK (customer_id = app.current_customer_id() AND app.store_scope() IS NULL
              AND app.viewer_role() IN ('admin', 'partner'));
-- step
GRANT SELECT ON product_costs TO shelfops_gateway;
-- step
SELECT create_distributed_table('public.product_costs', 'customer_id', colocate_with => 'public.stores');
-- step
ALTER TABLE product_costs ADD CONSTRAINT product_costs_customer_id_product_id_fkey
  FOREIGN KEY (customer_id, product_id) REFERENCES products (customer_id, id) ON DELETE CASCADE;
-- step
INSERT INTO product_costs (customer_id, product_id, valid_from, cost)
SELECT customer_id, id, '-infinity', cost FROM products WHERE cost IS NOT NULL;

-- step
SET LOCAL citus.enable_unsafe_triggers = on;
-- step
CREATE TRIGGER product_cost_period BEFORE INSERT OR UPDATE OF cost, cost_from ON products
  FOR EACH ROW EXECUTE FUNCTION app.product_cost_period();
-- step
CREATE TRIGGER record_product_cost AFTER INSERT OR UPDATE OF cost, cost_from ON products
  FOR EACH ROW EXECUTE FUNCTION app.record_product_cost();
