import sql, { type Sql } from 'sql-template-tag';
import { zoneOffsetMinutes, type Granularity, type TimeRange } from '../sales/plan.js';

const MINUTE_MS = 60_000;

const UNIT: Record<Exclude<Granularity, 'HOUR'>, string> = {
  DAY: 'day',
  WEEK: 'week',
  MONTH: 'month',
};

/**
 * Start of the bucket of instant `t` in zone `zone`. HOUR: the last local clock hour boundary
 * at or before `t` (each absolute hour is its own bucket, so the repeated hour of a DST change
 * gives two buckets); DAY, WEEK (ISO, Monday), MONTH: local midnight of the day, week, month.
 */
export function bucketStart(granularity: Granularity, t: Sql, zone: Sql): Sql {
  if (granularity === 'HOUR') {
    return sql`(${t} - ((${t} AT TIME ZONE ${zone}) - date_trunc('hour', ${t} AT TIME ZONE ${zone})))`;
  }
  return sql`(date_trunc(${UNIT[granularity]}::text, ${t} AT TIME ZONE ${zone}) AT TIME ZONE ${zone})`;
}

/** Every bucket start of `granularity` in zone `zone` that intersects `[from, to)`. */
export function bucketSeries(granularity: Granularity, zone: Sql, from: Date, to: Date): Sql {
  if (granularity === 'HOUR') {
    // Local hour boundaries fall on UTC quarter hours in every zone; probe each quarter hour.
    return sql`SELECT DISTINCT ${bucketStart('HOUR', sql`q.t`, zone)} AS bucket
      FROM (SELECT ${from}::timestamptz AS t
            UNION ALL
            SELECT generate_series(date_bin('15 minutes', ${from}::timestamptz, '2000-01-01 00:00:00+00'),
                                   ${to}::timestamptz - interval '1 microsecond', interval '15 minutes')) q
      WHERE q.t >= ${from}::timestamptz`;
  }
  const unit = UNIT[granularity];
  return sql`SELECT g AT TIME ZONE ${zone} AS bucket
      FROM generate_series(date_trunc(${unit}::text, ${from}::timestamptz AT TIME ZONE ${zone}),
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
