import type { TimeRange } from '../../src/sales/plan.js';
import type { TrendInput } from '../../src/sales/sales-store.js';

/**
 * A salesTrend question as the sales store takes it: DAY buckets in UTC by store over `range`,
 * every store and product, buckets with sales only; `more` replaces any of its parts.
 */
export function storeDayTrend(range: TimeRange, more: Partial<TrendInput> = {}): TrendInput {
  return {
    range,
    granularity: 'DAY',
    zone: { kind: 'fixed', zone: 'UTC' },
    filters: { storeIds: null, productIds: null, categories: null },
    groupBy: { store: true, product: false, category: false },
    fillGaps: false,
    gapGroups: { kind: 'present' },
    ...more,
  };
}
