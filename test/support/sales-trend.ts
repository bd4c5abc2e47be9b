import { expect } from 'vitest';
import type { TestGateway } from './gateway.js';
import { MEASURE_NAMES } from '../../src/analytics/measures.js';
import type { ExpectedBucket, MeasureAnswers, TrendQuestion } from './sales-data.js';

/** salesTrend with every argument a variable. */
export const TREND = `query($range: TimeRange!, $g: Granularity!, $tz: TimeZone, $stores: [UUID!], $products: [UUID!],
  $cats: [String!], $groupBy: [SalesGroupBy!], $fill: Boolean) {
  salesTrend(range: $range, granularity: $g, timeZone: $tz, storeIds: $stores, productIds: $products,
             categories: $cats, groupBy: $groupBy, fillGaps: $fill) {
    bucket store { id } product { id } category ${MEASURE_NAMES.join(' ')}
  }
}`;

/** One bucket of a salesTrend answer, as selected by TREND: every measure of the model. */
export interface Bucket extends MeasureAnswers {
  bucket: string;
  store: { id: string } | null;
  product: { id: string } | null;
  category: string | null;
}

/** Asks the gateway `q` as salesTrend over HTTP, in the shape of `expectedTrend`'s answer. */
export async function askTrend(
  gw: TestGateway,
  token: string,
  q: TrendQuestion,
): Promise<ExpectedBucket[]> {
  const res = await gw.graphql<{ salesTrend: Bucket[] }>(
    TREND,
    {
      range: { from: q.from, to: q.to },
      g: q.granularity,
      tz: q.timeZone,
      stores: q.storeIds,
      products: q.productIds,
      cats: q.categories,
      groupBy: q.groupBy,
      fill: q.fillGaps ?? false,
    },
    token,
  );
  expect(res.errors).toBeUndefined();
  return (res.data?.salesTrend ?? []).map(({ bucket, store, product, category, ...measures }) => ({
    bucket,
    storeId: store?.id ?? null,
    productId: product?.id ?? null,
    category,
    ...measures,
  }));
}
