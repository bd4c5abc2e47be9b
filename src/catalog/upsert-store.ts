import sql from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';

/** A store as the tenant describes it, keyed by its code. */
export interface StoreUpsert {
  code: string;
  name: string;
  region: string;
  timeZone: string;
  sizeSqm: number | null;
  openedOn: string | null;
  retired: boolean;
}

/** A product as the tenant describes it, keyed by its SKU. */
export interface ProductUpsert {
  sku: string;
  name: string;
  category: string;
  unitPrice: string;
  /** Unit cost; null keeps the product's current cost (none for a new product). */
  cost: string | null;
  /**
   * When a changed cost takes effect; null: now, or for a product's first cost, for all its
   * earlier sales. Ignored when the cost is unchanged.
   */
  costFrom: Date | null;
  retired: boolean;
}

/** Counts of an upsert and the ids of its rows in input order. */
export interface UpsertOutcome {
  created: number;
  updated: number;
  ids: string[];
}

interface Touched {
  key: string;
  id: string;
  created: boolean;
}

function outcome(keys: readonly string[], touched: Touched[], all: { key: string; id: string }[]) {
  const byKey = new Map(all.map((r) => [r.key, r.id]));
  return {
    created: touched.filter((t) => t.created).length,
    updated: touched.filter((t) => !t.created).length,
    ids: keys.map((k) => byKey.get(k) ?? ''),
  };
}

/**
 * Creates or updates stores by code in the request's transaction; a row whose values are
 * unchanged is not written (an identical re-run updates nothing). Keys must be distinct.
 */
export async function upsertStores(
  db: RequestDb,
  stores: readonly StoreUpsert[],
): Promise<UpsertOutcome> {
  const codes = stores.map((s) => s.code);
  const touched = await db.query<Touched>(sql`/* upsertStores */
    INSERT INTO stores AS s (customer_id, id, code, name, region, time_zone, size_sqm, opened_on, retired)
    SELECT ${db.customerId}::uuid, gen_random_uuid(), u.code, u.name, u.region, u.time_zone,
           u.size_sqm, u.opened_on, u.retired
    FROM unnest(${codes}::text[], ${stores.map((s) => s.name)}::text[],
                ${stores.map((s) => s.region)}::text[], ${stores.map((s) => s.timeZone)}::text[],
                ${stores.map((s) => s.sizeSqm)}::integer[], ${stores.map((s) => s.openedOn)}::date[],
                ${stores.map((s) => s.retired)}::boolean[])
         AS u(code, name, region, time_zone, size_sqm, opened_on, retired)
    ON CONFLICT (customer_id, code) DO UPDATE
      SET name = excluded.name, region = excluded.region, time_zone = excluded.time_zone,
          size_sqm = excluded.size_sqm, opened_on = excluded.opened_on, retired = excluded.retired
      WHERE (s.name, s.region, s.time_zone, s.size_sqm, s.opened_on, s.retired)
            IS DISTINCT FROM (excluded.name, excluded.region, excluded.time_zone,
                              excluded.size_sqm, excluded.opened_on, excluded.retired)
    RETURNING s.code AS "key", s.id AS "id", (s.xmax = 0) AS "created"`);
  const all = await db.query<{ key: string; id: string }>(sql`/* storeIdsByCodes */
    SELECT s.code AS "key", s.id AS "id" FROM stores s
    WHERE s.customer_id = ${db.customerId}::uuid AND s.code = ANY(${codes}::text[])`);
  return outcome(codes, touched, all);
}

/**
 * The products whose new cost would start no later than their current cost (a period can only
 * be added after the last one), each with when the current cost took effect, by SKU. Only
 * lines naming a costFrom can; none is read when no line does.
 */
export async function costFromConflicts(
  db: RequestDb,
  products: readonly ProductUpsert[],
): Promise<Map<string, Date>> {
  const dated = products.filter((p) => p.cost !== null && p.costFrom !== null);
  if (dated.length === 0) return new Map();
  const rows = await db.query<{ sku: string; currentFrom: Date }>(sql`/* costFromConflicts */
    SELECT p.sku AS "sku", p.cost_from AS "currentFrom"
    FROM unnest(${dated.map((p) => p.sku)}::text[], ${dated.map((p) => p.cost)}::numeric(12, 2)[],
                ${dated.map((p) => p.costFrom?.toISOString() ?? null)}::timestamptz[])
         AS u(sku, cost, cost_from)
    JOIN products p ON p.customer_id = ${db.customerId}::uuid AND p.sku = u.sku
    WHERE p.cost IS DISTINCT FROM u.cost AND u.cost_from <= p.cost_from`);
  return new Map(rows.map((r) => [r.sku, r.currentFrom]));
}

/**
 * Creates or updates products by SKU, as upsertStores does for stores. A changed cost adds a
 * period to the product's cost history (see migration 0023), from costFrom or now.
 */
export async function upsertProducts(
  db: RequestDb,
  products: readonly ProductUpsert[],
): Promise<UpsertOutcome> {
  const skus = products.map((p) => p.sku);
  const touched = await db.query<Touched>(sql`/* upsertProducts */
    INSERT INTO products AS p
      (customer_id, id, sku, name, category, unit_price, cost, cost_from, retired)
    SELECT ${db.customerId}::uuid, gen_random_uuid(), u.sku, u.name, u.category, u.unit_price,
           u.cost, u.cost_from, u.retired
    FROM unnest(${skus}::text[], ${products.map((p) => p.name)}::text[],
                ${products.map((p) => p.category)}::text[],
                ${products.map((p) => p.unitPrice)}::numeric(12, 2)[],
                ${products.map((p) => p.cost)}::numeric(12, 2)[],
                ${products.map((p) => p.costFrom?.toISOString() ?? null)}::timestamptz[],
                ${products.map((p) => p.retired)}::boolean[])
         AS u(sku, name, category, unit_price, cost, cost_from, retired)
    ON CONFLICT (customer_id, sku) DO UPDATE
      SET name = excluded.name, category = excluded.category, unit_price = excluded.unit_price,
          cost = coalesce(excluded.cost, p.cost), cost_from = excluded.cost_from,
          retired = excluded.retired
      WHERE (p.name, p.category, p.unit_price, p.cost, p.retired)
            IS DISTINCT FROM (excluded.name, excluded.category, excluded.unit_price,
                              coalesce(excluded.cost, p.cost), excluded.retired)
    RETURNING p.sku AS "key", p.id AS "id", (p.xmax = 0) AS "created"`);
  const all = await db.query<{ key: string; id: string }>(sql`/* productIdsBySkus */
    SELECT p.sku AS "key", p.id AS "id" FROM products p
    WHERE p.customer_id = ${db.customerId}::uuid AND p.sku = ANY(${skus}::text[])`);
  return outcome(skus, touched, all);
}
