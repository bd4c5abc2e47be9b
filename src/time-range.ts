import { builder } from './builder.js';
import { userError } from './errors.js';

/** A bucket width, as the SQL date_trunc units name it. */
export type BucketUnit = 'hour' | 'day' | 'week' | 'month';

export interface TimeRange {
  from: Date;
  to: Date;
}

/** The half-open time range `[from, to)` every time-series query takes. */
export const TimeRangeInput = builder.inputType('TimeRange', {
  description: 'A half-open time range [from, to).',
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: true, description: 'First instant included.' }),
    to: t.field({ type: 'DateTime', required: true, description: 'First instant excluded.' }),
  }),
});

/** A bucket width of the sales trends: a calendar unit, or a period of the retail calendar. */
export type GranularityValue =
  BucketUnit | 'retail_week' | 'retail_month' | 'retail_quarter' | 'retail_year';

/** Bucket widths of time series (UTC buckets unless a query takes a time zone). */
export const GranularityEnum = builder.enumType('Granularity', {
  description: 'Width of a time bucket.',
  values: {
    HOUR: { value: 'hour', description: 'One hour.' },
    DAY: { value: 'day', description: 'One calendar day.' },
    WEEK: {
      value: 'week',
      description:
        'One week, starting on the tenant’s weekStart (Monday, an ISO week, unless set to Sunday); inventoryHistory’s weeks are ISO weeks.',
    },
    MONTH: { value: 'month', description: 'One calendar month.' },
    RETAIL_WEEK: {
      value: 'retail_week',
      description: 'One week of the tenant’s retail calendar (sales trends only).',
    },
    RETAIL_MONTH: {
      value: 'retail_month',
      description: 'One period (retail month: 4, 5 or 4 weeks) of the tenant’s retail calendar.',
    },
    RETAIL_QUARTER: {
      value: 'retail_quarter',
      description: 'One quarter (13 weeks, 14 with a 53rd week) of the tenant’s retail calendar.',
    },
    RETAIL_YEAR: {
      value: 'retail_year',
      description: 'One fiscal year (52 or 53 weeks) of the tenant’s retail calendar.',
    },
  } satisfies Record<Uppercase<GranularityValue>, { value: GranularityValue; description: string }>,
});

/** The calendar unit of `value`, or a typed error for the retail calendar's periods. */
export function calendarUnit(value: GranularityValue, field: string): BucketUnit {
  if (value.startsWith('retail_')) {
    throw userError(
      `${field} buckets by HOUR, DAY, WEEK or MONTH; the retail calendar's granularities are for sales trends`,
      'BAD_USER_INPUT',
      { argument: 'granularity' },
    );
  }
  return value as BucketUnit;
}

/** Checks that `range` is not empty nor inverted; `argument` names it in the error. */
export function validateRange(range: TimeRange, argument = 'range'): TimeRange {
  if (!(range.from.getTime() < range.to.getTime())) {
    throw userError(
      `${argument}.from must be before ${argument}.to (the range is [from, to))`,
      'BAD_USER_INPUT',
      {
        argument,
      },
    );
  }
  return range;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
// 1970-01-01 was a Thursday: ISO weeks start four days after epoch-aligned 7-day blocks.
const WEEK_OFFSET_MS = 4 * DAY_MS;

/** Index of the UTC bucket of `unit` holding `instant` (consecutive buckets, consecutive indexes). */
export function bucketIndex(instant: number, unit: BucketUnit): number {
  switch (unit) {
    case 'hour':
      return Math.floor(instant / HOUR_MS);
    case 'day':
      return Math.floor(instant / DAY_MS);
    case 'week':
      return Math.floor((instant - WEEK_OFFSET_MS) / (7 * DAY_MS));
    case 'month': {
      const date = new Date(instant);
      return date.getUTCFullYear() * 12 + date.getUTCMonth();
    }
  }
}

/** How many UTC buckets of `unit` the half-open range touches. */
export function bucketCount(range: TimeRange, unit: BucketUnit): number {
  return bucketIndex(range.to.getTime() - 1, unit) - bucketIndex(range.from.getTime(), unit) + 1;
}
