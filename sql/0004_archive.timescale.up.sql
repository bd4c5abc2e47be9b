-- Compression of old rows. TimescaleDB compresses no table that has row-level security and
-- refuses row-level security on a compressed one, while every tenant table here has it forced.
-- So rows older than the archive horizon move, in one transaction, from the RLS tables into the
-- hypertables of the schema `archive`: no RLS, compressed, closed to the gateway's role, and
-- read only through the views below, which apply the tenant and store filter (as the rollups'
-- views do). The horizon is a chunk boundary; the hot tables keep everything after it.

CREATE SCHEMA archive;
REVOKE ALL ON SCHEMA archive FROM PUBLIC;

-- Where each table's archive ends: rows before `boundary` have been moved (rows accepted later
-- with an older time stay in the hot table until the next move, and the views count them).
CREATE TABLE archive.horizon (
  relation text PRIMARY KEY,
  boundary timestamptz NOT NULL
);
INSERT INTO archive.horizon VALUES ('transactions', '-infinity'), ('inventory_levels', '-infinity');

CREATE TABLE archive.transactions (
  customer_id    uuid NOT NULL,
  transaction_id uuid NOT NULL,
  time           timestamptz NOT NULL,
  store_id       uuid NOT NULL,
  product_id     uuid NOT NULL,
  quantity       integer NOT NULL,
  unit_price     numeric(12, 2) NOT NULL,
  revenue        numeric(14, 2) NOT NULL,
  PRIMARY KEY (customer_id, transaction_id, time)
);
SELECT create_hypertable('archive.transactions', by_range('time', INTERVAL '7 days'));
ALTER TABLE archive.transactions SET (timescaledb.enable_columnstore,
  timescaledb.segmentby = 'customer_id, store_id', timescaledb.orderby = 'time DESC');

CREATE TABLE archive.inventory_levels (
  customer_id uuid NOT NULL,
  store_id    uuid NOT NULL,
  product_id  uuid NOT NULL,
  time        timestamptz NOT NULL,
  on_hand     integer NOT NULL,
  allocated   integer NOT NULL,
  available   integer NOT NULL,
  PRIMARY KEY (customer_id, store_id, product_id, time)
);
SELECT create_hypertable('archive.inventory_levels', by_range('time', INTERVAL '7 days'));
ALTER TABLE archive.inventory_levels SET (timescaledb.enable_columnstore,
  timescaledb.segmentby = 'customer_id, store_id', timescaledb.orderby = 'product_id, time DESC');

-- The rollups of the archived sales, kept exact as rows move in (the continuous aggregates
-- only see the hot table).
CREATE TABLE archive.sales_hourly (
  customer_id  uuid NOT NULL,
  store_id     uuid NOT NULL,
  product_id   uuid NOT NULL,
  bucket       timestamptz NOT NULL,
  units        bigint NOT NULL,
  revenue      numeric NOT NULL,
  transactions bigint NOT NULL,
  PRIMARY KEY (customer_id, store_id, product_id, bucket)
);
SELECT create_hypertable('archive.sales_hourly', by_range('bucket', INTERVAL '28 days'));
ALTER TABLE archive.sales_hourly SET (timescaledb.enable_columnstore,
  timescaledb.segmentby = 'customer_id, store_id', timescaledb.orderby = 'bucket DESC, product_id');

CREATE TABLE archive.sales_daily (LIKE archive.sales_hourly INCLUDING ALL);
SELECT create_hypertable('archive.sales_daily', by_range('bucket', INTERVAL '364 days'));
ALTER TABLE archive.sales_daily SET (timescaledb.enable_columnstore,
  timescaledb.segmentby = 'customer_id, store_id', timescaledb.orderby = 'bucket DESC, product_id');

-- Servers with TimescaleDB's job runner compress on their own when the gateway schedules these
-- policies (MAINTENANCE=jobs; they are added paused, see 0002); otherwise the gateway's
-- maintenance calls archive.compress().
SELECT alter_job(add_compression_policy(t, compress_after => INTERVAL '1 day'), scheduled => false)
FROM unnest(ARRAY['archive.transactions', 'archive.inventory_levels', 'archive.sales_hourly',
                  'archive.sales_daily']::regclass[]) t;

