import sql from 'sql-template-tag';
import type { Pool, PoolClient } from '../db/pool.js';
import type { SeedProduct, SeedStore } from './catalog.js';
import type {
  AlertRecord,
  AnomalyRecord,
  ForecastBatch,
  ReorderPointRecord,
  SalesBatch,
  StockBatch,
} from './simulate.js';

/** Where a tenant's generated rows go: its ids and the period's first day. */
export interface TenantTarget {
  seed: number;
  customerId: string;
  name: string;
  stores: SeedStore[];
  products: SeedProduct[];
  /** First day of the period, 'YYYY-MM-DD' (UTC). */
  start: string;
  /** Exclusive end of the period. */
  end: Date;
  modelVersion: string;
  /** Salt of the tenant's pseudo-random line ids and times (from the seed). */
  salt: number;
}

function storeIds(t: TenantTarget) {
  return t.stores.map((s) => s.id);
}

function storeZones(t: TenantTarget) {
  return t.stores.map((s) => s.timeZone);
}

/**
 * Runs one batch in a transaction of its own with JIT compilation off: the planner's row
 * estimates for unnest over parameters are far off, and compiling costs more than the batch.
 */
export async function inBatch<T>(pool: Pool, work: (client: PoolClient) => Promise<T>) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`/* seedBatchSettings */ SET LOCAL jit = off`);
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/** Tenants among `ids` that already exist. */
export async function existingTenants(pool: Pool, ids: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(sql`/* seedExistingTenants */
    SELECT id::text AS "id" FROM customers WHERE id = ANY(${ids}::uuid[]) ORDER BY id`);
  return rows.map((r) => r.id);
}

/**
 * Inserts the tenant, its stores and its products. The tenant reports in the zone of its first
 * store, its head office's region.
 */
export async function insertCatalog(pool: Pool, t: TenantTarget): Promise<void> {
  await pool.query(sql`/* seedCustomer */
    INSERT INTO customers (id, name, time_zone, created_at)
    VALUES (${t.customerId}::uuid, ${t.name}, ${storeZones(t)[0] ?? 'UTC'}, ${t.start}::date - 400)`);
  await pool.query(sql`/* seedStores */
    INSERT INTO stores (customer_id, id, code, name, region, time_zone, size_sqm, opened_on, created_at)
    SELECT ${t.customerId}::uuid, s.id, s.code, s.name, s.region, s.time_zone, s.size_sqm,
           s.opened_on, ${t.start}::date - 400
    FROM unnest(${storeIds(t)}::uuid[], ${t.stores.map((s) => s.code)}::text[],
                ${t.stores.map((s) => s.name)}::text[], ${t.stores.map((s) => s.region)}::text[],
                ${storeZones(t)}::text[], ${t.stores.map((s) => s.sizeSqm)}::integer[],
                ${t.stores.map((s) => s.openedOn)}::date[])
         AS s(id, code, name, region, time_zone, size_sqm, opened_on)`);
  await pool.query(sql`/* seedProducts */
    INSERT INTO products (customer_id, id, sku, name, category, unit_price, cost, created_at)
    SELECT ${t.customerId}::uuid, p.id, p.sku, p.name, p.category,
           (p.cents::numeric / 100)::numeric(12, 2), (p.cost_cents::numeric / 100)::numeric(12, 2),
           ${t.start}::date - 400
    FROM unnest(${t.products.map((p) => p.id)}::uuid[], ${t.products.map((p) => p.sku)}::text[],
                ${t.products.map((p) => p.name)}::text[], ${t.products.map((p) => p.category)}::text[],
                ${t.products.map((p) => p.priceCents)}::integer[],
                ${t.products.map((p) => p.costCents)}::integer[])
         AS p(id, sku, name, category, cents, cost_cents)`);
}

/**
 * Expands a batch of store/product/days into POS lines, generated in the database: the day's
 * units split over its lines, each line at a pseudo-random moment of the store's opening hours
 * in its local time zone (busier mid-day), with an id laid out like a UUIDv7 (time first). The
 * randomness is hashint8extended of the line's position salted with the tenant's seed, so a
 * seed always yields the same rows. Lines that would fall outside the period (late evening in
 * the west on its last day) are left out. Revenue is quantity × unit price, in numeric. Each
 * line gets its idempotency key, as recordSales writes it, so a seeded transaction id sent again
 * is a duplicate (or a CONFLICT with other content). A store's lines of the same half hour are
 * rung up on one receipt, so the demo's receipts hold a few products each. Returns the lines
 * written.
 */
