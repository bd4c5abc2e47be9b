import DataLoader from 'dataloader';
import { DIMENSIONS } from '../analytics/dimensions.js';
import {
  attachDimensions,
  carriedDimensionFields,
  measureFields,
  comparisonFields,
  pairFields,
  selectedMeasures,
  type DimensionValues,
  SalesMeansRef,
  SalesMeasuresRef,
} from '../analytics/fields.js';
import { retentionHorizon } from './retention.js';
import { BasketMeasuresRef } from '../baskets/fields.js';
import { basketOf } from '../baskets/measures.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { productById, type StoreRow } from '../catalog/catalog-store.js';
import {
  MAX_FILTER_REFS,
  productFilter,
  productFilterArgs,
  storeFilter,
  storeFilterArgs,
  withFilter,
} from '../catalog/ref-args.js';
import { ProductRef, StoreRef } from '../catalog/schema.js';
import { countArgument, userError } from '../errors.js';
import type { TenantCalendar } from '../analytics/calendar.js';
import { periodRange, type CompareTo, type NamedPeriod } from '../analytics/time.js';
import { calendarFor } from '../tenants/calendar-schema.js';
import { tellFreshness, tenantRetention } from '../analytics/data-freshness.js';
import { GranularityEnum, TimeRangeInput } from '../time-range.js';
import { groupByKey, loaderForArgs } from '../loaders.js';
import { cursorKey, decodeCursor, encodeCursor, pageSize, toConnection } from '../pagination.js';
import { maxBucketCount, MAX_TREND_BUCKETS, type Granularity, type TimeRange } from './plan.js';
import {
  dailySales,
  productSalesSummaries,
  ROUTE,
  salesTrend,
  salesVelocity,
  topProducts,
  type DailySalesRow,
  type ProductSalesRow,
  type RankingRow,
  comparedRange,
  MAX_ROLLING,
  type RollingTotals,
  type WindowedTrendRow,
  type VelocityRow,
} from './sales-store.js';
import { todayUtc, velocityWindow } from './velocity-store.js';

const GRANULARITY: Record<string, Granularity> = {
  hour: 'HOUR',
  day: 'DAY',
  week: 'WEEK',
  month: 'MONTH',
  retail_week: 'RETAIL_WEEK',
  retail_month: 'RETAIL_MONTH',
  retail_quarter: 'RETAIL_QUARTER',
  retail_year: 'RETAIL_YEAR',
};

function granularityOf(value: string): Granularity {
  const g = GRANULARITY[value];
  if (!g) throw userError(`unknown granularity ${value}`);
  return g;
}

export const SalesGroupByEnum = builder.enumType('SalesGroupBy', {
  description: 'Dimensions a sales trend can be split by.',
  values: {
    STORE: { description: DIMENSIONS.store.description },
    PRODUCT: { description: DIMENSIONS.product.description },
    CATEGORY: { description: DIMENSIONS.category.description },
  } as const,
});

const RankByEnum = builder.enumType('RankBy', {
  description: 'What a ranking orders by.',
  values: {
    UNITS: { description: 'Units sold.' },
    REVENUE: { description: 'Revenue.' },
  } as const,
});

const RollingSalesRef = builder.objectRef<RollingTotals>('RollingSales').implement({
  description: 'Every measure over the last N buckets (a bucket and the N - 1 before it).',
  fields: (t) => ({
    sum: t.field({
      type: SalesMeasuresRef,
      description: 'Every measure over the window.',
      resolve: (r) => r.sum,
    }),
    mean: t.field({
      type: SalesMeansRef,
      description: 'Every measure over the window divided by N.',
      resolve: (r) => r.mean,
    }),
  }),
});

const SalesWindowInput = builder.inputType('SalesWindow', {
  description: 'Window totals a trend adds to each bucket.',
  fields: (t) => ({
    rolling: t.int({
      description: `Add rolling { sum mean } over the last N buckets (1 to ${MAX_ROLLING}): empty buckets count as zeros, and buckets before the range complete the first values.`,
    }),
    cumulative: t.boolean({
      description: 'Add cumulative: running totals from the start of the range.',
    }),
  }),
});

type Compare = { to: CompareTo; horizon: Date } | undefined;

/**
 * A comparison argument with the horizon before which the compared lines are gone: the
 * tenant's own retention, as recordSales and the retention runs read it.
 */
