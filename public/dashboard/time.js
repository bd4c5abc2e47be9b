// Calendar dates and buckets in the tenant's zone, with the browser's own time-zone database.

const DAY_MS = 86_400_000;

const offsets = new Map();

/** How far `zone`'s wall clock is ahead of UTC at an instant, in milliseconds. */
function offsetMs(instantMs, zone) {
  let format = offsets.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsets.set(zone, format);
  }
  const part = Object.fromEntries(
    format.formatToParts(new Date(instantMs)).map((p) => [p.type, Number(p.value)]),
  );
  const wall = Date.UTC(part.year, part.month - 1, part.day, part.hour, part.minute, part.second);
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/** The instant a calendar date ("2026-11-30") starts in `zone`. */
export function startOfDate(date, zone) {
  const [year, month, day] = date.split('-').map(Number);
  const wall = Date.UTC(year, month - 1, day);
  const guess = wall - offsetMs(wall, zone);
  return new Date(wall - offsetMs(guess, zone));
}

/** The calendar date ("2026-11-30") of an instant in `zone`. */
export function dateIn(instant, zone) {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

/** The date `days` after a calendar date (negative: before). */
export function addDays(date, days) {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days from one calendar date to another, both included. */
export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** Whether a text is a real calendar date in the form 2026-11-30. */
export function isDate(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text ?? '') && addDays(text, 0) === text;
}

/** The half-open range of instants from the start of `from` to the end of `to` in `zone`. */
export function rangeOf(from, to, zone) {
  return {
    from: startOfDate(from, zone).toISOString(),
    to: startOfDate(addDays(to, 1), zone).toISOString(),
  };
}

/** An instant one calendar year before, in UTC (a 29 February becomes the 28th, as the API's). */
function yearBefore(iso) {
  const t = new Date(iso);
  const year = t.getUTCFullYear() - 1;
  const month = t.getUTCMonth();
  const day = Math.min(t.getUTCDate(), new Date(Date.UTC(year, month + 1, 0)).getUTCDate());
  const timeOfDay = t.getTime() - Date.UTC(t.getUTCFullYear(), month, t.getUTCDate());
  return new Date(Date.UTC(year, month, day) + timeOfDay).toISOString();
}

/**
 * The ranges a range is compared with, as ranking's compareTo takes them (in UTC): moved back
 * by its own length, and by one calendar year.
 */
export function comparedRanges(range) {
  const length = Date.parse(range.to) - Date.parse(range.from);
  return {
    previousPeriodRange: {
      from: new Date(Date.parse(range.from) - length).toISOString(),
      to: range.from,
    },
    previousYearRange: { from: yearBefore(range.from), to: yearBefore(range.to) },
  };
}

const LABELS = {
  DAY: { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' },
  WEEK: { day: 'numeric', month: 'short', year: 'numeric' },
  MONTH: { month: 'long', year: 'numeric' },
};

/** A bucket's name in the tenant's zone: "Mon, 30 Nov 2026", "week of 30 Nov 2026", "November 2026". */
export function bucketLabel(bucket, granularity, zone) {
  const text = new Intl.DateTimeFormat('en-GB', { timeZone: zone, ...LABELS[granularity] }).format(
    new Date(bucket),
  );
  return granularity === 'WEEK' ? `week of ${text}` : text;
}

/** An instant as the tenant reads it: "30 Nov 2026, 14:05". */
export function instantLabel(instant, zone) {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(instant));
}