-- Compresses the archive's chunks that are not compressed, or only partly (rows moved into an
-- already compressed range); returns how many it compressed. Only TimescaleDB's public
-- interface: its internal catalog changes between releases.
CREATE FUNCTION archive.has_heap_rows(chunk regclass) RETURNS boolean
LANGUAGE plpgsql STABLE
-- Rows written into a compressed chunk wait in the chunk's own table, which a scan without
-- transparent decompression reads alone.
SET timescaledb.enable_transparent_decompression = off AS $$
DECLARE
  found boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT FROM ONLY %s)', chunk) INTO found;
  RETURN found;
END
$$;

CREATE FUNCTION archive.compress() RETURNS integer LANGUAGE sql AS $$
  SELECT count(compress_chunk(c.chunk))::integer
  FROM (
    SELECT format('%I.%I', c.chunk_schema, c.chunk_name)::regclass AS chunk, c.is_compressed
    FROM timescaledb_information.chunks c
    JOIN timescaledb_information.hypertables h USING (hypertable_schema, hypertable_name)
    WHERE c.hypertable_schema = 'archive' AND h.compression_enabled
  ) c
  WHERE NOT c.is_compressed OR archive.has_heap_rows(c.chunk)
$$;

-- The start of the 7-day chunk holding `t` (chunks are aligned on the epoch).
CREATE FUNCTION archive.chunk_week(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT to_timestamp(floor(extract(epoch FROM t) / 604800) * 604800) $$;

-- Moves the rows older than `before` (rounded down to a 7-day chunk boundary) into the
-- archive and advances the horizons, all in the caller's transaction. A row whose key is
-- already archived (a retried upload) is a duplicate and is not counted twice. Deleting from
-- tables with forced RLS needs a role that bypasses it.
CREATE FUNCTION archive.move_before(before timestamptz)
RETURNS TABLE (relation text, moved bigint, boundary timestamptz)
LANGUAGE plpgsql AS $$
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
           t.unit_price, t.revenue
    FROM public.transactions t
    WHERE t.time < cut
    ON CONFLICT DO NOTHING
    RETURNING *
  ), hourly AS (
    INSERT INTO archive.sales_hourly AS h
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 hour', k.time),
           sum(k.quantity), sum(k.revenue), count(*)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = h.units + excluded.units, revenue = h.revenue + excluded.revenue,
          transactions = h.transactions + excluded.transactions
  ), daily AS (
    INSERT INTO archive.sales_daily AS d
    SELECT k.customer_id, k.store_id, k.product_id, time_bucket(INTERVAL '1 day', k.time),
           sum(k.quantity), sum(k.revenue), count(*)
    FROM kept k GROUP BY 1, 2, 3, 4
    ON CONFLICT (customer_id, store_id, product_id, bucket) DO UPDATE
      SET units = d.units + excluded.units, revenue = d.revenue + excluded.revenue,
          transactions = d.transactions + excluded.transactions
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
$$;

-- The next cut on the way to `before`: one week past the week of the oldest hot row, so that
-- each move stays small; NULL when no hot row is older than `before`'s week.
CREATE FUNCTION archive.next_cut(before timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT least(cut, archive.chunk_week(oldest) + INTERVAL '168 hours')
  FROM (SELECT archive.chunk_week(before) AS cut,
               least((SELECT min(t.time) FROM public.transactions t),
                     (SELECT min(i.time) FROM public.inventory_levels i)) AS oldest) o
  WHERE oldest < cut
$$;

-- TimescaleDB job: archives the rows older than config->>'keep', a week per transaction.
CREATE PROCEDURE archive.run_job(job_id integer, config jsonb) LANGUAGE plpgsql AS $$
DECLARE
  target timestamptz := now() - (config->>'keep')::interval;
  cut timestamptz;
BEGIN
  LOOP
    cut := archive.next_cut(target);
    EXIT WHEN cut IS NULL;
    PERFORM archive.move_before(cut);
    COMMIT;
  END LOOP;
END
$$;

-- What the gateway reads: hot rows (RLS) and archived rows, under the same tenant and store
-- filter. No row is in both: a move deletes and inserts in one transaction.
CREATE VIEW sale_lines AS
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
UNION ALL
SELECT customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue
FROM archive.transactions
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

CREATE VIEW inventory_snapshots AS
SELECT customer_id, store_id, product_id, time, on_hand, allocated, available
FROM inventory_levels
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
UNION ALL
SELECT customer_id, store_id, product_id, time, on_hand, allocated, available
FROM archive.inventory_levels
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]));