export async function insertSales(
  client: PoolClient,
  t: TenantTarget,
  b: SalesBatch,
): Promise<number> {
  const result = await client.query(sql`/* seedTransactions */
    WITH line AS MATERIALIZED (
      SELECT r.store, r.product, r.open_minute, r.open_minutes, r.day,
             (r.cents::numeric / 100)::numeric(12, 2) AS price,
             (r.units * k) / r.lines - (r.units * (k - 1)) / r.lines AS quantity,
             hashint8extended(position, ${t.salt}::bigint) AS h1,
             hashint8extended(position, ${t.salt}::bigint + 1) AS h2
      FROM unnest(${b.store}::integer[], ${b.product}::integer[], ${b.day}::integer[],
                  ${b.units}::integer[], ${b.lines}::integer[], ${b.priceCents}::integer[],
                  ${b.openMinute}::integer[], ${b.openMinutes}::integer[])
             AS r(store, product, day, units, lines, cents, open_minute, open_minutes),
           generate_series(1, r.lines) AS k,
           LATERAL (SELECT (((r.day::bigint * ${t.stores.length} + r.store) * ${t.products.length}
                             + r.product) << 16) + k AS position) p
    ), timed AS MATERIALIZED (
      SELECT line.*,
             ((${t.start}::date + line.day)::timestamp
               + (line.open_minute * 60
                  + ((h1 & 16777215) + ((h1 >> 24) & 16777215)) * line.open_minutes * 60 / 33554432)
                 * interval '1 second')
             AT TIME ZONE (${storeZones(t)}::text[])[line.store] AS time
      FROM line
    ), stored AS (
      INSERT INTO transactions
        (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue,
         receipt_id, unit_cost)
      SELECT ${t.customerId}::uuid,
             (lpad(to_hex((extract(epoch FROM timed.time) * 1000)::bigint), 12, '0')
               || '7' || lpad(to_hex((h1 >> 48) & 4095), 3, '0')
               || '8' || lpad(to_hex(h2 & 1152921504606846975), 15, '0'))::uuid,
             timed.time,
             (${storeIds(t)}::uuid[])[timed.store],
             (${t.products.map((p) => p.id)}::uuid[])[timed.product],
             timed.quantity, timed.price, timed.quantity * timed.price,
             'R' || (extract(epoch FROM timed.time)::bigint / 1800),
             ((${t.products.map((p) => p.costCents)}::integer[])[timed.product]::numeric
               / 100)::numeric(12, 2)
      FROM timed
      WHERE timed.time >= ${t.start}::date::timestamp AT TIME ZONE 'UTC'
        AND timed.time < ${t.end}::timestamptz
      -- In time order, so each receipt opens at its earliest line, on every backend alike.
      ORDER BY timed.time, timed.h1
      RETURNING customer_id, transaction_id, time, store_id, product_id, quantity, unit_price,
                receipt_id
    )
    INSERT INTO sale_keys (customer_id, transaction_id, time, content)
    SELECT customer_id, transaction_id, time,
           app.sale_content(store_id, product_id, quantity, unit_price, receipt_id)
    FROM stored`);
  return result.rowCount ?? 0;
}

/** Inserts opening-time stock snapshots (local time of each store). */
export async function insertStock(
  client: PoolClient,
  t: TenantTarget,
  b: StockBatch,
): Promise<number> {
  const result = await client.query(sql`/* seedInventory */
    INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
    SELECT ${t.customerId}::uuid,
           (${storeIds(t)}::uuid[])[r.store],
           (${t.products.map((p) => p.id)}::uuid[])[r.product],
           ((${t.start}::date + r.day)::timestamp + r.minute * interval '1 minute')
             AT TIME ZONE (${storeZones(t)}::text[])[r.store],
           r.on_hand, r.allocated
    FROM unnest(${b.store}::integer[], ${b.product}::integer[], ${b.day}::integer[],
                ${b.onHand}::integer[], ${b.allocated}::integer[], ${b.minute}::integer[])
         AS r(store, product, day, on_hand, allocated, minute)`);
  return result.rowCount ?? 0;
}

/** Inserts daily forecasts (UTC days) with their bounds and model version. */
export async function insertForecasts(
  client: PoolClient,
  t: TenantTarget,
  b: ForecastBatch,
): Promise<number> {
  const result = await client.query(sql`/* seedForecasts */
    INSERT INTO forecasts
      (customer_id, store_id, product_id, time, model_version, units, units_lower, units_upper,
       created_at)
    SELECT ${t.customerId}::uuid,
           (${storeIds(t)}::uuid[])[r.store],
           (${t.products.map((p) => p.id)}::uuid[])[r.product],
           (${t.start}::date + r.day)::timestamp AT TIME ZONE 'UTC',
           ${t.modelVersion},
           (r.units::numeric / 100)::numeric(12, 2),
           (r.lower::numeric / 100)::numeric(12, 2),
           (r.upper::numeric / 100)::numeric(12, 2),
           ${t.end}::timestamptz - interval '14 days'
    FROM unnest(${b.store}::integer[], ${b.product}::integer[], ${b.day}::integer[],
                ${b.unitsCents}::integer[], ${b.lowerCents}::integer[], ${b.upperCents}::integer[])
         AS r(store, product, day, units, lower, upper)`);
  return result.rowCount ?? 0;
}