export async function comparison(
  ctx: GraphQLContext,
  to: CompareTo | null | undefined,
): Promise<Compare> {
  if (!to) return undefined;
  return { to, horizon: retentionHorizon(await tenantRetention(ctx)) };
}

/**
 * Tells in extensions.comparison what rows were compared with (the compared range in `zone`)
 * and, when some were not, how many and why.
 */
export function tellComparison(
  ctx: GraphQLContext,
  compare: Compare,
  range: TimeRange,
  zone: string,
  rows: readonly { compared?: unknown }[],
  trend: { granularity: Granularity; calendar: TenantCalendar } | null = null,
): void {
  if (!compare) return;
  // Batched fields (Product.sales) tell once per row: their counts add up.
  const told = ctx.extensions.comparison as { notCompared?: number } | undefined;
  const missing = (told?.notCompared ?? 0) + rows.filter((r) => !r.compared).length;
  const compared = comparedRange({ range, zone: { kind: 'fixed', zone }, ...trend }, compare.to);
  ctx.extensions.comparison = {
    compareTo: compare.to,
    comparedRange: compared.range,
    ...(missing > 0
      ? {
          notCompared: missing,
          reason: compared.retail
            ? `compared spans starting before the retention horizon ${compare.horizon.toISOString()} are no longer kept, and a 53rd retail week has no week of the year before: their compared and change are null`
            : `compared spans starting before the retention horizon ${compare.horizon.toISOString()} are no longer kept: their compared and change are null`,
        }
      : {}),
  };
}

export const CompareToEnum = builder.enumType('CompareTo', {
  description: 'What each bucket is compared with, on the wall clock of the trend’s time zone.',
  values: {
    PREVIOUS_PERIOD: { description: 'The range moved back by its own length.' },
    PREVIOUS_YEAR: { description: 'The range moved back by one calendar year.' },
    PREVIOUS_YEAR_SAME_WEEKDAY: {
      description: 'The range moved back by 364 days (52 weeks), so weekdays match.',
    },
  } as const,
});

const NamedPeriodEnum = builder.enumType('NamedPeriod', {
  description: 'A range from the start of the current calendar period to now, in a time zone.',
  values: {
    MTD: { description: 'Month to date.' },
    QTD: { description: 'Quarter to date (quarters start in January, April, July, October).' },
    YTD: { description: 'Year to date.' },
  } as const,
});

/** The range of a question: its range, or its named period in its zone up to `now`. */
function rangeOrPeriod(
  args: { range?: TimeRange | null; period?: NamedPeriod | null; timeZone?: string | null },
  now: Date,
): TimeRange {
  if (args.range && args.period) {
    throw userError('give range or period, not both', 'BAD_USER_INPUT', { argument: 'period' });
  }
  if (args.range) return args.range;
  if (args.period) return periodRange(args.period, args.timeZone ?? 'UTC', now);
  throw userError('give a range (or a named period: MTD, QTD, YTD)', 'BAD_USER_INPUT', {
    argument: 'range',
  });
}

/** The fields of a bucket that read no measure of its row. */
const BUCKET_FIELDS: ReadonlySet<string> = new Set([
  '__typename',
  'bucket',
  'store',
  'product',
  'category',
]);

/** A trend's bucket as its fields read it: the statement's row, with its store and product. */
type BucketRow = WindowedTrendRow & DimensionValues;

const SalesBucketRef = builder.objectRef<BucketRow>('SalesBucket').implement({
  description: 'Sales of one time bucket (and group, when grouped).',
  fields: (t) => ({
    bucket: t.expose('bucket', {
      type: 'DateTime',
      description:
        'Start of the bucket as an instant. With a timeZone, boundaries are that zone’s local midnights (DAY, WEEK from the tenant’s weekStart, MONTH, the retail calendar’s periods) or local clock hours (HOUR).',
    }),
    ...carriedDimensionFields(t, {
      store: 'when grouped by STORE',
      product: 'when grouped by PRODUCT',
      category: 'when grouped by CATEGORY',
    }),
    ...measureFields(t),
    baskets: t.field({
      type: BasketMeasuresRef,
      description:
        'The receipt measures of the bucket, grouped (the same values as its fields receipts, averageReceiptValue, unitsPerReceipt and averageUnitPrice).',
      resolve: (r) => basketOf(r),
    }),
    rolling: t.field({
      type: RollingSalesRef,
      nullable: true,
      description:
        'With window: { rolling: N }, every measure over this bucket and the N - 1 before it.',
      resolve: (r) => r.rolling ?? null,
    }),
    ...comparisonFields(t),
    cumulative: t.field({
      type: SalesMeasuresRef,
      nullable: true,
      description:
        'With window: { cumulative: true }, every measure from the start of the range through this bucket.',
      resolve: (r) => r.cumulative ?? null,
    }),
  }),
});

