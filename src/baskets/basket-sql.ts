import sql, { empty, raw, type Sql } from 'sql-template-tag';
import {
  measureColumns,
  RATIO_SCALE,
  scoped,
  summedParts,
  type PartName,
  type ReceiptScope,
} from '../analytics/measures.js';
import type { TimeRange } from '../sales/plan.js';
import { BASKET_MEASURE_NAMES } from './measures.js';

/** Which keys a receipt summary is split by; null: one row for everything. */
export type ReceiptGroup = 'store' | 'product' | 'category' | null;

export interface BasketFilters {
  storeIds: readonly string[] | null;
  productIds: readonly string[] | null;
}

/**
 * The raw sale lines `x` of the tenant in `range` under the filters (the receipts live nowhere
 * else); the tenant is bound beside the policies so Citus routes to its shard.
 */
function linesIn(tenant: string, range: TimeRange, filters: BasketFilters, x: Sql): Sql {
  return sql`${x}.customer_id = ${tenant}::uuid
      AND ${x}.time >= ${range.from}::timestamptz AND ${x}.time < ${range.to}::timestamptz
      ${filters.storeIds ? sql`AND ${x}.store_id = ANY(${filters.storeIds}::uuid[])` : empty}
      ${filters.productIds ? sql`AND ${x}.product_id = ANY(${filters.productIds}::uuid[])` : empty}`;
}

const KEYS: Record<Exclude<ReceiptGroup, null>, { key: Sql; column: Sql }> = {
  store: { key: sql`x.store_id`, column: sql`"storeId"` },
  product: { key: sql`x.product_id`, column: sql`"productId"` },
  category: { key: sql`c.category`, column: sql`"category"` },
};

/**
 * What a summary's receipts are: those opened in the range (overall, per store), those
 * containing each product (per product, or about one product), or, where opened receipts do not
 * add up (per category, over several products), the receipts holding a sale line of the
 * category or products within the range, counted once each.
 */
function summaryScope(group: ReceiptGroup, filters: BasketFilters): ReceiptScope {
  return group === 'category'
    ? 'none'
    : group === 'product'
      ? 'products'
      : filters.productIds === null
        ? 'receipts'
        : filters.productIds.length === 1
          ? 'products'
          : 'none';
}

/**
 * The receipt measures per key of `group` (or over everything) from the raw lines of `range`,
 * in key order, at most `limit` rows. Keys with lines but no receipt answer 0 receipts.
 */
export function receiptSummarySql(q: {
  tenant: string;
  range: TimeRange;
  filters: BasketFilters;
  group: ReceiptGroup;
  limit: number;
}): Sql {
  const k = q.group ? KEYS[q.group] : null;
  const scope = summaryScope(q.group, q.filters);
  const part = (p: PartName) =>
    scope === 'none' && p === 'receipts' ? sql`a.distinct_receipts` : sql`a.${raw(p)}`;
  return sql`/* receiptSummary */
    SELECT ${k ? sql`a.key AS ${k.column},` : empty}
           ${measureColumns(scope === 'none' ? part : scoped(scope, part), '', BASKET_MEASURE_NAMES)}
    FROM (
      SELECT ${k ? sql`${k.key} AS key,` : empty}
             ${summedParts(sql`x`, true)}${
               scope === 'none'
                 ? sql`,
             count(DISTINCT (x.store_id, x.receipt_id)) FILTER (WHERE x.receipt_id IS NOT NULL AND x.quantity > 0) AS distinct_receipts`
                 : empty
             }
      FROM sale_lines x
      ${q.group === 'category' ? sql`JOIN products c ON c.customer_id = x.customer_id AND c.id = x.product_id` : empty}
      WHERE ${linesIn(q.tenant, q.range, q.filters, sql`x`)}
      ${k ? sql`GROUP BY 1` : empty}
    ) a
    ${k ? sql`ORDER BY a.key` : empty}
    LIMIT ${q.limit}`;
}

/**
 * The products on the same baskets as `productId` in `range`: for each, the baskets holding
 * both, and over all baskets N, the anchor's baskets A and the product's baskets B:
 * support = both ÷ N, confidence = both ÷ A, lift = both × N ÷ (A × B), each rounded half-up
 * to RATIO_SCALE places. First by baskets together, ties by SKU. One pass over the range's
 * sale lines on receipts, grouped into one row per basket with its products (the grouping is
 * the only pass over every line; the counts read the baskets); the header row (part 0)
 * carries N and A.
 */
