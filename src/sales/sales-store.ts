import type { DimensionName } from '../analytics/dimensions.js';
import { MEASURE_NAMES, type MeasureName, type MeasureValues } from '../analytics/measures.js';
import { DEFAULT_CALENDAR, type TenantCalendar } from '../analytics/calendar.js';
import {
  calendarBuckets,
  comparisonShift,
  retailYearBack,
  shiftBack,
  type CompareTo,
  type WallShift,
} from '../analytics/time.js';
import type { Sql } from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';
import { userError } from '../errors.js';
import {
  bucketCountInZone,
  checkBucketCount,
  isRetail,
  MAX_TREND_BUCKETS,
  planSegments,
  validateRange,
  zoneAlignment,
  type Granularity,
  type Segment,
  type TimeRange,
  type ZoneAlignment,
} from './plan.js';
import {
  dailySalesSql,
  productSalesSql,
  rankingSql,
  salesTrendSql,
  salesVelocitySql,
  type GapGroups,
  type GroupBy,
  type RankingRow as RankingColumns,
  type RoutedFilters,
  type SalesFilters,
  type TrendRow,
  type TrendWindow,
  type ZoneSpec,
} from './sales-sql.js';
import { checkTrendSize } from './trend-size.js';

export type { TrendRow } from './sales-sql.js';

/** A salesTrend question, as the resolvers hand it over. */
export interface TrendInput {
  range: TimeRange;
  granularity: Granularity;
  zone: ZoneSpec;
  filters: SalesFilters;
  groupBy: GroupBy;
  fillGaps: boolean;
  gapGroups: GapGroups;
  /** Window totals per bucket: over the last `rolling` buckets, and from the range's start. */
  window?: { rolling: number | null; cumulative: boolean };
  /** Compare each bucket with the same span of a compared range; lines before `horizon` are gone. */
  compare?: { to: CompareTo; horizon: Date };
  /** The tenant's calendars (WEEK's first day, the retail periods); ISO weeks when absent. */
  calendar?: TenantCalendar;
  /**
   * The measures the rows carry, when not every one (see TrendStatement.measures): the others
   * are absent from the rows, which only fields asking for the listed ones may read.
   */
  measures?: readonly MeasureName[];
}

/** The most buckets a rolling window spans. */
export const MAX_ROLLING = 365;

/** Every measure over a window of buckets, and its mean per bucket. */
export interface RollingTotals {
  sum: MeasureValues;
  mean: Record<MeasureName, string>;
}

/** A trend bucket with its window totals and its comparison, when asked for. */
export interface WindowedTrendRow extends TrendRow {
  rolling?: RollingTotals | null;
  cumulative?: MeasureValues | null;
  /** The compared bucket's measures; null (or absent) when not asked for or no longer kept. */
  compared?: MeasureValues | null;
}

/**
 * Whether a trend's PREVIOUS_YEAR aligns weeks of the retail calendar: its buckets are retail
 * periods, compared with the same weeks of the fiscal year before.
 */
function retailComparison(
  input: Pick<TrendInput, 'granularity' | 'calendar'>,
  compareTo: CompareTo,
): TenantCalendar | null {
  return compareTo === 'PREVIOUS_YEAR' && isRetail(input.granularity) && input.calendar?.retail
    ? input.calendar
    : null;
}

