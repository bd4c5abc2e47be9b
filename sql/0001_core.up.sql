-- Core relational schema: tenants, catalog, time series tables (plain here; 0002 turns the
-- time series into hypertables where TimescaleDB is available), lifecycle tables.
-- Every unique key leads with customer_id so the schema can be sharded by tenant (Citus).

CREATE SCHEMA IF NOT EXISTS app;

-- Tenant context, read from transaction-local settings. Anything unset or malformed yields
-- NULL (customer) or an empty scope, so policies match no rows instead of raising an error.
CREATE FUNCTION app.current_customer_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              THEN s::uuid END
  FROM (SELECT current_setting('app.customer_id', true) AS s) setting
$$;

-- '*' means every store of the tenant (NULL scope); unset, empty or malformed means no store.
CREATE FUNCTION app.store_scope() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN s = '*' THEN NULL
    WHEN s ~* '^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(,[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})*$'
      THEN string_to_array(s, ',')::uuid[]
    ELSE '{}'::uuid[]
  END
  FROM (SELECT nullif(current_setting('app.store_ids', true), '') AS s) setting
$$;

CREATE FUNCTION app.viewer_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(current_setting('app.role', true), '')
$$;

CREATE TABLE customers (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stores (
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  code        text NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  region      text NOT NULL,
  time_zone   text NOT NULL DEFAULT 'UTC',
  size_sqm    integer CHECK (size_sqm > 0),
  opened_on   date,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, id),
  UNIQUE (customer_id, code)
);

CREATE TABLE products (
  customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  sku         text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  category    text NOT NULL,
  unit_price  numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, id),
  UNIQUE (customer_id, sku)
);
CREATE INDEX products_category_idx ON products (customer_id, category, id);
CREATE INDEX products_name_idx ON products (customer_id, lower(name) text_pattern_ops);

-- One row per POS sale line. Idempotent on (customer_id, transaction_id, time).
CREATE TABLE transactions (
  customer_id    uuid NOT NULL,
  transaction_id uuid NOT NULL,
  time           timestamptz NOT NULL,
  store_id       uuid NOT NULL,
  product_id     uuid NOT NULL,
  quantity       integer NOT NULL CHECK (quantity > 0),
  unit_price     numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
  revenue        numeric(14, 2) NOT NULL CHECK (revenue >= 0),
  PRIMARY KEY (customer_id, transaction_id, time),
  FOREIGN KEY (customer_id, store_id) REFERENCES stores (customer_id, id),
  FOREIGN KEY (customer_id, product_id) REFERENCES products (customer_id, id)
);
CREATE INDEX transactions_time_idx ON transactions (customer_id, time DESC);
CREATE INDEX transactions_store_product_time_idx
  ON transactions (customer_id, store_id, product_id, time DESC);

CREATE TABLE inventory_levels (
  customer_id uuid NOT NULL,
  store_id    uuid NOT NULL,
  product_id  uuid NOT NULL,
  time        timestamptz NOT NULL,
  on_hand     integer NOT NULL CONSTRAINT inventory_on_hand_non_negative CHECK (on_hand >= 0),
  allocated   integer NOT NULL DEFAULT 0
              CONSTRAINT inventory_allocated_non_negative CHECK (allocated >= 0),
  available   integer GENERATED ALWAYS AS (on_hand - allocated) STORED,
  CONSTRAINT inventory_allocated_within_on_hand CHECK (allocated <= on_hand),
  PRIMARY KEY (customer_id, store_id, product_id, time),
  FOREIGN KEY (customer_id, store_id) REFERENCES stores (customer_id, id),
  FOREIGN KEY (customer_id, product_id) REFERENCES products (customer_id, id)
);
CREATE INDEX inventory_levels_time_idx ON inventory_levels (customer_id, time DESC);

CREATE TABLE forecasts (
  customer_id   uuid NOT NULL,
  store_id      uuid NOT NULL,
  product_id    uuid NOT NULL,
  time          timestamptz NOT NULL,
  model_version text NOT NULL,
  units         numeric(12, 2) NOT NULL CHECK (units >= 0),
  units_lower   numeric(12, 2) NOT NULL,
  units_upper   numeric(12, 2) NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT forecasts_bounds_ordered CHECK (units_lower <= units AND units <= units_upper),
  PRIMARY KEY (customer_id, store_id, product_id, time, model_version),
  FOREIGN KEY (customer_id, store_id) REFERENCES stores (customer_id, id),
  FOREIGN KEY (customer_id, product_id) REFERENCES products (customer_id, id)
);

CREATE TABLE reorder_points (
  customer_id      uuid NOT NULL,
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  store_id         uuid NOT NULL,
  product_id       uuid NOT NULL,
  reorder_point    integer NOT NULL CONSTRAINT reorder_point_non_negative CHECK (reorder_point >= 0),
  reorder_quantity integer NOT NULL CONSTRAINT reorder_quantity_positive CHECK (reorder_quantity > 0),
  valid_from       timestamptz NOT NULL DEFAULT now(),
  valid_to         timestamptz,
  CONSTRAINT reorder_points_period_ordered CHECK (valid_to IS NULL OR valid_to >= valid_from),
  PRIMARY KEY (customer_id, id),
  FOREIGN KEY (customer_id, store_id) REFERENCES stores (customer_id, id),
  FOREIGN KEY (customer_id, product_id) REFERENCES products (customer_id, id)
);
CREATE UNIQUE INDEX reorder_points_one_current_idx
  ON reorder_points (customer_id, store_id, product_id) WHERE valid_to IS NULL;

CREATE TABLE alerts (
  customer_id     uuid NOT NULL,
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  store_id        uuid NOT NULL,
  product_id      uuid NOT NULL,
  type            text NOT NULL CHECK (type IN
                    ('STOCKOUT', 'LOW_STOCK', 'OVERSTOCK', 'SALES_SPIKE', 'SALES_DROP', 'FORECAST_DEVIATION')),
  severity        text NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'CRITICAL')),
  status          text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
  message         text NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
  occurrences     integer NOT NULL DEFAULT 1 CHECK (occurrences > 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz,
  resolved_at     timestamptz,
  resolution_note text,
  PRIMARY KEY (customer_id, id),
  FOREIGN KEY (customer_id, store_id) REFERENCES stores (customer_id, id),
  FOREIGN KEY (customer_id, product_id) REFERENCES products (customer_id, id)
);
-- At most one unresolved alert per store/product/type; also serves the "open alerts" lookups.
CREATE UNIQUE INDEX alerts_one_open_idx
  ON alerts (customer_id, store_id, product_id, type) WHERE status <> 'RESOLVED';
CREATE INDEX alerts_newest_idx ON alerts (customer_id, created_at DESC, id DESC);

CREATE TABLE anomalies (
  customer_id  uuid NOT NULL,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  store_id     uuid NOT NULL,
  product_id   uuid,
  kind         text NOT NULL CHECK (kind IN ('SALES_SPIKE', 'SALES_DROP', 'STOCK_MISMATCH', 'PRICE_OUTLIER')),
  detected_at  timestamptz NOT NULL,
  score        numeric(8, 3) NOT NULL,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (customer_id, id),
  FOREIGN KEY (customer_id, store_id) REFERENCES stores (customer_id, id),
  FOREIGN KEY (customer_id, product_id) REFERENCES products (customer_id, id)
);
CREATE INDEX anomalies_detected_idx ON anomalies (customer_id, detected_at DESC, id DESC);
CREATE INDEX anomalies_metadata_idx ON anomalies USING gin (metadata jsonb_path_ops);