const ProductSalesRef = builder.objectRef<RankingRow>('ProductSales').implement({
  description: 'Sales of one product over a range.',
  fields: (t) => ({
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'The product.',
      resolve: (r, _args, ctx) => (r.productId ? productById(ctx).load(r.productId) : null),
    }),
    ...measureFields(t),
    ...comparisonFields(t),
  }),
});

const ProductSalesSummaryRef = builder.objectRef<ProductSalesRow>('ProductSalesSummary').implement({
  description: 'Totals of one product over a range.',
  fields: (t) => ({ ...measureFields(t), ...comparisonFields(t) }),
});

const DailySalesRef = builder.objectRef<DailySalesRow>('DailySales').implement({
  description: 'One row of the daily rollup: a store’s sales of a product on one UTC day.',
  fields: (t) => ({
    day: t.field({ type: 'Date', description: 'The UTC day.', resolve: (r) => r.day }),
    ...pairFields(t),
    ...measureFields(t),
  }),
});

const SalesVelocityRef = builder
  .objectRef<VelocityRow & { windowDays: number }>('SalesVelocity')
  .implement({
    description: 'Average daily sales of a store/product pair over a trailing window.',
    fields: (t) => ({
      ...pairFields(t),
      windowDays: t.exposeInt('windowDays', { description: 'Calendar days averaged over.' }),
      unitsPerDay: t.exposeFloat('unitsPerDay', {
        description: 'Units sold in the window divided by windowDays (days without sales count).',
      }),
      revenuePerDay: t.field({
        type: 'Decimal',
        description: 'Revenue in the window divided by windowDays, rounded half-up to cents.',
        resolve: (r) => r.revenuePerDay,
      }),
    }),
  });

const DailySalesConnection = builder.connectionObject({
  type: DailySalesRef,
  name: 'DailySalesConnection',
});
const SalesVelocityConnection = builder.connectionObject({
  type: SalesVelocityRef,
  name: 'SalesVelocityConnection',
});

/** The categories filter of a sales question, bounded like the id filters. */
export function categories(list: readonly string[] | null | undefined): string[] | null {
  if (list === null || list === undefined) return null;
  if (list.length > MAX_FILTER_REFS)
    throw userError(`categories may list at most ${MAX_FILTER_REFS}`);
  return [...list];
}

/**
 * Cost of a trend field: the rows it may return, buckets × groups (10 groups assumed per
 * grouping dimension), at most the answer cap.
 */
function trendComplexity(
  range: TimeRange | null | undefined,
  granularity: string,
  dimensions: number,
): number {
  if (!range) return 1;
  const buckets = maxBucketCount(range, granularityOf(granularity));
  return Math.max(1, Math.min(buckets * 10 ** dimensions, MAX_TREND_BUCKETS));
}

const DAY_MS = 86_400_000;

function wholeDays(range: TimeRange): TimeRange {
  if (range.from.getTime() % DAY_MS !== 0 || range.to.getTime() % DAY_MS !== 0) {
    throw userError(
      'dailySales needs a range of whole UTC days: from and to must be at 00:00:00Z',
      'BAD_USER_INPUT',
      { argument: 'range' },
    );
  }
  if (range.from.getTime() >= range.to.getTime()) {
    throw userError('range.from must be before range.to (the range is half-open [from, to))');
  }
  return range;
}

const DAY_CURSOR = cursorKey('date', 'uuid', 'uuid');
const PAIR_CURSOR = cursorKey('uuid', 'uuid');

const MAX_WINDOW_DAYS = 366;
/** The most rows a ranking returns. */
export const MAX_TOP = 100;