/** The range a comparison reads, and the wall-clock step back to it. */
export function comparedRange(
  input: Pick<TrendInput, 'range' | 'zone'> & Partial<Pick<TrendInput, 'granularity' | 'calendar'>>,
  compareTo: CompareTo,
): { range: TimeRange; shift: WallShift; retail: boolean } {
  if (input.zone.kind !== 'fixed') throw new Error('a comparison buckets in one zone');
  const zone = input.zone.zone;
  const retail = input.granularity
    ? retailComparison({ granularity: input.granularity, calendar: input.calendar }, compareTo)
    : null;
  if (retail) {
    // Lines move by 364 or 371 days; the horizon test takes the longer step (a bucket whose
    // compared span might start before the horizon is not compared).
    return {
      range: {
        from: retailYearBack(input.range.from, zone, retail),
        to: retailYearBack(input.range.to, zone, retail),
      },
      shift: { years: 0, ms: 371 * DAY_MS },
      retail: true,
    };
  }
  const shift = comparisonShift(compareTo, input.range, zone);
  return {
    range: {
      from: shiftBack(input.range.from, zone, shift),
      to: shiftBack(input.range.to, zone, shift),
    },
    shift,
    retail: false,
  };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
// Longest possible bucket of each granularity (a local day may last 25 hours).
const MAX_BUCKET_MS: Record<Granularity, number> = {
  HOUR: HOUR_MS,
  DAY: 25 * HOUR_MS,
  WEEK: 7 * DAY_MS + HOUR_MS,
  MONTH: 31 * DAY_MS + HOUR_MS,
  RETAIL_WEEK: 7 * DAY_MS + HOUR_MS,
  RETAIL_MONTH: 35 * DAY_MS + HOUR_MS,
  RETAIL_QUARTER: 98 * DAY_MS + HOUR_MS,
  RETAIL_YEAR: 371 * DAY_MS + HOUR_MS,
};

/**
 * The lead-in a rolling window reads before the range: from a UTC midnight at least `rolling`
 * of the longest buckets earlier (so the N - 1 whole buckets before the range's first are all
 * in it; the statement keeps only whole buckets before the first), routed like any range.
 */
function leadIn(
  input: TrendInput,
  rolling: number | null,
  options: TrendOptions,
): TrendWindow['lead'] {
  const from = input.range.from.getTime();
  if (rolling === null || rolling === 1) return { from: input.range.from, segments: [] };
  const start = new Date(
    Math.floor((from - rolling * MAX_BUCKET_MS[input.granularity]) / DAY_MS) * DAY_MS,
  );
  return {
    from: start,
    segments: planTrend({ ...input, range: { from: start, to: input.range.from } }, options),
  };
}

/** Checks a window before any SQL: a rolling window of 1 to MAX_ROLLING buckets, or running totals. */
export function validateWindow(window: TrendInput['window']): void {
  if (!window) return;
  const { rolling, cumulative } = window;
  if (rolling === null && !cumulative) {
    throw userError('window needs rolling: N or cumulative: true', 'BAD_USER_INPUT', {
      argument: 'window',
    });
  }
  if (rolling !== null && (!Number.isInteger(rolling) || rolling < 1 || rolling > MAX_ROLLING)) {
    throw userError(
      `window.rolling must be between 1 and ${MAX_ROLLING} buckets`,
      'BAD_USER_INPUT',
      { argument: 'window.rolling', maxRolling: MAX_ROLLING },
    );
  }
}

/** The measures in the columns `prefix` + measure of a row (`rolling.sum.units`, …). */
function measuresAt<V = MeasureValues>(row: Record<string, unknown>, prefix: string): V {
  const out: Record<string, unknown> = {};
  for (const m of MEASURE_NAMES) out[m] = row[prefix + m];
  return out as V;
}

/**
 * A row's window totals and compared measures, nested as the API shows them. Set on the row
 * itself: a trend holds up to 10 000 rows, and copying each costs more than the statement.
 */
function nestWindow(row: TrendRow & Record<string, unknown>, input: TrendInput): WindowedTrendRow {
  const r: WindowedTrendRow & Record<string, unknown> = row;
  r.rolling =
    input.window?.rolling != null
      ? {
          sum: measuresAt(row, 'rolling.sum.'),
          mean: measuresAt<Record<MeasureName, string>>(row, 'rolling.mean.'),
        }
      : null;
  r.cumulative = input.window?.cumulative ? measuresAt(row, 'cumulative.') : null;
  r.compared = comparedOf(row);
  return r;
}

/** A row's compared measures, when it was compared and its span is kept. */
function comparedOf(row: Record<string, unknown>): MeasureValues | null {
  return row['compared.covered'] === true ? measuresAt(row, 'compared.') : null;
}

/**
 * Routing switches, never exposed through the API. `forceRaw` reads transactions only
 * (benchmarks comparing the routes); `storeRollups` reads trends that ask about no product from
 * the per-store rollups, which both backends keep beside the per-product ones (off: benchmarks
 * comparing the two).
 */
export interface TrendOptions {
  forceRaw?: boolean;
  storeRollups?: boolean;
}

/**
 * The routing both backends call for: the rollups wherever they are exact (the continuous
 * aggregates on TimescaleDB, the trigger-kept tables on plain PostgreSQL), per store where no
 * product is asked about.
 */
export const ROUTE: TrendOptions = { storeRollups: true };

/**
 * The filters with the request's tenant, which every sales statement binds for routing, and
 * the archive horizon once the request's snapshot has read it.
 */
export function routed(db: RequestDb, filters: SalesFilters): RoutedFilters {
  const archive = db.archiveHorizon;
  return { ...filters, tenant: db.customerId, ...(archive ? { archive } : {}) };
}

function zonesOf(zone: ZoneSpec): string[] {
  return zone.kind === 'fixed' ? [zone.zone] : [...new Set(zone.stores.map((s) => s.zone))];
}

/** What the rollups can serve for every zone of `zone` at once. */
function commonAlignment(zone: ZoneSpec, range: TimeRange): ZoneAlignment {
  return zonesOf(zone)
    .map((z) => zoneAlignment(z, range))
    .reduce((a, b) => ({ wholeHours: a.wholeHours && b.wholeHours, utc: a.utc && b.utc }), {
      wholeHours: true,
      utc: true,
    });
}

/** Validates a trend question and returns the segments that serve it. */
export function planTrend(input: TrendInput, options: TrendOptions = {}): Segment[] {
  validateRange(input.range);
  checkBucketCount(input.range, input.granularity);
  return planSegments(
    input.range,
    input.granularity,
    commonAlignment(input.zone, input.range),
    options,
  );
}

/**
 * Segments of a compared range. Its rows are moved forward by the shift and bucketed as the
 * range's own, so a rollup row moves whole only where the shift keeps its hour (or day) whole:
 * a shift of whole hours for the hourly rollup, of whole days for the daily one; elsewhere the
 * lines are read one by one.
 */
function planCompared(input: TrendInput, shift: WallShift, options: TrendOptions): Segment[] {
  validateRange(input.range);
  checkBucketCount(input.range, input.granularity);
  const alignment = commonAlignment(input.zone, input.range);
  return planSegments(
    input.range,
    input.granularity,
    {
      wholeHours: alignment.wholeHours && shift.ms % HOUR_MS === 0,
      utc: alignment.utc && shift.ms % DAY_MS === 0,
    },
    options,
  );
}

/** The one statement of a trend question, validated and routed (window lead-in included). */
export function trendStatement(
  input: TrendInput & { filters: RoutedFilters },
  options: TrendOptions = {},
): Sql {
  validateWindow(input.window);
  if (input.window && input.compare) {
    throw userError('window and compareTo cannot be combined in one trend', 'BAD_USER_INPUT', {
      argument: 'compareTo',
    });
  }
  const segments = planTrend(input, options);
  const compared = input.compare ? comparedRange(input, input.compare.to) : null;
  const lead = input.window ? leadIn(input, input.window.rolling, options) : null;
  const earliest = Math.min(
    input.range.from.getTime(),
    compared?.range.from.getTime() ?? Infinity,
    lead?.from.getTime() ?? Infinity,
  );
  return salesTrendSql({
    ...input,
    compare:
      input.compare && compared
        ? {
            segments: planCompared({ ...input, range: compared.range }, compared.shift, options),
            shift: compared.shift,
            horizon: input.compare.horizon,
            retail: compared.retail,
          }
        : undefined,
    window: input.window && lead ? { ...input.window, lead } : undefined,
    calendar: calendarBuckets(
      input.calendar ?? DEFAULT_CALENDAR,
      input.granularity,
      new Date(earliest),
      input.range.to,
    ),
    segments,
    limit: MAX_TREND_BUCKETS + 1,
    storeRollups: options.storeRollups === true,
  });
}

/** Runs a trend question as one statement, refusing answers above the bucket cap. */
export async function salesTrend(
  db: RequestDb,
  input: TrendInput,
  options: TrendOptions = {},
): Promise<WindowedTrendRow[]> {
  const statement = trendStatement({ ...input, filters: routed(db, input.filters) }, options);
  await checkTrendSize(
    db,
    {
      buckets: Math.max(
        1,
        ...zonesOf(input.zone).map((z) =>
          bucketCountInZone(input.range, input.granularity, z, input.calendar),
        ),
      ),
      filters: input.filters,
      groupBy: input.groupBy,
      fillGaps: input.fillGaps,
    },
    MAX_TREND_BUCKETS,
  );
  const rows = await db.queryAnswer<TrendRow & Record<string, unknown>>(statement, ['bucket']);
  if (rows.length > MAX_TREND_BUCKETS) {
    throw userError(
      `salesTrend would return more than ${MAX_TREND_BUCKETS} buckets (buckets × groups); shorten the range, use a coarser granularity, group by less or filter stores/products`,
      'TREND_TOO_LARGE',
      { maxBuckets: MAX_TREND_BUCKETS },
    );
  }
  return input.window || input.compare ? rows.map((r) => nestWindow(r, input)) : rows;
}

/** Segments of a zone-free total over `range` (UTC rollups where they are exact). */
export function planTotals(range: TimeRange, options: TrendOptions = {}): Segment[] {
  validateRange(range);
  return planSegments(range, 'DAY', { wholeHours: true, utc: true }, options);
}

/** Every measure of one product over a range, and over the compared range when asked for. */
export interface ProductSalesRow extends MeasureValues {
  productId: string;
  compared?: MeasureValues | null;
}

/** The best-selling products of `range` by units or revenue: the rows of a product ranking. */
export async function topProducts(
  db: RequestDb,
  input: {
    range: TimeRange;
    filters: SalesFilters;
    by: 'UNITS' | 'REVENUE';
    limit: number;
    compare?: { to: CompareTo; horizon: Date };
  },
  options: TrendOptions = {},
): Promise<RankingRow[]> {
  const ranking = await salesRanking(
    db,
    {
      range: input.range,
      filters: input.filters,
      dimension: 'product',
      by: input.by === 'UNITS' ? 'units' : 'revenue',
      first: input.limit,
      other: false,
      compare: input.compare,
    },
    options,
  );
  return ranking.rows;
}

/**
 * The compared range of a zone-free total (moved back in UTC), or null when not asked for or
 * when it starts before the retention horizon: such a range is not read, its rows answer null.
 */
function keptComparedRange(
  range: TimeRange,
  compare: { to: CompareTo; horizon: Date } | undefined,
): TimeRange | null {
  if (!compare) return null;
  const compared = comparedRange({ range, zone: { kind: 'fixed', zone: 'UTC' } }, compare.to).range;
  return compared.from >= compare.horizon ? compared : null;
}

/** A ranking answer: the first keys, the rest as one row, and the total of all. */
export interface Ranking {
  rows: RankingRow[];
  other: RankingRow | null;
  total: RankingRow;
}

/** The first keys of `dimension` by measure `by` over `range`, with the rest and the total. */
export async function salesRanking(
  db: RequestDb,
  input: {
    range: TimeRange;
    filters: SalesFilters;
    dimension: DimensionName;
    by: MeasureName;
    first: number;
    other: boolean;
    compare?: { to: CompareTo; horizon: Date };
  },
  options: TrendOptions = {},
): Promise<Ranking> {
  validateRange(input.range);
  const compared = keptComparedRange(input.range, input.compare);
  const raw = await db.query<RankingRow & Record<string, unknown>>(
    rankingSql({
      ...input,
      filters: routed(db, input.filters),
      segments: planTotals(input.range, options),
      compared: compared ? planTotals(compared, options) : undefined,
    }),
  );
  const rows: RankingRow[] = raw.map((r) => Object.assign(r, { compared: comparedOf(r) }));
  const total = rows.find((r) => r.part === 2);
  if (!total) throw new Error('salesRanking returned no total');
  return {
    rows: rows.filter((r) => r.part === 0),
    other: rows.find((r) => r.part === 1) ?? null,
    total,
  };
}

/** A ranking row with its comparison, when asked for. */
export interface RankingRow extends RankingColumns {
  compared: MeasureValues | null;
}

export interface DailySalesRow extends MeasureValues {
  day: string;
  storeId: string;
  productId: string;
}

/** A page question as the resolvers hand it over: the statement's, without the tenant. */
type PageInput<Q extends { filters: RoutedFilters }> = Omit<Q, 'filters'> & {
  filters: SalesFilters;
};

/** One page of the daily rollup. */
export function dailySales(
  db: RequestDb,
  page: PageInput<Parameters<typeof dailySalesSql>[0]>,
): Promise<DailySalesRow[]> {
  return db.query<DailySalesRow>(dailySalesSql({ ...page, filters: routed(db, page.filters) }));
}

export interface VelocityRow {
  storeId: string;
  productId: string;
  unitsPerDay: number;
  revenuePerDay: string;
}

/** One page of sales velocity. */
export function salesVelocity(
  db: RequestDb,
  page: PageInput<Parameters<typeof salesVelocitySql>[0]>,
): Promise<VelocityRow[]> {
  return db.query<VelocityRow>(salesVelocitySql({ ...page, filters: routed(db, page.filters) }));
}

/** Sales totals for each product of `productIds` over `range`, in key order. */
export async function productSalesSummaries(
  db: RequestDb,
  productIds: readonly string[],
  range: TimeRange,
  storeIds: readonly string[] | null,
  options: TrendOptions = {},
  compare?: { to: CompareTo; horizon: Date },
): Promise<ProductSalesRow[]> {
  const compared = keptComparedRange(range, compare);
  const rows = await db.query<ProductSalesRow & Record<string, unknown>>(
    productSalesSql(
      planTotals(range, options),
      { ...routed(db, { storeIds, productIds, categories: null }), productIds },
      compared ? planTotals(compared, options) : undefined,
    ),
  );
  const byId = new Map(
    rows.map((r) => [r.productId, Object.assign(r, { compared: comparedOf(r) })]),
  );
  return productIds.map((id) => {
    const row = byId.get(id);
    if (!row) throw new Error(`productSalesSummary returned no row for product ${id}`);
    return row;
  });
}
