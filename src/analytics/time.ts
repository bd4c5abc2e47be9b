import sql, { type Sql } from 'sql-template-tag';
import {
  fiscalYear,
  fiscalYearOf,
  fiscalYearStarts,
  isoDay,
  retailPeriods,
  type TenantCalendar,
  type WeekStart,
} from './calendar.js';
import { isRetail, zoneOffsetMinutes, type Granularity, type TimeRange } from '../sales/plan.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const UNIT: Record<'DAY' | 'WEEK' | 'MONTH', string> = {
  DAY: 'day',
  WEEK: 'week',
  MONTH: 'month',
};

/**
 * What the buckets of a statement need of the tenant's calendars: the day weeks start on, and
 * for the retail periods their first days (local dates, ascending, the last one the day after
 * the last period) over every day the statement buckets; also the first days of the fiscal
 * years there, which align a compared year week by week.
 */
export interface CalendarBuckets {
  weekStart: WeekStart;
  boundaries: string[];
  fiscalYears: string[];
}

/** ISO weeks and no retail periods: the buckets of a tenant that set nothing. */
export const ISO_BUCKETS: CalendarBuckets = {
  weekStart: 'MONDAY',
  boundaries: [],
  fiscalYears: [],
};

/**
 * The calendar buckets of `granularity` over `[from, to)` (in any zone: two days are added on
 * each side for the zones' offsets).
 */
export function calendarBuckets(
  calendar: TenantCalendar,
  granularity: Granularity,
  from: Date,
  to: Date,
): CalendarBuckets {
  if (!isRetail(granularity)) {
    return { weekStart: calendar.weekStart, boundaries: [], fiscalYears: [] };
  }
  const first = Math.floor(from.getTime() / DAY_MS) - 2;
  const last = Math.floor(to.getTime() / DAY_MS) + 2;
  const periods = retailPeriods(calendar, granularity, first, last);
  const boundaries = periods.map((p) => isoDay(p.start));
  const end = periods.at(-1)?.end;
  if (end !== undefined) boundaries.push(isoDay(end));
  return {
    weekStart: calendar.weekStart,
    boundaries,
    fiscalYears: fiscalYearStarts(calendar, first, last).map(isoDay),
  };
}

/** The local date (in `zone`) of instant `t`. */
const localDate = (t: Sql, zone: Sql): Sql => sql`(${t} AT TIME ZONE ${zone})::date`;

/**
 * Start of the bucket of instant `t` in zone `zone`. HOUR: the last local clock hour boundary
 * at or before `t` (each absolute hour is its own bucket, so the repeated hour of a DST change
 * gives two buckets); DAY, WEEK (from the tenant's week start), MONTH: local midnight of the
 * day, week, month; a retail period: local midnight of its first day.
 */
export function bucketStart(
  granularity: Granularity,
  t: Sql,
  zone: Sql,
  calendar: CalendarBuckets = ISO_BUCKETS,
): Sql {
  if (granularity === 'HOUR') {
    return sql`(${t} - ((${t} AT TIME ZONE ${zone}) - date_trunc('hour', ${t} AT TIME ZONE ${zone})))`;
  }
  if (isRetail(granularity)) {
    const starts = sql`${calendar.boundaries}::date[]`;
    return sql`((${starts})[width_bucket(${localDate(t, zone)}, ${starts})]::timestamp AT TIME ZONE ${zone})`;
  }
  if (granularity === 'WEEK' && calendar.weekStart === 'SUNDAY') {
    // date_trunc's weeks start on Monday: a Sunday is moved into the week it starts.
    return sql`((date_trunc('week', (${t} AT TIME ZONE ${zone}) + interval '1 day') - interval '1 day') AT TIME ZONE ${zone})`;
  }
  return sql`(date_trunc(${UNIT[granularity]}::text, ${t} AT TIME ZONE ${zone}) AT TIME ZONE ${zone})`;
}

