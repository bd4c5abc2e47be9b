import {
  dayNumber,
  DEFAULT_CALENDAR,
  isoDay,
  MONTHS,
  retailPeriods,
  type MonthName,
  type RetailPeriod,
  type TenantCalendar,
} from '../analytics/calendar.js';
import { requestFacts } from '../analytics/data-freshness.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { userError } from '../errors.js';
import { isRetail, validateRange, zoneOffsetMinutes, type Granularity } from '../sales/plan.js';
import { TimeRangeInput } from '../time-range.js';
import {
  setTenantCalendar,
  tenantCalendar,
  type CalendarChange,
  type ReportingCalendar,
} from './tenant-store.js';

/** The calendars and zone of the request's tenant, read once per request with its freshness. */
export async function requestCalendar(ctx: GraphQLContext): Promise<ReportingCalendar> {
  return (await requestFacts(ctx)).calendar;
}

/**
 * The calendars a trend of `granularity` buckets by: the tenant's for WEEK and the retail
 * periods (a retail period without a retail calendar is a typed error), ISO otherwise (no read).
 */
export async function calendarFor(
  ctx: GraphQLContext,
  granularity: Granularity,
): Promise<TenantCalendar> {
  if (granularity !== 'WEEK' && !isRetail(granularity)) return DEFAULT_CALENDAR;
  const calendar = await requestCalendar(ctx);
  if (isRetail(granularity) && !calendar.retail) {
    throw userError(
      `granularity ${granularity} needs the tenant’s retail calendar: an admin sets it with setCalendar(retailCalendar: NRF_454, fiscalYearEnd: JANUARY)`,
      'BAD_USER_INPUT',
      { argument: 'granularity' },
    );
  }
  return calendar;
}

const WeekStartEnum = builder.enumType('WeekStart', {
  description: 'The day a tenant’s weeks start on.',
  values: {
    MONDAY: { description: 'Monday (ISO weeks); the default.' },
    SUNDAY: { description: 'Sunday (the NRF retail calendar’s weeks).' },
  } as const,
});

const RetailCalendarEnum = builder.enumType('RetailCalendar', {
  description: 'Retail calendars a tenant may report in.',
  values: {
    NRF_454: {
      description:
        'The National Retail Federation’s 4-5-4 calendar: quarters of 4, 5 and 4 weeks; the fiscal year ends on the last day of a week (Saturday with weeks from Sunday) nearest the end of its last month, so every five or six years it has a 53rd week, added to its last period.',
    },
  } as const,
});

const MonthEnum = builder.enumType('Month', {
  description: 'A calendar month.',
  values: MONTHS,
});

const monthNumber = (m: MonthName): number => MONTHS.indexOf(m) + 1;

const TenantCalendarRef = builder.objectRef<ReportingCalendar>('TenantCalendar').implement({
  description:
    'How the tenant reports: the zone its days are in, and how its WEEK and RETAIL_* buckets are cut.',
  fields: (t) => ({
    timeZone: t.field({
      type: 'TimeZone',
      description:
        'The tenant’s reporting zone: the zone to give a question (a trend’s timeZone, a calendar’s) for the tenant’s own days, weeks, months and retail periods, as the dashboard does. UTC unless an admin sets it (setCalendar); a tenant that had stores when the setting came took the zone most of them keep. Questions that name no zone stay in UTC.',
      resolve: (c) => c.timeZone,
    }),
    weekStart: t.field({
      type: WeekStartEnum,
      description: 'The day WEEK buckets (and the retail calendar’s weeks) start on.',
      resolve: (c) => c.weekStart,
    }),
    retailCalendar: t.field({
      type: RetailCalendarEnum,
      nullable: true,
      description: 'The retail calendar of RETAIL_* buckets; null: none.',
      resolve: (c) => c.retail?.kind ?? null,
    }),
    fiscalYearEnd: t.field({
      type: MonthEnum,
      nullable: true,
      description:
        'The month the retail calendar’s fiscal year ends in (JANUARY for the NRF’s own calendar).',
      resolve: (c) => (c.retail ? (MONTHS[c.retail.fiscalYearEnd - 1] ?? null) : null),
    }),
  }),
});

builder.mutationField('setCalendar', (t) =>
  t.field({
    type: TenantCalendarRef,
    description:
      'Sets the tenant’s reporting zone, week start and retail calendar (admin without a store scope); arguments left out keep their value. A retail calendar without fiscalYearEnd ends its year in JANUARY.',
    authScopes: { admin: true },
    args: {
      timeZone: t.arg({
        type: 'TimeZone',
        description: 'The tenant’s reporting zone (an IANA name).',
      }),
      weekStart: t.arg({ type: WeekStartEnum, description: 'The day weeks start on.' }),
      retailCalendar: t.arg({
        type: RetailCalendarEnum,
        description: 'The retail calendar of RETAIL_* buckets.',
      }),
      fiscalYearEnd: t.arg({
        type: MonthEnum,
        description: 'The month its fiscal year ends in (default JANUARY).',
      }),
      clearRetailCalendar: t.arg.boolean({
        defaultValue: false,
        description: 'Remove the retail calendar (RETAIL_* buckets are then refused).',
      }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer.storeIds !== null) {
        throw userError('a store-scoped token may not change the tenant’s calendars', 'FORBIDDEN');
      }
      if (args.clearRetailCalendar && (args.retailCalendar || args.fiscalYearEnd)) {
        throw userError('give retailCalendar or clearRetailCalendar, not both', 'BAD_USER_INPUT', {
          argument: 'clearRetailCalendar',
        });
      }
      const change: CalendarChange = {};
      if (args.weekStart) change.weekStart = args.weekStart;
      if (args.timeZone) change.timeZone = args.timeZone;
      if (args.clearRetailCalendar) change.retail = null;
      if (args.retailCalendar || args.fiscalYearEnd) {
        const current = (await tenantCalendar(ctx.db)).retail;
        change.retail = {
          kind: args.retailCalendar ?? current?.kind ?? 'NRF_454',
          fiscalYearEnd: args.fiscalYearEnd
            ? monthNumber(args.fiscalYearEnd)
            : (current?.fiscalYearEnd ?? 1),
        };
      }
      return setTenantCalendar(ctx.db, change);
    },
  }),
);

