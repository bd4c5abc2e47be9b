import sql, { empty, type Sql } from 'sql-template-tag';
import {
  measureValue,
  partsOrZero,
  RATIO_SCALE,
  summedParts,
  type MeasureName,
} from '../analytics/measures.js';
import type { RequestDb } from '../db/request-db.js';
import { userError } from '../errors.js';
import type { Segment, TimeRange } from './plan.js';
import { segmentRows, type RoutedFilters, type SalesFilters } from './sales-sql.js';
import { planTotals, routed, type TrendOptions } from './sales-store.js';

/**
 * The measures products can be classed by, as the `by` argument names them: each one the model
 * declares is offered (a measure added to the model is offered by adding its line here).
 */
export const CLASS_MEASURES: Partial<Record<MeasureName, string>> = {
  revenue: 'REVENUE',
  units: 'UNITS',
  grossMargin: 'MARGIN',
};

/** The most rows one productClasses answer holds (products, or stores × products). */
export const MAX_CLASS_ROWS = 10_000;

export interface ProductClassRow {
  storeId: string | null;
  productId: string;
  value: string | null;
  share: string | null;
  cumulativeShare: string | null;
  rank: number;
  class: 'A' | 'B' | 'C' | null;
}

/**
 * Each product's class over the segments, overall or per store: its value of measure `by`,
 * ranked highest first with ties by SKU; its share of the total and the share cumulated up to
 * and including it (rounded half-up to RATIO_SCALE places). A product is A when the share
 * cumulated before it is below thresholds[0] (so class A holds the products that make the
 * first thresholds[0] of the total, the one crossing it included), B below thresholds[1],
 * else C; compared exactly, not on rounded shares. Every product of the filters gets a row (0
 * where it sold nothing); share and class are null where the total is 0 or less. A value that
 * is not known (the margin of a product some line of which kept no cost) ranks after every
 * known one, ties by SKU, counts for no total, and has no share, cumulative share or class.
 */
export function productClassesSql(q: {
  segments: readonly Segment[];
  filters: RoutedFilters;
  by: MeasureName;
  thresholds: readonly [string, string];
  perStore: boolean;
  limit: number;
}): Sql {
  const store = q.perStore ? sql`s.id` : sql`NULL::uuid`;
  const round = (v: Sql) => sql`round(${v}, ${RATIO_SCALE})::text`;
  return sql`/* productClasses */
    WITH parts AS (
      ${segmentRows(q.segments, q.filters)}
    ), agg AS (
      SELECT ${q.perStore ? sql`p.store_id` : sql`NULL::uuid`} AS store_id, p.product_id,
             ${summedParts(sql`p`)}
      FROM parts p
      GROUP BY 1, 2
    ), valued AS (
      SELECT ${store} AS store_id, c.id AS product_id, c.sku,
             (${measureValue(q.by, partsOrZero(sql`a`))})::numeric AS value
      FROM products c
      ${q.perStore ? sql`CROSS JOIN stores s` : empty}
      LEFT JOIN agg a ON a.product_id = c.id
        ${q.perStore ? sql`AND a.store_id = s.id` : empty}
      WHERE c.customer_id = ${q.filters.tenant}::uuid
        ${q.perStore ? sql`AND s.customer_id = ${q.filters.tenant}::uuid` : empty}
        ${q.filters.productIds ? sql`AND c.id = ANY(${q.filters.productIds}::uuid[])` : empty}
        ${q.filters.categories ? sql`AND c.category = ANY(${q.filters.categories}::text[])` : empty}
        ${q.perStore && q.filters.storeIds ? sql`AND s.id = ANY(${q.filters.storeIds}::uuid[])` : empty}
    ), ranked AS (
      SELECT v.*,
             row_number() OVER w AS rank,
             sum(v.value) OVER (w ROWS UNBOUNDED PRECEDING) AS running,
             sum(v.value) OVER (PARTITION BY v.store_id) AS total
      FROM valued v
      WINDOW w AS (PARTITION BY v.store_id ORDER BY v.value DESC NULLS LAST, v.sku)
    )
    SELECT r.store_id AS "storeId", r.product_id AS "productId", r.value::text AS "value",
           CASE WHEN r.total > 0 THEN ${round(sql`r.value / r.total`)} END AS "share",
           CASE WHEN r.total > 0 AND r.value IS NOT NULL THEN ${round(sql`r.running / r.total`)} END AS "cumulativeShare",
           r.rank::integer AS "rank",
           CASE WHEN r.value IS NULL OR r.total <= 0 THEN NULL
                WHEN r.running - r.value < ${q.thresholds[0]}::numeric * r.total THEN 'A'
                WHEN r.running - r.value < ${q.thresholds[1]}::numeric * r.total THEN 'B'
                ELSE 'C' END AS "class"
    FROM ranked r
    ORDER BY r.store_id, r.rank
    LIMIT ${q.limit}`;
}

/** Checks the two thresholds: 0 < first < second <= 1. */
export function validThresholds(thresholds: readonly number[]): [string, string] {
  const [a, b] = thresholds;
  if (
    thresholds.length !== 2 ||
    a === undefined ||
    b === undefined ||
    !(a > 0 && a < b && b <= 1)
  ) {
    throw userError(
      'thresholds must be two cumulative shares with 0 < A < B <= 1, such as [0.8, 0.95]',
      'BAD_USER_INPUT',
      { argument: 'thresholds' },
    );
  }
  return [String(a), String(b)];
}

/** The classes of the products the filters name, overall or per store. */
export async function productClasses(
  db: RequestDb,
  q: {
    range: TimeRange;
    filters: SalesFilters;
    by: MeasureName;
    thresholds: readonly number[];
    perStore: boolean;
  },
  options: TrendOptions = {},
): Promise<ProductClassRow[]> {
  const thresholds = validThresholds(q.thresholds);
  const rows = await db.query<ProductClassRow>(
    productClassesSql({
      ...q,
      filters: routed(db, q.filters),
      thresholds,
      segments: planTotals(q.range, options),
      limit: MAX_CLASS_ROWS + 1,
    }),
  );
  if (rows.length > MAX_CLASS_ROWS) {
    throw userError(
      `productClasses would return more than ${MAX_CLASS_ROWS} rows; filter stores, products or categories`,
      'BAD_USER_INPUT',
      { maxRows: MAX_CLASS_ROWS },
    );
  }
  return rows;
}
