const DAY_MS = 86_400_000;

const RETENTION = /^([1-9]\d{0,3})\s*(minute|hour|day|week|month|year)s?$/i;

/**
 * A retention horizon in the one spelling the database keeps (`customers.retention`, checked
 * there too), e.g. "20 years" from " 20 Years" or "20years"; null when it is not a count of
 * minutes, hours, days, weeks, months or years from 1 to 9999.
 */
export function normalRetention(input: string): string | null {
  const [, count, unit] = RETENTION.exec(input.trim()) ?? [];
  if (!count || !unit) return null;
  return `${count} ${unit.toLowerCase()}${count === '1' ? '' : 's'}`;
}

/**
 * The oldest time a sale line may have to be kept: `retention` (the tenant's horizon, a
 * PostgreSQL interval such as "2 years") before `now`, plus one day, so that no line is
 * accepted only to be deleted by the next retention run (which counts months and years in the
 * database's time zone).
 */
export function retentionHorizon(retention: string, now: Date = new Date()): Date {
  const [, count = '0', unit = ''] = /^(\d+)\s*([a-z]+?)s?$/i.exec(retention.trim()) ?? [];
  const n = Number(count);
  const t = new Date(now.getTime());
  switch (unit.toLowerCase()) {
    case 'year':
      t.setUTCFullYear(t.getUTCFullYear() - n);
      break;
    case 'month':
      t.setUTCMonth(t.getUTCMonth() - n);
      break;
    case 'week':
      t.setTime(t.getTime() - n * 7 * DAY_MS);
      break;
    case 'day':
      t.setTime(t.getTime() - n * DAY_MS);
      break;
    case 'hour':
      t.setTime(t.getTime() - n * 3_600_000);
      break;
    case 'minute':
      t.setTime(t.getTime() - n * 60_000);
      break;
    default:
      throw new Error(
        `RETENTION ${JSON.stringify(retention)} is not an interval this gateway reads`,
      );
  }
  return new Date(t.getTime() + DAY_MS);
}

/** Why a line of time `time` cannot be accepted under `retention`, or null when it can. */
export function retentionProblem(time: Date, horizon: Date, retention: string): string | null {
  if (time.getTime() >= horizon.getTime()) return null;
  return `time ${time.toISOString()} is older than the retention horizon ${horizon.toISOString()} (the tenant keeps "${retention}"): it would be deleted, so it is refused; lengthen the tenant's retention (npm run tenant -- set --retention, or the setRetention mutation) to keep older history`;
}