/** Every bucket start of `granularity` in zone `zone` that intersects `[from, to)`. */
export function bucketSeries(
  granularity: Granularity,
  zone: Sql,
  from: Date,
  to: Date,
  calendar: CalendarBuckets = ISO_BUCKETS,
): Sql {
  if (granularity === 'HOUR') {
    // Local hour boundaries fall on UTC quarter hours in every zone; probe each quarter hour.
    return sql`SELECT DISTINCT ${bucketStart('HOUR', sql`q.t`, zone)} AS bucket
      FROM (SELECT ${from}::timestamptz AS t
            UNION ALL
            SELECT generate_series(date_bin('15 minutes', ${from}::timestamptz, '2000-01-01 00:00:00+00'),
                                   ${to}::timestamptz - interval '1 microsecond', interval '15 minutes')) q
      WHERE q.t >= ${from}::timestamptz`;
  }
  if (isRetail(granularity)) {
    const starts = calendar.boundaries;
    return sql`SELECT b.s::timestamp AT TIME ZONE ${zone} AS bucket
      FROM unnest(${starts.slice(0, -1)}::date[], ${starts.slice(1)}::date[]) AS b(s, e)
      WHERE b.e::timestamp AT TIME ZONE ${zone} > ${from}::timestamptz
        AND b.s::timestamp AT TIME ZONE ${zone} < ${to}::timestamptz`;
  }
  const unit = UNIT[granularity];
  const local = sql`${from}::timestamptz AT TIME ZONE ${zone}`;
  const first =
    granularity === 'WEEK' && calendar.weekStart === 'SUNDAY'
      ? sql`date_trunc('week', ${local} + interval '1 day') - interval '1 day'`
      : sql`date_trunc(${unit}::text, ${local})`;
  return sql`SELECT g AT TIME ZONE ${zone} AS bucket
      FROM generate_series(${first},
                           (${to}::timestamptz - interval '1 microsecond') AT TIME ZONE ${zone},
                           ${`1 ${unit}`}::interval) g`;
}

/** Named ranges that run from the start of the current month, quarter or year to now. */
export type NamedPeriod = 'MTD' | 'QTD' | 'YTD';

const PERIOD_MONTHS: Record<NamedPeriod, number> = { MTD: 1, QTD: 3, YTD: 12 };

/**
 * The range `[local midnight starting the month, quarter or year of now in zone, now)`: a
 * dashboard's month-to-date in the caller's own calendar.
 */
export function periodRange(period: NamedPeriod, zone: string, now: Date): TimeRange {
  const t = now.getTime();
  const local = new Date(t + zoneOffsetMinutes(zone, t) * MINUTE_MS);
  const months = PERIOD_MONTHS[period];
  const month = Math.floor(local.getUTCMonth() / months) * months;
  const wall = Date.UTC(local.getUTCFullYear(), month, 1);
  // The offset at the start may differ from now's (DST): take the one in force at that instant.
  const guess = wall - zoneOffsetMinutes(zone, wall) * MINUTE_MS;
  return { from: new Date(wall - zoneOffsetMinutes(zone, guess) * MINUTE_MS), to: now };
}

/** What a trend compares each bucket with. */
export type CompareTo = 'PREVIOUS_PERIOD' | 'PREVIOUS_YEAR' | 'PREVIOUS_YEAR_SAME_WEEKDAY';

/**
 * A step back on the wall clock of a zone: whole calendar years (a 29 February becomes the
 * 28th, as PostgreSQL's interval arithmetic does), then a length in milliseconds.
 */
export interface WallShift {
  years: number;
  ms: number;
}

const wallOf = (zone: string, t: number) => t + zoneOffsetMinutes(zone, t) * MINUTE_MS;