/** Inserts current and closed reorder points (periods start and end at UTC midnight). */
export async function insertReorderPoints(
  pool: Pool,
  t: TenantTarget,
  rows: ReorderPointRecord[],
): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(sql`/* seedReorderPoints */
    INSERT INTO reorder_points
      (customer_id, id, store_id, product_id, reorder_point, reorder_quantity, valid_from, valid_to)
    SELECT ${t.customerId}::uuid, r.id,
           (${storeIds(t)}::uuid[])[r.store + 1],
           (${t.products.map((p) => p.id)}::uuid[])[r.product + 1],
           r.reorder_point, r.reorder_quantity,
           (${t.start}::date + r.from_day)::timestamp AT TIME ZONE 'UTC',
           (${t.start}::date + r.to_day)::timestamp AT TIME ZONE 'UTC'
    FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.store)}::integer[],
                ${rows.map((r) => r.product)}::integer[], ${rows.map((r) => r.reorderPoint)}::integer[],
                ${rows.map((r) => r.reorderQuantity)}::integer[], ${rows.map((r) => r.fromDay)}::integer[],
                ${rows.map((r) => r.toDay)}::integer[])
         AS r(id, store, product, reorder_point, reorder_quantity, from_day, to_day)`);
}

/**
 * Inserts alerts. Lifecycle moments are given as day index and local minute of the store:
 * acknowledged half an hour and resolved an hour after that minute on their day.
 */
export async function insertAlerts(pool: Pool, t: TenantTarget, rows: AlertRecord[]) {
  if (rows.length === 0) return;
  await pool.query(sql`/* seedAlerts */
    WITH a AS (
      SELECT a.*, (${storeZones(t)}::text[])[a.store + 1] AS zone
      FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.store)}::integer[],
                  ${rows.map((r) => r.product)}::integer[], ${rows.map((r) => r.type)}::text[],
                  ${rows.map((r) => r.severity)}::text[], ${rows.map((r) => r.status)}::text[],
                  ${rows.map((r) => r.message)}::text[], ${rows.map((r) => r.occurrences)}::integer[],
                  ${rows.map((r) => r.createdDay)}::integer[], ${rows.map((r) => r.createdMinute)}::integer[],
                  ${rows.map((r) => r.updatedDay)}::integer[], ${rows.map((r) => r.acknowledgedDay)}::integer[],
                  ${rows.map((r) => r.resolvedDay)}::integer[], ${rows.map((r) => r.note)}::text[])
           AS a(id, store, product, type, severity, status, message, occurrences, created_day,
                minute, updated_day, acknowledged_day, resolved_day, note)
    ), timed AS (
      SELECT a.*,
             ((${t.start}::date + created_day)::timestamp + minute * interval '1 minute') AT TIME ZONE zone AS created_at,
             ((${t.start}::date + updated_day)::timestamp + minute * interval '1 minute') AT TIME ZONE zone AS touched_at,
             ((${t.start}::date + acknowledged_day)::timestamp + (minute + 30) * interval '1 minute') AT TIME ZONE zone AS acknowledged_at,
             ((${t.start}::date + resolved_day)::timestamp + (minute + 60) * interval '1 minute') AT TIME ZONE zone AS resolved_at
      FROM a
    )
    INSERT INTO alerts
      (customer_id, id, store_id, product_id, type, severity, status, message, occurrences,
       created_at, updated_at, acknowledged_at, resolved_at, resolution_note)
    SELECT ${t.customerId}::uuid, id,
           (${storeIds(t)}::uuid[])[store + 1],
           (${t.products.map((p) => p.id)}::uuid[])[product + 1],
           type, severity, status, message, occurrences, created_at,
           greatest(created_at, touched_at, acknowledged_at, resolved_at),
           acknowledged_at, resolved_at, note
    FROM timed`);
}

/** Inserts anomalies with their JSON metadata, detected at a local minute of a day. */
export async function insertAnomalies(pool: Pool, t: TenantTarget, rows: AnomalyRecord[]) {
  if (rows.length === 0) return;
  await pool.query(sql`/* seedAnomalies */
    INSERT INTO anomalies (customer_id, id, store_id, product_id, kind, detected_at, score, metadata)
    SELECT ${t.customerId}::uuid, a.id,
           (${storeIds(t)}::uuid[])[a.store + 1],
           (${t.products.map((p) => p.id)}::uuid[])[a.product + 1],
           a.kind,
           ((${t.start}::date + a.day)::timestamp + a.minute * interval '1 minute')
             AT TIME ZONE (${storeZones(t)}::text[])[a.store + 1],
           a.score, a.metadata
    FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.store)}::integer[],
                ${rows.map((r) => r.product)}::integer[], ${rows.map((r) => r.kind)}::text[],
                ${rows.map((r) => r.day)}::integer[], ${rows.map((r) => r.minute)}::integer[],
                ${rows.map((r) => r.score.toFixed(3))}::numeric[],
                ${rows.map((r) => JSON.stringify(r.metadata))}::jsonb[])
         AS a(id, store, product, kind, day, minute, score, metadata)`);
}
