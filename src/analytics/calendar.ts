/** The day a tenant's weeks start on (WEEK buckets, and the weeks of its retail calendar). */
export type WeekStart = 'MONDAY' | 'SUNDAY';

/** Retail calendars a tenant may report in. */
export type RetailCalendarKind = 'NRF_454';

/** A tenant's calendars: its week start and, optionally, its retail calendar. */
export interface TenantCalendar {
  weekStart: WeekStart;
  retail: { kind: RetailCalendarKind; fiscalYearEnd: number } | null;
}

/** The calendar of a tenant that set nothing: ISO weeks (Monday), no retail calendar. */
export const DEFAULT_CALENDAR: TenantCalendar = { weekStart: 'MONDAY', retail: null };

/** The month names a fiscal year may end in, January first. */
export const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;

export type MonthName = (typeof MONTHS)[number];

/** Granularities of the retail calendar: its weeks and the periods made of whole weeks. */
export type RetailGranularity = 'RETAIL_WEEK' | 'RETAIL_MONTH' | 'RETAIL_QUARTER' | 'RETAIL_YEAR';

const DAY_MS = 86_400_000;
// Weeks of each period (retail month) of a 4-5-4 year; a 53rd week joins the last period.
const PERIOD_WEEKS = [4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 5, 4];

/** Days since 1970-01-01 of a calendar date (a "local day": no zone). */
export const dayNumber = (year: number, month: number, day: number): number =>
  Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);

/** `YYYY-MM-DD` of a day number. */
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

// 1970-01-01 was a Thursday (4, Sunday being 0).
const weekday = (day: number): number => (((day + 4) % 7) + 7) % 7;

/** Weekday number (Sunday 0) a week starting on `start` ends on. */
const lastWeekday = (start: WeekStart): number => (start === 'SUNDAY' ? 6 : 0);

/** The first day of the week holding `day`, weeks starting on `start`. */
export function weekStartOf(day: number, start: WeekStart): number {
  const first = start === 'SUNDAY' ? 0 : 1;
  return day - ((weekday(day) - first + 7) % 7);
}

/** One fiscal year of a retail calendar: its name, first day and number of weeks. */
export interface FiscalYear {
  /** NRF_454 ending in January: the calendar year it starts in (fiscal 2023 began 29 January 2023). */
  label: number;
  start: number;
  weeks: 52 | 53;
}

/**
 * The last day of fiscal year `label`: the day a week ends on (Saturday for weeks from Sunday)
 * nearest the last day of the fiscal year's last month. A year ending in January is named
 * after the calendar year it starts in (the NRF's usage), any other after the year it ends in.
 */
function fiscalYearEnd(label: number, calendar: TenantCalendar, month: number): number {
  const endYear = month === 1 ? label + 1 : label;
  const lastOfMonth = dayNumber(endYear, month + 1, 0);
  const back = (weekday(lastOfMonth) - lastWeekday(calendar.weekStart) + 7) % 7;
  return back <= 3 ? lastOfMonth - back : lastOfMonth - back + 7;
}

/** Fiscal year `label` of the tenant's retail calendar. */
export function fiscalYear(label: number, calendar: TenantCalendar): FiscalYear {
  const month = retailOf(calendar).fiscalYearEnd;
  const start = fiscalYearEnd(label - 1, calendar, month) + 1;
  const weeks = (fiscalYearEnd(label, calendar, month) - start + 1) / 7;
  return { label, start, weeks: weeks === 53 ? 53 : 52 };
}

function retailOf(calendar: TenantCalendar): NonNullable<TenantCalendar['retail']> {
  if (!calendar.retail) throw new Error('the tenant has no retail calendar');
  return calendar.retail;
}

/** The fiscal year holding `day`. */
export function fiscalYearOf(day: number, calendar: TenantCalendar): FiscalYear {
  const year = new Date(day * DAY_MS).getUTCFullYear();
  for (const label of [year + 1, year, year - 1, year - 2]) {
    const fy = fiscalYear(label, calendar);
    if (fy.start <= day) return fy;
  }
  throw new Error(`no fiscal year holds day ${day}`);
}