const CalendarGranularityEnum = builder.enumType('CalendarGranularity', {
  description: 'Which periods of the retail calendar to list.',
  values: {
    RETAIL_WEEK: { description: 'Weeks.' },
    RETAIL_MONTH: { description: 'Periods (retail months).' },
    RETAIL_QUARTER: { description: 'Quarters.' },
    RETAIL_YEAR: { description: 'Fiscal years.' },
  } as const,
});

const DAY_MS = 86_400_000;

/** A retail period as answered: its days and the instants they start and end at in a zone. */
interface CalendarPeriodRow extends RetailPeriod {
  zone: string;
}

/** The instant local midnight of `day` is in `zone`. */
function midnight(day: number, zone: string): Date {
  const wall = day * DAY_MS;
  const guess = wall - zoneOffsetMinutes(zone, wall) * 60_000;
  return new Date(wall - zoneOffsetMinutes(zone, guess) * 60_000);
}

const CalendarPeriodRef = builder.objectRef<CalendarPeriodRow>('CalendarPeriod').implement({
  description: 'One period of the tenant’s retail calendar.',
  fields: (t) => ({
    label: t.exposeString('label', {
      description: '"FY2026", "FY2026 Q1", "FY2026 P03" or "FY2026 P03 W2".',
    }),
    start: t.field({
      type: 'DateTime',
      description: 'Local midnight of its first day in the time zone asked for.',
      resolve: (p) => midnight(p.start, p.zone),
    }),
    end: t.field({
      type: 'DateTime',
      description: 'Local midnight after its last day: the period is [start, end).',
      resolve: (p) => midnight(p.end, p.zone),
    }),
    firstDay: t.field({
      type: 'Date',
      description: 'Its first day.',
      resolve: (p) => isoDay(p.start),
    }),
    lastDay: t.field({
      type: 'Date',
      description: 'Its last day.',
      resolve: (p) => isoDay(p.end - 1),
    }),
    weeks: t.int({ description: 'Its number of weeks.', resolve: (p) => (p.end - p.start) / 7 }),
    fiscalYear: t.exposeInt('fiscalYear', {
      description:
        'The fiscal year (a year ending in January is named after the year it starts in, as the NRF does).',
    }),
    quarter: t.exposeInt('quarter', { nullable: true, description: 'Quarter 1 to 4.' }),
    period: t.exposeInt('period', {
      nullable: true,
      description: 'Period (retail month) 1 to 12.',
    }),
    week: t.exposeInt('week', { nullable: true, description: 'Week of the fiscal year, 1 to 53.' }),
    weekOfPeriod: t.exposeInt('weekOfPeriod', {
      nullable: true,
      description: 'Week of its period, 1 to 5 (6 never: a 53rd week makes the last period 5).',
    }),
  }),
});

/** The most periods one calendar answer lists. */
const MAX_CALENDAR_PERIODS = 1000;

builder.queryField('calendar', (t) =>
  t.field({
    type: [CalendarPeriodRef],
    description: `The periods of the tenant’s retail calendar that intersect the half-open range [from, to), with their labels (at most ${MAX_CALENDAR_PERIODS}).`,
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      granularity: t.arg({
        type: CalendarGranularityEnum,
        defaultValue: 'RETAIL_WEEK',
        description: 'Which periods.',
      }),
      timeZone: t.arg({ type: 'TimeZone', description: 'Zone of the days (default UTC).' }),
    },
    resolve: async (_root, args, ctx) => {
      validateRange(args.range);
      const granularity = args.granularity ?? 'RETAIL_WEEK';
      const zone = args.timeZone ?? 'UTC';
      const calendar = await calendarFor(ctx, granularity);
      const localDay = (d: Date) => {
        const wall = d.getTime() + zoneOffsetMinutes(zone, d.getTime()) * 60_000;
        const date = new Date(wall);
        return dayNumber(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
      };
      const from = localDay(args.range.from);
      const to = localDay(new Date(args.range.to.getTime() - 1)) + 1;
      if (to - from > MAX_CALENDAR_PERIODS * 7) {
        throw userError(
          `the range is too long: at most ${MAX_CALENDAR_PERIODS} weeks`,
          'BAD_USER_INPUT',
          {
            argument: 'range',
          },
        );
      }
      return retailPeriods(calendar, granularity, from, to).map((p) => ({ ...p, zone }));
    },
  }),
);

builder.queryField('tenantCalendar', (t) =>
  t.field({
    type: TenantCalendarRef,
    description: 'The tenant’s reporting zone, week start and retail calendar.',
    resolve: (_root, _args, ctx) => requestCalendar(ctx),
  }),
);
