import sql from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';
import { userError } from '../errors.js';
import type { GroupBy, SalesFilters } from './sales-sql.js';

interface CatalogCounts {
  stores: number;
  products: number;
  categories: number;
}

/** How many stores, products and categories of the caller's scope a trend's filters allow. */
function catalogCounts(db: RequestDb, filters: SalesFilters): Promise<CatalogCounts[]> {
  const stores = filters.storeIds ? [...filters.storeIds] : null;
  const products = filters.productIds ? [...filters.productIds] : null;
  const categories = filters.categories ? [...filters.categories] : null;
  return db.query<CatalogCounts>(sql`/* trendCatalogCounts */
    SELECT (SELECT count(*)::int FROM stores s
            WHERE s.customer_id = ${db.customerId}::uuid
              AND (${stores}::uuid[] IS NULL OR s.id = ANY(${stores}::uuid[]))) AS "stores",
           count(*)::int AS "products",
           count(DISTINCT p.category)::int AS "categories"
    FROM products p
    WHERE p.customer_id = ${db.customerId}::uuid
      AND (${products}::uuid[] IS NULL OR p.id = ANY(${products}::uuid[]))
      AND (${categories}::text[] IS NULL OR p.category = ANY(${categories}::text[]))`);
}

/**
 * Refuses a gap-filled trend whose answer could exceed `maxBuckets` buckets × groups, counting
 * the groups in the catalog (under the caller's row-level security) before any sales row is
 * read: an oversized request costs one small query, not seconds of aggregation. Without
 * fillGaps the answer holds only buckets with sales, which the catalog cannot bound; the row
 * cap of the query refuses those.
 */
export async function checkTrendSize(
  db: RequestDb,
  input: { buckets: number; filters: SalesFilters; groupBy: GroupBy; fillGaps: boolean },
  maxBuckets: number,
): Promise<void> {
  const { buckets, filters, groupBy } = input;
  if (!input.fillGaps || (!groupBy.store && !groupBy.product && !groupBy.category)) return;
  if (await fits()) return;
  throw userError(
    `salesTrend could return more than ${maxBuckets} buckets × groups (${buckets} buckets in the range); shorten the range, use a coarser granularity, group by less or filter stores/products`,
    'TREND_TOO_LARGE',
    { maxBuckets },
  );

  async function fits(): Promise<boolean> {
    const [counts] = await catalogCounts(db, filters);
    if (!counts) return true;
    // A product has one category, so grouping by both adds nothing to the products.
    const itemGroups = groupBy.product ? counts.products : groupBy.category ? counts.categories : 1;
    const groups = (groupBy.store ? counts.stores : 1) * Math.max(itemGroups, 1);
    return buckets * Math.max(groups, 1) <= maxBuckets;
  }
}