-- The rollups in two views with no bucket in common, which readers take together: the
-- continuous aggregate from the horizon on, and before it the archived rollup plus any hot
-- rows accepted since the last move with an older time. (One view with both would put every
-- recent row through extra plan nodes.)
CREATE OR REPLACE VIEW sales_hourly AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_hourly
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');

CREATE VIEW sales_hourly_archived AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
  FROM archive.sales_hourly
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 hour', time), quantity, revenue, 1
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
    AND time < (SELECT boundary FROM archive.horizon WHERE relation = 'transactions')
) archived
GROUP BY customer_id, store_id, product_id, bucket;

CREATE OR REPLACE VIEW sales_daily AS
SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
FROM rollup.sales_daily
WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  AND bucket >= (SELECT boundary FROM archive.horizon WHERE relation = 'transactions');

CREATE VIEW sales_daily_archived AS
SELECT customer_id, store_id, product_id, bucket, sum(units)::bigint AS units,
       sum(revenue) AS revenue, sum(transactions)::bigint AS transactions
FROM (
  SELECT customer_id, store_id, product_id, bucket, units, revenue, transactions
  FROM archive.sales_daily
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
  UNION ALL
  SELECT customer_id, store_id, product_id, time_bucket(INTERVAL '1 day', time), quantity, revenue, 1
  FROM transactions
  WHERE customer_id = (SELECT app.current_customer_id()) AND ((SELECT app.store_scope()) IS NULL OR store_id = ANY ((SELECT app.store_scope())::uuid[]))
    AND time < (SELECT boundary FROM archive.horizon WHERE relation = 'transactions')
) archived
GROUP BY customer_id, store_id, product_id, bucket;

-- Which of the given keys the current tenant already has in the archive, for uploads to skip
-- as duplicates (the hot tables' keys catch the rest). Runs as the owner: it reads only the
-- tenant's own keys, what a key conflict in the hot table would reveal as well.
CREATE FUNCTION app.archived_sales(ids uuid[], times timestamptz[])
RETURNS TABLE (transaction_id uuid, "time" timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT a.transaction_id, a.time
  FROM unnest(ids, times) AS k(transaction_id, time)
  JOIN archive.transactions a ON a.transaction_id = k.transaction_id AND a.time = k.time
  WHERE a.customer_id = app.current_customer_id()
    AND k.time < (SELECT h.boundary FROM archive.horizon h WHERE h.relation = 'transactions')
$$;

CREATE FUNCTION app.archived_snapshots(stores uuid[], products uuid[], times timestamptz[])
RETURNS TABLE (store_id uuid, product_id uuid, "time" timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT a.store_id, a.product_id, a.time
  FROM unnest(stores, products, times) AS k(store_id, product_id, time)
  JOIN archive.inventory_levels a
    ON a.store_id = k.store_id AND a.product_id = k.product_id AND a.time = k.time
  WHERE a.customer_id = app.current_customer_id()
    AND k.time < (SELECT h.boundary FROM archive.horizon h WHERE h.relation = 'inventory_levels')
$$;

REVOKE ALL ON FUNCTION app.archived_sales, app.archived_snapshots FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.archived_sales, app.archived_snapshots TO shelfops_gateway;

-- The horizons themselves: instants, no tenant data.
CREATE VIEW archive_horizons AS SELECT relation, boundary FROM archive.horizon;

GRANT SELECT ON sale_lines, inventory_snapshots, archive_horizons, sales_hourly_archived,
  sales_daily_archived TO shelfops_gateway;