/** The instant a wall-clock time of `zone` names (as PostgreSQL's `timestamp AT TIME ZONE`). */
function instantOf(zone: string, wall: number): number {
  const guess = wall - zoneOffsetMinutes(zone, wall) * MINUTE_MS;
  return wall - zoneOffsetMinutes(zone, guess) * MINUTE_MS;
}

/**
 * The step back to the compared range: by the range's own length on the zone's wall clock, by
 * one calendar year, or by 364 days (52 weeks: the same weekdays).
 */
export function comparisonShift(compareTo: CompareTo, range: TimeRange, zone: string): WallShift {
  switch (compareTo) {
    case 'PREVIOUS_PERIOD':
      return {
        years: 0,
        ms: wallOf(zone, range.to.getTime()) - wallOf(zone, range.from.getTime()),
      };
    case 'PREVIOUS_YEAR':
      return { years: 1, ms: 0 };
    case 'PREVIOUS_YEAR_SAME_WEEKDAY':
      return { years: 0, ms: 364 * 24 * 60 * MINUTE_MS };
  }
}

/**
 * PREVIOUS_YEAR in a retail calendar: `t` moved back to the same weekday of the same week of
 * the fiscal year before (a day of a 53rd week, which the year before lacks, to the end of
 * that year), on the wall clock of `zone`.
 */
export function retailYearBack(t: Date, zone: string, calendar: TenantCalendar): Date {
  const wall = wallOf(zone, t.getTime());
  const day = Math.floor(wall / DAY_MS);
  const fy = fiscalYearOf(day, calendar);
  const before = fiscalYear(fy.label - 1, calendar);
  const back = before.start + Math.min(day - fy.start, before.weeks * 7);
  return new Date(instantOf(zone, back * DAY_MS + (wall - day * DAY_MS)));
}

/**
 * SQL: instant `t` of a compared year moved forward to the same week and weekday of the next
 * fiscal year (by its own year's length, 364 or 371 days, on the wall clock of `zone`), with
 * `fiscalYears` the first days of the fiscal years around it.
 */
export function retailYearForwardSql(t: Sql, zone: Sql, fiscalYears: readonly string[]): Sql {
  const starts = sql`${fiscalYears}::date[]`;
  const i = sql`width_bucket(${localDate(t, zone)}, ${starts})`;
  return sql`(((${t}) AT TIME ZONE ${zone}) + ((${starts})[${i} + 1] - (${starts})[${i}]) * interval '1 day') AT TIME ZONE ${zone}`;
}

/** SQL: whether instant `t` falls in the 53rd week of its fiscal year. */
export function inWeek53Sql(t: Sql, zone: Sql, fiscalYears: readonly string[]): Sql {
  const starts = sql`${fiscalYears}::date[]`;
  return sql`(${localDate(t, zone)} >= (${starts})[width_bucket(${localDate(t, zone)}, ${starts})] + 364)`;
}

/** `t` moved back by `shift` on the wall clock of `zone`. */
export function shiftBack(t: Date, zone: string, shift: WallShift): Date {
  const wall = new Date(wallOf(zone, t.getTime()));
  const year = wall.getUTCFullYear() - shift.years;
  const month = wall.getUTCMonth();
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(wall.getUTCDate(), lastDay);
  const timeOfDay = wall.getTime() - Date.UTC(wall.getUTCFullYear(), month, wall.getUTCDate());
  return new Date(instantOf(zone, Date.UTC(year, month, day) + timeOfDay - shift.ms));
}

/** SQL: instant `t` moved forward (or back, `sign` -1) by `shift` on the wall clock of `zone`. */
export function shiftSql(t: Sql, zone: Sql, shift: WallShift, sign: 1 | -1): Sql {
  const step = sql`(${shift.years}::integer * interval '1 year' + ${shift.ms}::bigint * interval '1 millisecond')`;
  return sql`(((${t}) AT TIME ZONE ${zone}) ${sign === 1 ? sql`+` : sql`-`} ${step}) AT TIME ZONE ${zone}`;
}