builder.queryFields((t) => ({
  salesTrend: t.field({
    type: [SalesBucketRef],
    description: `Units, revenue and sale lines per time bucket over the half-open range [from, to), optionally split by store, product and/or category. Buckets are UTC unless timeZone is given; then DAY, WEEK (from the tenant’s weekStart: Monday, ISO, unless set to Sunday), MONTH and the RETAIL_* periods of the tenant’s retail calendar start at local midnight (a local day may last 23 or 25 hours) and HOUR buckets are local clock hours, each absolute hour its own bucket (the repeated hour of a DST change gives two). Buckets at the range edges cover only the part inside the range. fillGaps adds zero buckets for every group present (or the single series when ungrouped). At most ${MAX_TREND_BUCKETS} buckets × groups.`,
    args: {
      range: t.arg({
        type: TimeRangeInput,
        description: 'Half-open [from, to); or give period instead.',
      }),
      period: t.arg({
        type: NamedPeriodEnum,
        description:
          'A named range instead of range: from the start of this month, quarter or year in timeZone (UTC by default) to now.',
      }),
      granularity: t.arg({ type: GranularityEnum, required: true, description: 'Bucket size.' }),
      ...storeFilterArgs(t.arg),
      ...productFilterArgs(t.arg),
      categories: t.arg.stringList({ description: 'Only products of these categories.' }),
      groupBy: t.arg({ type: [SalesGroupByEnum], description: 'Dimensions to split by.' }),
      timeZone: t.arg({ type: 'TimeZone', description: 'IANA zone of the bucket boundaries.' }),
      fillGaps: t.arg.boolean({
        defaultValue: false,
        description: 'Return zero buckets for periods without sales.',
      }),
      window: t.arg({
        type: SalesWindowInput,
        description: 'Add rolling and/or running totals to each bucket.',
      }),
      compareTo: t.arg({
        type: CompareToEnum,
        description:
          'Add compared (the same measures over the compared span of each bucket) and change; bucket b is compared with the lines of b moved back on the zone’s wall clock; with RETAIL_* buckets, PREVIOUS_YEAR compares the same weeks of the fiscal year before (a 53rd week: compared null).',
      }),
    },
    complexity: (args) => ({
      field: trendComplexity(
        args.range ??
          (args.period ? periodRange(args.period, args.timeZone ?? 'UTC', new Date()) : null),
        args.granularity,
        args.groupBy?.length ?? 0,
      ),
      multiplier: 1,
    }),
    resolve: async (_root, args, ctx, info) => {
      await tellFreshness(ctx);
      const groupBy = new Set(args.groupBy ?? []);
      const range = rangeOrPeriod(args, new Date());
      const zone = args.timeZone ?? 'UTC';
      const compare = await comparison(ctx, args.compareTo);
      const granularity = granularityOf(args.granularity);
      const calendar = await calendarFor(ctx, granularity);
      const rows = await salesTrend(
        ctx.db,
        {
          range,
          granularity,
          calendar,
          zone: { kind: 'fixed', zone: args.timeZone ?? 'UTC' },
          filters: {
            storeIds: await storeFilter(ctx, args),
            productIds: await productFilter(ctx, args),
            categories: categories(args.categories),
          },
          groupBy: {
            store: groupBy.has('STORE'),
            product: groupBy.has('PRODUCT'),
            category: groupBy.has('CATEGORY'),
          },
          fillGaps: args.fillGaps ?? false,
          gapGroups: { kind: 'present' },
          window: args.window
            ? { rolling: args.window.rolling ?? null, cumulative: args.window.cumulative ?? false }
            : undefined,
          compare,
          measures: selectedMeasures(info, BUCKET_FIELDS),
        },
        ROUTE,
      );
      tellComparison(ctx, compare, range, zone, rows, { granularity, calendar });
      await attachDimensions(ctx, info, rows);
      return rows;
    },
  }),
  dailySales: t.field({
    type: DailySalesConnection,
    description:
      'Rows of the daily rollup (one per UTC day, store and product with sales), ordered by day, store id, product id. The range must be whole UTC days (from and to at 00:00:00Z).',
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Whole UTC days.' }),
      ...storeFilterArgs(t.arg),
      ...productFilterArgs(t.arg),
      first: t.arg.int({ description: 'Page size (at most 500, default 50).' }),
      after: t.arg.string({ description: 'Cursor of the last row of the previous page.' }),
    },
    complexity: (args) => ({ field: 1, multiplier: args.first ?? 50 }),
    resolve: async (_root, args, ctx) => {
      await tellFreshness(ctx);
      const limit = pageSize(args.first);
      const after = decodeCursor('dailySales', args.after, DAY_CURSOR);
      const rows = await dailySales(ctx.db, {
        rollups: true,
        range: wholeDays(args.range),
        filters: {
          storeIds: await storeFilter(ctx, args),
          productIds: await productFilter(ctx, args),
          categories: null,
        },
        after,
        limit,
      });
      return toConnection(
        rows,
        limit,
        (r) => encodeCursor('dailySales', [r.day, r.storeId, r.productId]),
        after !== null,
      );
    },
  }),
  topProducts: t.field({
    type: [ProductSalesRef],
    description: `Products ranked by units or revenue over the half-open range [from, to), highest first, ties by product id; at most ${MAX_TOP}.`,
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      ...storeFilterArgs(t.arg),
      categories: t.arg.stringList({ description: 'Only products of these categories.' }),
      by: t.arg({ type: RankByEnum, defaultValue: 'UNITS', description: 'What to rank by.' }),
      limit: t.arg.int({ defaultValue: 10, description: `How many (1 to ${MAX_TOP}).` }),
      compareTo: t.arg({
        type: CompareToEnum,
        description: 'Add each product’s measures over the compared range (UTC) and the change.',
      }),
    },
    complexity: (args) => ({ field: 1, multiplier: args.limit ?? 10 }),
    resolve: async (_root, args, ctx) => {
      await tellFreshness(ctx);
      const limit = countArgument(args.limit, 'limit', MAX_TOP, 10);
      const compare = await comparison(ctx, args.compareTo);
      const rows = await topProducts(
        ctx.db,
        {
          range: args.range,
          filters: {
            storeIds: await storeFilter(ctx, args),
            productIds: null,
            categories: categories(args.categories),
          },
          by: args.by ?? 'UNITS',
          limit,
          compare,
        },
        ROUTE,
      );
      tellComparison(ctx, compare, args.range, 'UTC', rows);
      return rows;
    },
  }),
  salesVelocity: t.field({
    type: SalesVelocityConnection,
    description: `Average units and revenue per calendar day over the windowDays UTC days ending with asOf (inclusive; default today, UTC), days without sales counted as zero. One row per store/product pair with a sale or an inventory snapshot in the window, ordered by store id, product id.`,
    args: {
      ...storeFilterArgs(t.arg),
      ...productFilterArgs(t.arg),
      windowDays: t.arg.int({
        defaultValue: 7,
        description: `Days in the window (1 to ${MAX_WINDOW_DAYS}).`,
      }),
      asOf: t.arg({ type: 'Date', description: 'Last day of the window (default today, UTC).' }),
      first: t.arg.int({ description: 'Page size (at most 500, default 50).' }),
      after: t.arg.string({ description: 'Cursor of the last row of the previous page.' }),
    },
    complexity: (args) => ({ field: 1, multiplier: args.first ?? 50 }),
    resolve: async (_root, args, ctx) => {
      await tellFreshness(ctx);
      const windowDays = countArgument(args.windowDays, 'windowDays', MAX_WINDOW_DAYS, 7);
      const limit = pageSize(args.first);
      const after = decodeCursor('salesVelocity', args.after, PAIR_CURSOR);
      const rows = await salesVelocity(ctx.db, {
        rollups: true,
        window: velocityWindow(args.asOf ?? todayUtc(), windowDays),
        windowDays,
        filters: {
          storeIds: await storeFilter(ctx, args),
          productIds: await productFilter(ctx, args),
          categories: null,
        },
        after,
        limit,
      });
      return toConnection(
        rows.map((r) => ({ ...r, windowDays })),
        limit,
        (r) => encodeCursor('salesVelocity', [r.storeId, r.productId]),
        after !== null,
      );
    },
  }),
}));

