import sql, { empty, type Sql } from 'sql-template-tag';
import { RATIO_SCALE } from '../analytics/measures.js';
import type { RequestDb } from '../db/request-db.js';
import { userError } from '../errors.js';
import type { Segment, TimeRange } from './plan.js';
import { segmentRows, type RoutedFilters } from './sales-sql.js';
import { planTotals, type TrendOptions } from './sales-store.js';

/** The most store/product pairs one sellThrough answer holds. */
export const MAX_SELL_THROUGH_PAIRS = 2000;

const WEEK_SECONDS = 7 * 86_400;

/** Why a figure of a sell-through row is null. */
export type SellThroughReason =
  'NO_SNAPSHOT_AT_START' | 'NO_SNAPSHOT_AT_END' | 'NO_UNITS_SOLD' | 'NOTHING_SOLD_OR_IN_STOCK';

export interface SellThroughRow {
  storeId: string;
  productId: string;
  unitsSold: string;
  startingAt: Date | null;
  startingStock: number | null;
  endingAt: Date | null;
  endingStock: number | null;
  sellThroughRate: string | null;
  weeksOfSupply: string | null;
}

/**
 * Sell-through of each store/product pair of the filters (the caller's stores × the tenant's
 * products, in key order): net units sold over the range from the sales model's routes, the
 * on-hand stock of the latest snapshot at or before each edge (app.snapshot_at: one backward
 * probe of the snapshots' key per pair and edge), sold ÷ (sold + ending stock), and ending
 * stock ÷ average weekly units (units ÷ the range's length in weeks), each rounded half-up to
 * RATIO_SCALE places. `limit` caps the pairs read.
 */
export function sellThroughSql(q: {
  range: TimeRange;
  segments: readonly Segment[];
  storeIds: readonly string[] | null;
  productIds: readonly string[] | null;
  /** The request's tenant, bound on every relation for routing. */
  tenant: string;
  limit: number;
}): Sql {
  const seconds = (q.range.to.getTime() - q.range.from.getTime()) / 1000;
  const filters: RoutedFilters = {
    storeIds: q.storeIds,
    productIds: q.productIds,
    categories: null,
    tenant: q.tenant,
  };
  return sql`/* sellThrough */
    WITH pairs AS (
      SELECT s.id AS store_id, p.id AS product_id
      FROM stores s CROSS JOIN products p
      WHERE s.customer_id = ${q.tenant}::uuid AND p.customer_id = ${q.tenant}::uuid
        ${q.storeIds ? sql`AND s.id = ANY(${q.storeIds}::uuid[])` : empty}
        ${q.productIds ? sql`AND p.id = ANY(${q.productIds}::uuid[])` : empty}
      ORDER BY s.id, p.id
      LIMIT ${q.limit}
    ), sold AS (
      SELECT r.store_id, r.product_id, sum(r.units)::bigint AS units
      FROM (${segmentRows(q.segments, filters)}) r
      GROUP BY r.store_id, r.product_id
    ), edges AS (
      SELECT k.store_id, k.product_id, coalesce(d.units, 0) AS units,
             st.time AS start_time, st.on_hand AS start_stock,
             en.time AS end_time, en.on_hand AS end_stock
      FROM pairs k
      LEFT JOIN sold d ON d.store_id = k.store_id AND d.product_id = k.product_id
      LEFT JOIN LATERAL app.snapshot_at(k.store_id, k.product_id, ${q.range.from}::timestamptz) st ON true
      LEFT JOIN LATERAL app.snapshot_at(k.store_id, k.product_id, ${q.range.to}::timestamptz) en ON true
    )
    SELECT e.store_id AS "storeId", e.product_id AS "productId", e.units::text AS "unitsSold",
           e.start_time AS "startingAt", e.start_stock AS "startingStock",
           e.end_time AS "endingAt", e.end_stock AS "endingStock",
           CASE WHEN e.end_stock IS NULL OR e.units + e.end_stock <= 0 THEN NULL
                ELSE round(e.units::numeric / (e.units + e.end_stock), ${RATIO_SCALE})::text END AS "sellThroughRate",
           CASE WHEN e.end_stock IS NULL OR e.units <= 0 THEN NULL
                ELSE round(e.end_stock::numeric * ${seconds}::numeric / (e.units * ${WEEK_SECONDS}::numeric), ${RATIO_SCALE})::text END AS "weeksOfSupply"
    FROM edges e
    ORDER BY e.store_id, e.product_id`;
}

/** Why each null figure of `row` is null. */
export function sellThroughReasons(row: SellThroughRow): SellThroughReason[] {
  const reasons: SellThroughReason[] = [];
  if (row.startingStock === null) reasons.push('NO_SNAPSHOT_AT_START');
  if (row.endingStock === null) reasons.push('NO_SNAPSHOT_AT_END');
  const sold = BigInt(row.unitsSold);
  if (sold <= 0n) reasons.push('NO_UNITS_SOLD');
  if (row.endingStock !== null && sold + BigInt(row.endingStock) <= 0n) {
    reasons.push('NOTHING_SOLD_OR_IN_STOCK');
  }
  return reasons;
}

/** Sell-through rows of the pairs the filters name, refusing more than MAX_SELL_THROUGH_PAIRS. */
export async function sellThrough(
  db: RequestDb,
  q: { range: TimeRange; storeIds: readonly string[] | null; productIds: readonly string[] | null },
  options: TrendOptions = {},
): Promise<SellThroughRow[]> {
  const rows = await db.query<SellThroughRow>(
    sellThroughSql({
      ...q,
      tenant: db.customerId,
      segments: planTotals(q.range, options),
      limit: MAX_SELL_THROUGH_PAIRS + 1,
    }),
  );
  if (rows.length > MAX_SELL_THROUGH_PAIRS) {
    throw userError(
      `sellThrough covers more than ${MAX_SELL_THROUGH_PAIRS} store/product pairs; filter stores or products`,
      'BAD_USER_INPUT',
      { maxPairs: MAX_SELL_THROUGH_PAIRS },
    );
  }
  return rows;
}
