import DataLoader from 'dataloader';
import sql, { type Sql } from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';
import { defineLoader, type LoaderCache } from '../loaders.js';
import { dailyRows } from './sales-sql.js';

/** Window of the velocity loader used by other domains (days of cover). */
export const DEFAULT_VELOCITY_WINDOW_DAYS = 7;
/** Decimal places of the units-per-day strings the velocity loader returns. */
export const VELOCITY_SCALE = 6;

const DAY_MS = 86_400_000;

/** Today's date in UTC, as 'YYYY-MM-DD'. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * The UTC instants `[from, to)` of the trailing window of `windowDays` calendar days that ends
 * with the day `asOf` (inclusive).
 */
export function velocityWindow(asOf: string, windowDays: number): { from: Date; to: Date } {
  const end = Date.parse(`${asOf}T00:00:00Z`) + DAY_MS;
  return { from: new Date(end - windowDays * DAY_MS), to: new Date(end) };
}

export interface StoreProductKey {
  storeId: string;
  productId: string;
}

/**
 * Builds the statement returning units per day (rounded to 6 places) for each store/product
 * pair over a UTC-day window of the daily rollup; pairs without sales get 0.
 */
export function velocityForPairsSql(
  rollups: boolean,
  keys: readonly StoreProductKey[],
  window: { from: Date; to: Date },
  windowDays: number,
  tenant: string,
): Sql {
  const storeIds = keys.map((k) => k.storeId);
  const productIds = keys.map((k) => k.productId);
  return sql`/* velocityForPairs */
    SELECT k.store_id AS "storeId", k.product_id AS "productId",
           round(coalesce(sum(d.units), 0)::numeric / ${windowDays}::integer, ${VELOCITY_SCALE}::integer)::text
             AS "unitsPerDay"
    FROM unnest(${storeIds}::uuid[], ${productIds}::uuid[]) AS k(store_id, product_id)
    LEFT JOIN ${dailyRows(rollups, window, { storeIds, productIds, categories: null, tenant })} d
      ON d.store_id = k.store_id AND d.product_id = k.product_id
    GROUP BY k.store_id, k.product_id`;
}

async function loadVelocity(
  db: RequestDb,
  keys: readonly StoreProductKey[],
  asOf: string,
): Promise<string[]> {
  const normalized = keys.map((k) => ({
    storeId: k.storeId.toLowerCase(),
    productId: k.productId.toLowerCase(),
  }));
  const rows = await db.query<{ storeId: string; productId: string; unitsPerDay: string }>(
    velocityForPairsSql(
      true,
      normalized,
      velocityWindow(asOf, DEFAULT_VELOCITY_WINDOW_DAYS),
      DEFAULT_VELOCITY_WINDOW_DAYS,
      db.customerId,
    ),
  );
  const byPair = new Map(rows.map((r) => [`${r.storeId}:${r.productId}`, r.unitsPerDay]));
  return normalized.map((k) => byPair.get(`${k.storeId}:${k.productId}`) ?? '0');
}

const velocityByStoreProduct = defineLoader<StoreProductKey, string, string>(
  'velocityByStoreProduct',
  (db, keys) => loadVelocity(db, keys, todayUtc()),
  { cacheKeyFn: (k) => `${k.storeId.toLowerCase()}:${k.productId.toLowerCase()}` },
);

/**
 * Per-request batched loader of sales velocity: average units sold per calendar UTC day over
 * the 7 days ending today (inclusive), days without sales counted as zero, as a decimal string
 * with 6 places ("0.000000" when nothing sold). One statement per batch of keys.
 */
export function velocityLoader(ctx: {
  db: RequestDb;
  loaders: LoaderCache;
}): DataLoader<StoreProductKey, string, string> {
  return velocityByStoreProduct(ctx);
}