interface NestedTrendArgs {
  range: TimeRange;
  granularity: string;
  timeZone?: string | null;
  fillGaps?: boolean | null;
}

builder.objectFields(StoreRef, (t) => ({
  salesTrend: t.field({
    type: [SalesBucketRef],
    description:
      'This store’s sales per bucket, like Query.salesTrend; buckets in the store’s own time zone unless timeZone is given. Batched: one statement for all stores of a request.',
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      granularity: t.arg({ type: GranularityEnum, required: true, description: 'Bucket size.' }),
      ...productFilterArgs(t.arg),
      timeZone: t.arg({ type: 'TimeZone', description: 'Zone of the buckets (default: store’s).' }),
      fillGaps: t.arg.boolean({ defaultValue: false, description: 'Zero buckets for no sales.' }),
    },
    complexity: (args) => ({
      field: trendComplexity(args.range, args.granularity, 0),
      multiplier: 1,
    }),
    resolve: async (store, args, ctx) => {
      await tellFreshness(ctx);
      const rows = await withFilter(productFilter(ctx, args), (productIds) =>
        storeTrendLoader(ctx, args, productIds).load(store),
      );
      return rows.map((row): BucketRow => Object.assign(row, { store }));
    },
  }),
}));

function storeTrendLoader(ctx: GraphQLContext, args: NestedTrendArgs, productIds: string[] | null) {
  return loaderForArgs<StoreRow, WindowedTrendRow[]>(
    ctx,
    'storeSalesTrend',
    args,
    () =>
      new DataLoader(
        async (stores) => {
          const granularity = granularityOf(args.granularity);
          const rows = await salesTrend(
            ctx.db,
            {
              range: args.range,
              granularity,
              calendar: await calendarFor(ctx, granularity),
              zone: {
                kind: 'perStore',
                stores: stores.map((s) => ({ storeId: s.id, zone: args.timeZone ?? s.timeZone })),
              },
              filters: {
                storeIds: stores.map((s) => s.id),
                productIds,
                categories: null,
              },
              groupBy: { store: true, product: false, category: false },
              fillGaps: args.fillGaps ?? false,
              gapGroups: { kind: 'stores', storeIds: stores.map((s) => s.id) },
            },
            ROUTE,
          );
          return groupByKey(
            stores.map((s) => s.id),
            rows,
            (r) => r.storeId,
          );
        },
        { cacheKeyFn: (s) => s.id, maxBatchSize: 1000 },
      ),
  );
}

