import { userError } from '../errors.js';
import {
  DEFAULT_CALENDAR,
  retailPeriods,
  weekStartOf,
  type RetailGranularity,
  type TenantCalendar,
} from '../analytics/calendar.js';
import { bucketIndex, type BucketUnit } from '../time-range.js';

/**
 * Time bucket sizes of the sales trend: calendar units (WEEK starting on the tenant's week
 * start) and the periods of the tenant's retail calendar.
 */
export type Granularity = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | RetailGranularity;

/** Whether `g` is a period of the retail calendar. */
export const isRetail = (g: Granularity): g is RetailGranularity => g.startsWith('RETAIL_');

/** Where a segment of a range is read from. */
export type SegmentSource = 'daily' | 'hourly' | 'raw';

/** A half-open slice `[from, to)` of a query range served by one source. */
export interface Segment {
  source: SegmentSource;
  from: Date;
  to: Date;
}

export interface TimeRange {
  from: Date;
  to: Date;
}

/** The most buckets (times groups) one salesTrend answer may hold. */
export const MAX_TREND_BUCKETS = 10_000;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

// Shortest possible length of a bucket of each granularity (a local day may last 23 hours).
const MIN_BUCKET_MS: Record<Granularity, number> = {
  HOUR: HOUR_MS,
  DAY: 23 * HOUR_MS,
  WEEK: 7 * DAY_MS - HOUR_MS,
  MONTH: 28 * DAY_MS - HOUR_MS,
  RETAIL_WEEK: 7 * DAY_MS - HOUR_MS,
  RETAIL_MONTH: 28 * DAY_MS - HOUR_MS,
  RETAIL_QUARTER: 91 * DAY_MS - HOUR_MS,
  RETAIL_YEAR: 364 * DAY_MS - HOUR_MS,
};

/** Checks that `range` is a non-empty half-open interval. */
export function validateRange(range: TimeRange, argument = 'range'): void {
  if (Number.isNaN(range.from.getTime()) || Number.isNaN(range.to.getTime())) {
    throw userError(
      `${argument}.from and ${argument}.to must be valid date-times`,
      'BAD_USER_INPUT',
    );
  }
  if (range.from.getTime() >= range.to.getTime()) {
    throw userError(
      `${argument}.from must be before ${argument}.to (the range is half-open [from, to))`,
      'BAD_USER_INPUT',
      { argument },
    );
  }
}

/** An upper bound of the number of buckets of `granularity` that intersect `range`. */
export function maxBucketCount(range: TimeRange, granularity: Granularity): number {
  const span = range.to.getTime() - range.from.getTime();
  return Math.ceil(span / MIN_BUCKET_MS[granularity]) + 2;
}

/**
 * How many buckets of `granularity` in `zone` intersect `range`: exact for DAY, WEEK, MONTH and
 * the retail periods (local calendar buckets, counted on the local clock at both ends, as the
 * gap-filled series of the trend statement is), the upper bound of maxBucketCount for HOUR.
 */
export function bucketCountInZone(
  range: TimeRange,
  granularity: Granularity,
  zone: string,
  calendar: TenantCalendar = DEFAULT_CALENDAR,
): number {
  if (granularity === 'HOUR') return maxBucketCount(range, granularity);
  const localMs = (instant: number) => instant + zoneOffsetMinutes(zone, instant) * MINUTE_MS;
  const first = localMs(range.from.getTime());
  const last = localMs(range.to.getTime() - 1);
  if (isRetail(granularity)) {
    const day = (ms: number) => Math.floor(ms / DAY_MS);
    return retailPeriods(calendar, granularity, day(first), day(last) + 1).length;
  }
  if (granularity === 'WEEK') {
    const week = (ms: number) => weekStartOf(Math.floor(ms / DAY_MS), calendar.weekStart);
    return (week(last) - week(first)) / 7 + 1;
  }
  const unit = granularity.toLowerCase() as BucketUnit;
  return bucketIndex(last, unit) - bucketIndex(first, unit) + 1;
}