/** One period of the retail calendar: a week, retail month, quarter or year. */
export interface RetailPeriod {
  granularity: RetailGranularity;
  /** First day, and the day after the last (local calendar days). */
  start: number;
  end: number;
  fiscalYear: number;
  /** 1 to 4; null for a year. */
  quarter: number | null;
  /** 1 to 12; null for a quarter or a year. */
  period: number | null;
  /** Week of the fiscal year (1 to 53) and of its period; null above a week. */
  week: number | null;
  weekOfPeriod: number | null;
  /** "FY2026", "FY2026 Q1", "FY2026 P03", "FY2026 P03 W2". */
  label: string;
}

/** Every week of a fiscal year with its period, quarter and their numbers. */
function weeksOf(fy: FiscalYear): RetailPeriod[] {
  const weeks: RetailPeriod[] = [];
  let week = 0;
  PERIOD_WEEKS.forEach((count, p) => {
    const n = p === 11 && fy.weeks === 53 ? count + 1 : count;
    for (let w = 1; w <= n; w += 1) {
      const start = fy.start + week * 7;
      week += 1;
      const period = p + 1;
      weeks.push({
        granularity: 'RETAIL_WEEK',
        start,
        end: start + 7,
        fiscalYear: fy.label,
        quarter: Math.floor(p / 3) + 1,
        period,
        week,
        weekOfPeriod: w,
        label: `FY${fy.label} P${String(period).padStart(2, '0')} W${w}`,
      });
    }
  });
  return weeks;
}

/** The periods of `granularity` of one fiscal year, in order. */
function periodsOfYear(fy: FiscalYear, granularity: RetailGranularity): RetailPeriod[] {
  const weeks = weeksOf(fy);
  if (granularity === 'RETAIL_WEEK') return weeks;
  const key = (w: RetailPeriod) =>
    granularity === 'RETAIL_MONTH' ? w.period : granularity === 'RETAIL_QUARTER' ? w.quarter : 0;
  const out: RetailPeriod[] = [];
  for (const w of weeks) {
    const last = out.at(-1);
    if (last && key(last) === key(w)) {
      last.end = w.end;
      continue;
    }
    const fyName = `FY${fy.label}`;
    out.push({
      granularity,
      start: w.start,
      end: w.end,
      fiscalYear: fy.label,
      quarter: granularity === 'RETAIL_YEAR' ? null : w.quarter,
      period: granularity === 'RETAIL_MONTH' ? w.period : null,
      week: null,
      weekOfPeriod: null,
      label:
        granularity === 'RETAIL_MONTH'
          ? `${fyName} P${String(w.period).padStart(2, '0')}`
          : granularity === 'RETAIL_QUARTER'
            ? `${fyName} Q${w.quarter}`
            : fyName,
    });
  }
  return out;
}

/** Every period of `granularity` that holds a day of `[fromDay, toDay)`, in order. */
export function retailPeriods(
  calendar: TenantCalendar,
  granularity: RetailGranularity,
  fromDay: number,
  toDay: number,
): RetailPeriod[] {
  const out: RetailPeriod[] = [];
  for (let fy = fiscalYearOf(fromDay, calendar); fy.start < toDay;) {
    for (const p of periodsOfYear(fy, granularity)) {
      if (p.end > fromDay && p.start < toDay) out.push(p);
    }
    fy = fiscalYear(fy.label + 1, calendar);
  }
  return out;
}

/**
 * The first days of the fiscal years holding `[fromDay, toDay)`, and of the year after: the
 * thresholds that place a day in its fiscal year.
 */
export function fiscalYearStarts(
  calendar: TenantCalendar,
  fromDay: number,
  toDay: number,
): number[] {
  const starts: number[] = [];
  let fy = fiscalYearOf(fromDay, calendar);
  for (; fy.start < toDay; fy = fiscalYear(fy.label + 1, calendar)) starts.push(fy.start);
  starts.push(fy.start);
  return starts;
}