builder.objectFields(ProductRef, (t) => ({
  sales: t.field({
    type: ProductSalesSummaryRef,
    description:
      'This product’s units, revenue and sale lines over the half-open range [from, to). Batched.',
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      ...storeFilterArgs(t.arg),
      compareTo: t.arg({
        type: CompareToEnum,
        description: 'Add the product’s measures over the compared range (UTC) and the change.',
      }),
    },
    resolve: async (product, args, ctx) => {
      await tellFreshness(ctx);
      return withFilter(storeFilter(ctx, args), async (storeIds) => {
        const compare = await comparison(ctx, args.compareTo);
        const row = await loaderForArgs<string, ProductSalesRow>(
          ctx,
          'productSales',
          args,
          () =>
            new DataLoader(
              (productIds) =>
                productSalesSummaries(ctx.db, productIds, args.range, storeIds, ROUTE, compare),
              { maxBatchSize: 1000 },
            ),
        ).load(product.id);
        tellComparison(ctx, compare, args.range, 'UTC', [row]);
        return row;
      });
    },
  }),
  salesTrend: t.field({
    type: [SalesBucketRef],
    description:
      'This product’s sales per bucket, like Query.salesTrend (UTC unless timeZone is given). Batched.',
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      granularity: t.arg({ type: GranularityEnum, required: true, description: 'Bucket size.' }),
      ...storeFilterArgs(t.arg),
      timeZone: t.arg({ type: 'TimeZone', description: 'Zone of the buckets (default UTC).' }),
      fillGaps: t.arg.boolean({ defaultValue: false, description: 'Zero buckets for no sales.' }),
    },
    complexity: (args) => ({
      field: trendComplexity(args.range, args.granularity, 0),
      multiplier: 1,
    }),
    resolve: async (product, args, ctx) => {
      await tellFreshness(ctx);
      const rows = await withFilter(storeFilter(ctx, args), (storeIds) =>
        loaderForArgs<string, WindowedTrendRow[]>(
          ctx,
          'productSalesTrend',
          args,
          () =>
            new DataLoader(
              async (productIds) => {
                const granularity = granularityOf(args.granularity);
                const rows = await salesTrend(
                  ctx.db,
                  {
                    range: args.range,
                    granularity,
                    calendar: await calendarFor(ctx, granularity),
                    zone: { kind: 'fixed', zone: args.timeZone ?? 'UTC' },
                    filters: {
                      storeIds,
                      productIds: [...productIds],
                      categories: null,
                    },
                    groupBy: { store: false, product: true, category: false },
                    fillGaps: args.fillGaps ?? false,
                    gapGroups: { kind: 'products', productIds },
                  },
                  ROUTE,
                );
                return groupByKey(productIds, rows, (r) => r.productId);
              },
              { maxBatchSize: 1000 },
            ),
        ).load(product.id),
      );
      return rows.map((row): BucketRow => Object.assign(row, { product }));
    },
  }),
}));