/** Rejects ranges with more buckets of `granularity` than one answer may hold. */
export function checkBucketCount(range: TimeRange, granularity: Granularity): number {
  const buckets = maxBucketCount(range, granularity);
  if (buckets > MAX_TREND_BUCKETS) {
    throw userError(
      `the range is too long for granularity ${granularity}: it spans up to ${buckets} buckets, at most ${MAX_TREND_BUCKETS} are allowed; shorten the range or use a coarser granularity`,
      'BAD_USER_INPUT',
      { argument: 'range', maxBuckets: MAX_TREND_BUCKETS },
    );
  }
  return buckets;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The UTC offset of `zone` at `instant`, in minutes (east positive). */
export function zoneOffsetMinutes(zone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const local = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  const whole = Math.floor(instant / 1000) * 1000;
  return Math.round((local - whole) / MINUTE_MS);
}

/** What the UTC rollups can answer for buckets in `zone` over `range`. */
export interface ZoneAlignment {
  /** Every local hour boundary is a UTC hour boundary (whole-hour offsets throughout). */
  wholeHours: boolean;
  /** The zone is UTC throughout, so local days are UTC days. */
  utc: boolean;
}

/**
 * Samples the offsets of `zone` over `range` (every 12 hours and at both ends; no offset lasts
 * shorter than that) and tells which rollups can serve buckets in it.
 */
export function zoneAlignment(zone: string, range: TimeRange): ZoneAlignment {
  // The default zone of every trend: nothing to sample (60 samples for a 30-day range).
  if (zone === 'UTC') return { wholeHours: true, utc: true };
  const from = range.from.getTime();
  const last = range.to.getTime() - 1;
  let wholeHours = true;
  let utc = true;
  for (let t = from; ; t = Math.min(t + 12 * HOUR_MS, last)) {
    const offset = zoneOffsetMinutes(zone, t);
    if (offset % 60 !== 0) wholeHours = false;
    if (offset !== 0) utc = false;
    if (t >= last || (!wholeHours && !utc)) break;
  }
  return { wholeHours, utc };
}

const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;

/**
 * Splits `range` into the cheapest exact sources: the daily rollup for whole UTC days (when
 * buckets are whole UTC days or longer in a UTC-aligned zone), the hourly rollup for whole
 * UTC hours (when every bucket boundary is a whole UTC hour), raw transactions for the rest:
 * partial hours at unaligned edges and zones with sub-hour offsets. Empty slices are dropped;
 * together the segments cover `range` exactly once.
 */
export function planSegments(
  range: TimeRange,
  granularity: Granularity,
  alignment: ZoneAlignment,
  options: { forceRaw?: boolean } = {},
): Segment[] {
  const from = range.from.getTime();
  const to = range.to.getTime();
  const segments: Segment[] = [];
  const push = (source: SegmentSource, a: number, b: number) => {
    if (a < b) segments.push({ source, from: new Date(a), to: new Date(b) });
  };
  if (options.forceRaw || !alignment.wholeHours) {
    push('raw', from, to);
    return segments;
  }
  const hourFrom = Math.min(ceilTo(from, HOUR_MS), to);
  const hourTo = Math.max(floorTo(to, HOUR_MS), hourFrom);
  const daysUsable = alignment.utc && granularity !== 'HOUR';
  const dayFrom = daysUsable ? Math.min(ceilTo(from, DAY_MS), hourTo) : hourTo;
  const dayTo = daysUsable ? Math.max(floorTo(to, DAY_MS), dayFrom) : hourTo;
  push('raw', from, hourFrom);
  push('hourly', hourFrom, dayFrom);
  push('daily', dayFrom, dayTo);
  push('hourly', dayTo, hourTo);
  push('raw', hourTo, to);
  return segments;
}