export function boughtTogetherSql(q: {
  tenant: string;
  range: TimeRange;
  storeIds: readonly string[] | null;
  productId: string;
  first: number;
}): Sql {
  const r = (num: Sql, den: Sql) => sql`round((${num})::numeric / (${den}), ${RATIO_SCALE})::text`;
  const anchor = sql`${q.productId}::uuid`;
  return sql`/* boughtTogether */
    WITH baskets AS MATERIALIZED (
      SELECT array_agg(DISTINCT x.product_id) AS products
      FROM sale_lines x
      WHERE ${linesIn(q.tenant, q.range, { storeIds: q.storeIds, productIds: null }, sql`x`)}
        AND x.receipt_id IS NOT NULL AND x.quantity > 0
      GROUP BY x.store_id, x.receipt_id
    ), counts AS (
      SELECT count(*) AS baskets, count(*) FILTER (WHERE ${anchor} = ANY (b.products)) AS anchored
      FROM baskets b
    ), together AS (
      SELECT k.product_id, count(*) AS both
      FROM baskets b CROSS JOIN LATERAL unnest(b.products) AS k(product_id)
      WHERE ${anchor} = ANY (b.products) AND k.product_id <> ${anchor}
      GROUP BY k.product_id
    ), ranked AS (
      SELECT t.product_id, t.both, p.sku
      FROM together t
      JOIN products p ON p.customer_id = ${q.tenant}::uuid AND p.id = t.product_id
      ORDER BY t.both DESC, p.sku
      LIMIT ${q.first}
    ), alone AS (
      SELECT k.product_id, count(*) AS baskets
      FROM baskets b CROSS JOIN LATERAL unnest(b.products) AS k(product_id)
      WHERE k.product_id IN (SELECT product_id FROM ranked)
      GROUP BY k.product_id
    )
    SELECT 0 AS "part", NULL::uuid AS "productId", NULL::text AS "sku",
           c.baskets::integer AS "receipts", c.anchored::integer AS "productReceipts",
           NULL::text AS "support", NULL::text AS "confidence", NULL::text AS "lift"
    FROM counts c
    UNION ALL
    SELECT 1, k.product_id, k.sku, k.both::integer, l.baskets::integer,
           ${r(sql`k.both`, sql`c.baskets`)}, ${r(sql`k.both`, sql`c.anchored`)},
           ${r(sql`k.both * c.baskets`, sql`c.anchored * l.baskets`)}
    FROM ranked k
    JOIN alone l ON l.product_id = k.product_id
    CROSS JOIN counts c
    ORDER BY 1, 4 DESC, 3`;
}

/**
 * The distribution of units sold per basket in `range`: baskets by their units (sale lines
 * only; returns are no units of a basket), each size up to `maxUnits` a row, larger ones
 * together in one row (`orMore`), with each row's share of the baskets.
 */
export function receiptSizesSql(q: {
  tenant: string;
  range: TimeRange;
  storeIds: readonly string[] | null;
  maxUnits: number;
}): Sql {
  return sql`/* receiptSizes */
    WITH sizes AS (
      SELECT sum(x.quantity) AS units
      FROM sale_lines x
      WHERE ${linesIn(q.tenant, q.range, { storeIds: q.storeIds, productIds: null }, sql`x`)}
        AND x.receipt_id IS NOT NULL AND x.quantity > 0
      GROUP BY x.store_id, x.receipt_id
    ), rows AS (
      SELECT least(s.units, ${q.maxUnits + 1}::bigint) AS units, count(*) AS receipts,
             sum(s.units) AS total_units
      FROM sizes s
      GROUP BY 1
    )
    SELECT r.units::integer AS "units", r.units > ${q.maxUnits}::bigint AS "orMore",
           r.receipts::integer AS "receipts", r.total_units::text AS "totalUnits",
           round(r.receipts::numeric / sum(r.receipts) OVER (), ${RATIO_SCALE})::text AS "share"
    FROM rows r
    ORDER BY r.units`;
}
