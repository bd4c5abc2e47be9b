import sql, { empty } from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';
import { byKey, defineLoader } from '../loaders.js';

export interface StoreRow {
  id: string;
  code: string;
  name: string;
  region: string;
  timeZone: string;
  sizeSqm: number | null;
  openedOn: string | null;
}

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  category: string;
  unitPrice: string;
  cost: string | null;
}

const storeColumns = sql`
  s.id AS "id", s.code AS "code", s.name AS "name", s.region AS "region",
  s.time_zone AS "timeZone", s.size_sqm AS "sizeSqm", s.opened_on AS "openedOn"`;

const productColumns = sql`
  p.id AS "id", p.sku AS "sku", p.name AS "name", p.category AS "category",
  p.unit_price::text AS "unitPrice", p.cost::text AS "cost"`;

/** Escapes LIKE wildcards so a search term matches literally. */
function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Stores by id, batched per request; RLS limits them to the tenant and store scope. */
export const storeById = defineLoader<string, StoreRow | null>('storeById', async (db, ids) => {
  const rows = await db.query<StoreRow>(sql`/* storesById */
    SELECT ${storeColumns} FROM stores s
    WHERE s.customer_id = ${db.customerId}::uuid AND s.id = ANY(${ids}::uuid[])`);
  return byKey(ids, rows, (r) => r.id);
});

/** Products by id, batched per request. */
export const productById = defineLoader<string, ProductRow | null>(
  'productById',
  async (db, ids) => {
    const rows = await db.query<ProductRow>(sql`/* productsById */
    SELECT ${productColumns} FROM products p
    WHERE p.customer_id = ${db.customerId}::uuid AND p.id = ANY(${ids}::uuid[])`);
    return byKey(ids, rows, (r) => r.id);
  },
);

/** One page of stores ordered by (code, id), after the keyset position `after`. */
export function listStores(
  db: RequestDb,
  page: {
    limit: number;
    after: readonly [string, string] | null;
    search: string | null;
    region: string | null;
  },
) {
  return db.query<StoreRow>(sql`/* listStores */
    SELECT ${storeColumns} FROM stores s
    WHERE s.customer_id = ${db.customerId}::uuid
      ${page.after ? sql`AND (s.code, s.id) > (${page.after[0]}, ${page.after[1]}::uuid)` : empty}
      ${page.search ? sql`AND (s.name ILIKE ${containsPattern(page.search)} OR s.code ILIKE ${containsPattern(page.search)})` : empty}
      ${page.region ? sql`AND s.region = ${page.region}` : empty}
    ORDER BY s.code, s.id
    LIMIT ${page.limit + 1}`);
}

/** One page of products ordered by (sku, id), optionally searched and filtered by category. */
export function listProducts(
  db: RequestDb,
  page: {
    limit: number;
    after: readonly [string, string] | null;
    search: string | null;
    category: string | null;
  },
) {
  return db.query<ProductRow>(sql`/* listProducts */
    SELECT ${productColumns} FROM products p
    WHERE p.customer_id = ${db.customerId}::uuid
      ${page.after ? sql`AND (p.sku, p.id) > (${page.after[0]}, ${page.after[1]}::uuid)` : empty}
      ${page.search ? sql`AND (p.name ILIKE ${containsPattern(page.search)} OR p.sku ILIKE ${containsPattern(page.search)})` : empty}
      ${page.category ? sql`AND p.category = ${page.category}` : empty}
    ORDER BY p.sku, p.id
    LIMIT ${page.limit + 1}`);
}

/** The distinct product categories of the tenant. */
export function listCategories(db: RequestDb) {
  return db.query<{ category: string }>(sql`/* listCategories */
    SELECT DISTINCT p.category AS "category" FROM products p
    WHERE p.customer_id = ${db.customerId}::uuid ORDER BY 1`);
}

/**
 * The ids of the tenant's stores with these codes. Row-level security hides the codes of other
 * tenants and of stores outside the caller's scope, so they are absent.
 */
export async function storeIdsByCode(
  db: RequestDb,
  codes: readonly string[],
): Promise<Map<string, string>> {
  const rows = await db.query<{ code: string; id: string }>(sql`/* storeIdsByCode */
    SELECT s.code AS "code", s.id AS "id" FROM stores s
    WHERE s.customer_id = ${db.customerId}::uuid AND s.code = ANY(${codes}::text[])`);
  return new Map(rows.map((r) => [r.code, r.id]));
}

/** The ids of the tenant's products with these SKUs. */
export async function productIdsBySku(
  db: RequestDb,
  skus: readonly string[],
): Promise<Map<string, string>> {
  const rows = await db.query<{ sku: string; id: string }>(sql`/* productIdsBySku */
    SELECT p.sku AS "sku", p.id AS "id" FROM products p
    WHERE p.customer_id = ${db.customerId}::uuid AND p.sku = ANY(${skus}::text[])`);
  return new Map(rows.map((r) => [r.sku, r.id]));
}

/** Store ids by code, batched per request (null for an unknown or hidden code). */
export const storeIdByCode = defineLoader<string, string | null>(
  'storeIdByCode',
  async (db, codes) => {
    const ids = await storeIdsByCode(db, codes);
    return codes.map((code) => ids.get(code) ?? null);
  },
);

/** Product ids by SKU, batched per request (null for a SKU the tenant does not have). */
export const productIdBySku = defineLoader<string, string | null>(
  'productIdBySku',
  async (db, skus) => {
    const ids = await productIdsBySku(db, skus);
    return skus.map((sku) => ids.get(sku) ?? null);
  },
);
