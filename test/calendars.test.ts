import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDay, retailPeriods, type TenantCalendar } from '../src/analytics/calendar.js';
import { planTrend } from '../src/sales/sales-store.js';
import { WITH_SERVER } from './support/backends.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';
import {
  generateSales,
  insertSales,
  insertTenants,
  localMidnight,
  localParts,
  salesTenant,
  type SaleRow,
} from './support/sales-data.js';
import { runCli } from './support/cli.js';

// The NRF 4-5-4 calendar, fiscal 2022 to 2028: the first day of each of the 12 periods,
// typed by hand. The NRF's own tables are PDFs linked from https://nrf.com/resources/4-5-4-calendar
// and could not be read here (searched again: only the page's text is stored, not the tables).
// What the sources say, and this table agrees with:
// - https://nrf.com/resources/4-5-4-calendar: a 53rd week every five to six years, "most
//   recently occurred in FY'12 and FY'17 and will occur in FY'23", added at the end of the year;
// - https://coresight.com/research/the-4-5-4-us-retail-calendar-2023-24-your-guide-to-the-retail-year:
//   "a guide to the fiscal year ending February 3, 2024. Fiscal 2023 comprises 53 weeks".
// The rest follows the published rule: the fiscal year ends on the Saturday nearest the end of
// January (so fiscal 2028, ending 3 February 2029, has 53 weeks).
const NRF_PERIOD_STARTS: Record<number, string[]> = {
  2022: [
    '2022-01-30',
    '2022-02-27',
    '2022-04-03',
    '2022-05-01',
    '2022-05-29',
    '2022-07-03',
    '2022-07-31',
    '2022-08-28',
    '2022-10-02',
    '2022-10-30',
    '2022-11-27',
    '2023-01-01',
  ],
  2023: [
    '2023-01-29',
    '2023-02-26',
    '2023-04-02',
    '2023-04-30',
    '2023-05-28',
    '2023-07-02',
    '2023-07-30',
    '2023-08-27',
    '2023-10-01',
    '2023-10-29',
    '2023-11-26',
    '2023-12-31',
  ],
  2024: [
    '2024-02-04',
    '2024-03-03',
    '2024-04-07',
    '2024-05-05',
    '2024-06-02',
    '2024-07-07',
    '2024-08-04',
    '2024-09-01',
    '2024-10-06',
    '2024-11-03',
    '2024-12-01',
    '2025-01-05',
  ],
  2025: [
    '2025-02-02',
    '2025-03-02',
    '2025-04-06',
    '2025-05-04',
    '2025-06-01',
    '2025-07-06',
    '2025-08-03',
    '2025-08-31',
    '2025-10-05',
    '2025-11-02',
    '2025-11-30',
    '2026-01-04',
  ],
  2026: [
    '2026-02-01',
    '2026-03-01',
    '2026-04-05',
    '2026-05-03',
    '2026-05-31',
    '2026-07-05',
    '2026-08-02',
    '2026-08-30',
    '2026-10-04',
    '2026-11-01',
    '2026-11-29',
    '2027-01-03',
  ],
  2027: [
    '2027-01-31',
    '2027-02-28',
    '2027-04-04',
    '2027-05-02',
    '2027-05-30',
    '2027-07-04',
    '2027-08-01',
    '2027-08-29',
    '2027-10-03',
    '2027-10-31',
    '2027-11-28',
    '2028-01-02',
  ],
  2028: [
    '2028-01-30',
    '2028-02-27',
    '2028-04-02',
    '2028-04-30',
    '2028-05-28',
    '2028-07-02',
    '2028-07-30',
    '2028-08-27',
    '2028-10-01',
    '2028-10-29',
    '2028-11-26',
    '2028-12-31',
  ],
};
// The day after the last day of each fiscal year.
const NRF_YEAR_ENDS: Record<number, string> = {
  2022: '2023-01-29',
  2023: '2024-02-04',
  2024: '2025-02-02',
  2025: '2026-02-01',
  2026: '2027-01-31',
  2027: '2028-01-30',
  2028: '2029-02-04',
};

const NRF: TenantCalendar = { weekStart: 'SUNDAY', retail: { kind: 'NRF_454', fiscalYearEnd: 1 } };
const DAY = 86_400_000;
const day = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY);

describe('the NRF 4-5-4 calendar', () => {
  it('starts each period of fiscal 2022 to 2028 on the published day', () => {
    const periods = retailPeriods(NRF, 'RETAIL_MONTH', day('2022-02-01'), day('2029-01-01'));
    const byYear: Record<number, string[]> = {};
    for (const p of periods) (byYear[p.fiscalYear] ??= []).push(isoDay(p.start));
    expect(byYear).toEqual(NRF_PERIOD_STARTS);
  });

  it('has 53 weeks in fiscal 2023 and 2028, the 53rd in the last period', () => {
    const years = retailPeriods(NRF, 'RETAIL_YEAR', day('2022-02-01'), day('2029-01-01'));
    expect(
      years.map((y) => [y.label, isoDay(y.start), isoDay(y.end), (y.end - y.start) / 7]),
    ).toEqual(
      Object.keys(NRF_YEAR_ENDS).map((fy) => [
        `FY${fy}`,
        NRF_PERIOD_STARTS[Number(fy)]?.[0],
        NRF_YEAR_ENDS[Number(fy)],
        fy === '2023' || fy === '2028' ? 53 : 52,
      ]),
    );
    const weeks = retailPeriods(NRF, 'RETAIL_WEEK', day('2024-01-20'), day('2024-02-06'));
    expect(weeks.map((w) => [isoDay(w.start), w.label, w.week])).toEqual([
      ['2024-01-14', 'FY2023 P12 W3', 51],
      ['2024-01-21', 'FY2023 P12 W4', 52],
      ['2024-01-28', 'FY2023 P12 W5', 53],
      ['2024-02-04', 'FY2024 P01 W1', 1],
    ]);
  });

  it('reads retail periods from the daily rollup in UTC, the hourly one in whole-hour zones', () => {
    const range = { from: new Date('2024-02-04T10:00:00Z'), to: new Date('2024-05-05T00:00:00Z') };
    const sources = (zone: string) =>
      planTrend({
        range,
        granularity: 'RETAIL_MONTH',
        calendar: NRF,
        zone: { kind: 'fixed', zone },
        filters: { storeIds: null, productIds: null, categories: null },
        groupBy: { store: false, product: false, category: false },
        fillGaps: false,
        gapGroups: { kind: 'present' },
      }).map((s) => `${s.source} ${s.from.toISOString()} ${s.to.toISOString()}`);
    expect(sources('UTC')).toEqual([
      'hourly 2024-02-04T10:00:00.000Z 2024-02-05T00:00:00.000Z',
      'daily 2024-02-05T00:00:00.000Z 2024-05-05T00:00:00.000Z',
    ]);
    expect(sources('America/New_York')).toEqual([
      'hourly 2024-02-04T10:00:00.000Z 2024-05-05T00:00:00.000Z',
    ]);
    expect(sources('Asia/Kolkata')).toEqual([
      'raw 2024-02-04T10:00:00.000Z 2024-05-05T00:00:00.000Z',
    ]);
  });

  it('labels a week of a period as "FY2026 P03 W2"', () => {
    const [week] = retailPeriods(NRF, 'RETAIL_WEEK', day('2026-04-14'), day('2026-04-15'));
    expect(week?.label).toBe('FY2026 P03 W2');
    expect(isoDay(week?.start ?? 0)).toBe('2026-04-12');
  });
});

// ---- An oracle from the raw lines and the typed table above ----

const QUERY = `query($range: TimeRange!, $g: Granularity!, $tz: TimeZone, $cmp: CompareTo) {
  salesTrend(range: $range, granularity: $g, timeZone: $tz, compareTo: $cmp) {
    bucket units revenue transactions compared { units revenue transactions }
  }
}`;

interface Sums {
  units: number;
  cents: bigint;
  lines: number;
}

/** First days (ISO) of the typed periods of `g`, and of the year after the last. */
function typedStarts(g: 'RETAIL_WEEK' | 'RETAIL_MONTH' | 'RETAIL_QUARTER' | 'RETAIL_YEAR') {
  const starts: string[] = [];
  for (const [fy, periods] of Object.entries(NRF_PERIOD_STARTS)) {
    if (g === 'RETAIL_MONTH') starts.push(...periods);
    else if (g === 'RETAIL_QUARTER') starts.push(...periods.filter((_, i) => i % 3 === 0));
    else if (g === 'RETAIL_YEAR') starts.push(periods[0] ?? '');
    else {
      const end = day(NRF_YEAR_ENDS[Number(fy)] ?? '');
      for (let d = day(periods[0] ?? ''); d < end; d += 7) starts.push(isoDay(d));
    }
  }
  return starts.sort();
}

/** The local date (ISO) of instant `t` in `zone`. */
function localDate(zone: string, t: number): string {
  const p = localParts(zone, t);
  return `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}

/** The last of `starts` at or before `date` (both ISO days). */
const startOf = (starts: readonly string[], date: string) =>
  starts.filter((s) => s <= date).at(-1) ?? '';

const midnightOf = (zone: string, iso: string) => {
  const [y, mo, d] = iso.split('-').map(Number);
  return new Date(localMidnight(zone, y ?? 0, mo ?? 0, d ?? 0)).toISOString();
};

function sumBy(rows: readonly SaleRow[], key: (r: SaleRow) => string | null): Map<string, Sums> {
  const out = new Map<string, Sums>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    const s = out.get(k) ?? { units: 0, cents: 0n, lines: 0 };
    s.units += r.quantity;
    s.cents += BigInt(r.quantity) * r.priceCents;
    s.lines += 1;
    out.set(k, s);
  }
  return out;
}

const money = (cents: bigint) => {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
};

describe.each(WITH_SERVER)('retail calendars on %s', (kind) => {
  let gw: TestGateway;
  const tenant = salesTenant(0x19b, 'Calendar retail', 3);
  const rows = generateSales(tenant, 0x19b, [{ from: '2023-01-01T00:00:00Z', days: 800 }], 3, 3);
  let admin = '';
  let analyst = '';
  const ask = async (vars: Record<string, unknown>, token = analyst) =>
    gw.graphql<{
      salesTrend: Array<{
        bucket: string;
        units: number;
        revenue: string;
        transactions: number;
        compared: { units: number; revenue: string; transactions: number } | null;
      }>;
    }>(QUERY, vars, token);

  beforeAll(async () => {
    gw = await startTestGateway(kind, { RETENTION: '20 years' });
    await insertTenants(gw.owner, [tenant]);
    await insertSales(gw.owner, rows);
    admin = await gw.token(tenant.customerId, 'admin');
    analyst = await gw.token(tenant.customerId, 'analyst');
  }, 120_000);
  afterAll(() => gw?.close());

  it('refuses RETAIL_* buckets until an admin sets a retail calendar, then shows it', async () => {
    const range = { from: '2024-02-04T00:00:00Z', to: '2024-03-03T00:00:00Z' };
    const refused = await ask({ range, g: 'RETAIL_WEEK' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/retail calendar/);
    const denied = await gw.graphql(
      'mutation { setCalendar(weekStart: SUNDAY) { weekStart } }',
      {},
      analyst,
    );
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const set = await gw.graphql(
      `mutation { setCalendar(weekStart: SUNDAY, retailCalendar: NRF_454, fiscalYearEnd: JANUARY) {
         weekStart retailCalendar fiscalYearEnd } }`,
      {},
      admin,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data).toEqual({
      setCalendar: { weekStart: 'SUNDAY', retailCalendar: 'NRF_454', fiscalYearEnd: 'JANUARY' },
    });
    const shown = await gw.graphql('{ tenantCalendar { weekStart retailCalendar } }', {}, analyst);
    expect(shown.data).toEqual({
      tenantCalendar: { weekStart: 'SUNDAY', retailCalendar: 'NRF_454' },
    });
  });

  it.each([
    ['RETAIL_WEEK', 'UTC'],
    ['RETAIL_MONTH', 'UTC'],
    ['RETAIL_QUARTER', 'America/New_York'],
    ['RETAIL_YEAR', 'Asia/Kolkata'],
    ['RETAIL_MONTH', 'America/New_York'],
  ] as const)('sums %s buckets in %s as the raw lines do', async (g, zone) => {
    const from = Date.parse('2023-03-15T10:30:00Z');
    const to = Date.parse('2025-02-20T17:45:00Z');
    const res = await ask({
      range: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      g,
      tz: zone,
    });
    expect(res.errors).toBeUndefined();
    const starts = typedStarts(g);
    const expected = sumBy(
      rows.filter((r) => r.time >= from && r.time < to),
      (r) => midnightOf(zone, startOf(starts, localDate(zone, r.time))),
    );
    const answer = res.data?.salesTrend ?? [];
    expect(answer.map((b) => b.bucket)).toEqual([...expected.keys()].sort());
    for (const b of answer) {
      const e = expected.get(b.bucket);
      expect([b.units, b.revenue, b.transactions]).toEqual([
        e?.units,
        money(e?.cents ?? 0n),
        e?.lines,
      ]);
    }
  });

  it('sums a rolling window of retail periods with the periods before the range', async () => {
    const res = await gw.graphql<{
      salesTrend: Array<{ bucket: string; rolling: { sum: { units: number } } }>;
    }>(
      `{ salesTrend(range: { from: "2024-05-05T00:00:00Z", to: "2024-08-04T00:00:00Z" },
                    granularity: RETAIL_MONTH, window: { rolling: 3 }) {
           bucket rolling { sum { units } } } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    const starts = typedStarts('RETAIL_MONTH');
    const byPeriod = sumBy(rows, (r) => startOf(starts, localDate('UTC', r.time)));
    const answer = res.data?.salesTrend ?? [];
    expect(answer.map((b) => b.bucket.slice(0, 10))).toEqual([
      '2024-05-05',
      '2024-06-02',
      '2024-07-07',
    ]);
    for (const b of answer) {
      const i = starts.indexOf(b.bucket.slice(0, 10));
      const last3 = starts.slice(i - 2, i + 1).map((p) => byPeriod.get(p)?.units ?? 0);
      expect(b.rolling.sum.units).toBe(last3.reduce((a, x) => a + x, 0));
    }
  });

  it('starts WEEK buckets on the tenant’s Sunday', async () => {
    const from = '2024-03-01T00:00:00Z';
    const to = '2024-05-01T00:00:00Z';
    const res = await ask({ range: { from, to }, g: 'WEEK', tz: 'Europe/London' });
    expect(res.errors).toBeUndefined();
    const zone = 'Europe/London';
    const expected = sumBy(
      rows.filter((r) => r.time >= Date.parse(from) && r.time < Date.parse(to)),
      (r) => {
        const local = day(localDate(zone, r.time));
        const sunday = local - new Date(local * DAY).getUTCDay();
        return midnightOf(zone, isoDay(sunday));
      },
    );
    const answer = res.data?.salesTrend ?? [];
    expect(answer.map((b) => b.bucket)).toEqual([...expected.keys()].sort());
    expect(answer.map((b) => b.units)).toEqual(
      [...expected.keys()].sort().map((k) => expected.get(k)?.units),
    );
  });

  it('compares each retail week with the same week of the fiscal year before', async () => {
    // Fiscal 2024 P01 to P03 against fiscal 2023's (which started 371 days earlier).
    const res = await ask({
      range: { from: '2024-02-04T00:00:00Z', to: '2024-05-05T00:00:00Z' },
      g: 'RETAIL_WEEK',
      tz: 'UTC',
      cmp: 'PREVIOUS_YEAR',
    });
    expect(res.errors).toBeUndefined();
    const weekOf = (fy: number, iso: string) =>
      Math.floor((day(iso) - day(NRF_PERIOD_STARTS[fy]?.[0] ?? '')) / 7);
    const lastYear = sumBy(rows, (r) => {
      const date = localDate('UTC', r.time);
      return date >= '2023-01-29' && date < '2024-02-04' ? String(weekOf(2023, date)) : null;
    });
    const answer = res.data?.salesTrend ?? [];
    expect(answer).toHaveLength(13);
    for (const b of answer) {
      const e = lastYear.get(String(weekOf(2024, b.bucket.slice(0, 10))));
      expect(b.compared).toEqual({
        units: e?.units ?? 0,
        revenue: money(e?.cents ?? 0n),
        transactions: e?.lines ?? 0,
      });
    }
  });

  it('has nothing to compare fiscal 2023’s 53rd week with, and says so', async () => {
    const res = await ask({
      range: { from: '2024-01-21T00:00:00Z', to: '2024-02-04T00:00:00Z' },
      g: 'RETAIL_WEEK',
      cmp: 'PREVIOUS_YEAR',
    });
    expect(res.errors).toBeUndefined();
    const [w52, w53] = res.data?.salesTrend ?? [];
    expect(w52?.compared).not.toBeNull();
    expect(w53?.bucket).toBe('2024-01-28T00:00:00.000Z');
    expect(w53?.compared).toBeNull();
    expect(res.extensions?.comparison).toMatchObject({ notCompared: 1 });
  });

  it.runIf(kind === 'postgres')(
    'is set by npm run tenant -- set, which refuses what is not a calendar',
    async () => {
      const other = salesTenant(0x19c, 'Calendar by command', 1);
      await insertTenants(gw.owner, [other]);
      const env = {
        ...process.env,
        DATABASE_URL: gw.config.databaseUrl,
        JWT_SECRET: TEST_SECRET,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
      };
      const tenant = (...args: string[]) =>
        runCli('tenant', ['set', '--tenant', other.customerId, ...args], {
          env,
        });
      const set = await tenant(
        '--week-start',
        'SUNDAY',
        '--calendar',
        'NRF_454',
        '--fiscal-year-end',
        'JANUARY',
      );
      expect(set.stdout.trim()).toBe(
        `tenant ${other.customerId} reports in UTC; weeks start on SUNDAY; NRF_454, fiscal year ending in JANUARY`,
      );
      const refused = await tenant('--calendar', 'GREGORIAN').then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(refused?.code).toBe(2);
      expect(refused?.stderr).toMatch(/--calendar: NRF_454 or NONE/);
      const { rows } = await gw.owner.query(
        'SELECT week_start, retail_calendar, fiscal_year_end FROM customers WHERE id = $1',
        [other.customerId],
      );
      expect(rows).toEqual([
        { week_start: 'SUNDAY', retail_calendar: 'NRF_454', fiscal_year_end: 1 },
      ]);
    },
    120_000,
  );

  it('lists the calendar’s periods with their labels', async () => {
    const res = await gw.graphql<{ calendar: Array<Record<string, unknown>> }>(
      `{ calendar(range: { from: "2026-04-12T00:00:00Z", to: "2026-05-03T00:00:00Z" }) {
           label firstDay lastDay start weeks fiscalYear quarter period week weekOfPeriod } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.calendar.map((p) => p.label)).toEqual([
      'FY2026 P03 W2',
      'FY2026 P03 W3',
      'FY2026 P03 W4',
    ]);
    expect(res.data?.calendar[0]).toEqual({
      label: 'FY2026 P03 W2',
      firstDay: '2026-04-12',
      lastDay: '2026-04-18',
      start: '2026-04-12T00:00:00.000Z',
      weeks: 1,
      fiscalYear: 2026,
      quarter: 1,
      period: 3,
      week: 11,
      weekOfPeriod: 2,
    });
    const months = await gw.graphql<{ calendar: Array<{ label: string; firstDay: string }> }>(
      `{ calendar(range: { from: "2026-02-01T00:00:00Z", to: "2027-01-31T00:00:00Z" },
                  granularity: RETAIL_MONTH) { label firstDay } }`,
      {},
      analyst,
    );
    expect(months.data?.calendar.map((p) => p.firstDay)).toEqual(NRF_PERIOD_STARTS[2026]);
    expect(months.data?.calendar[2]?.label).toBe('FY2026 P03');
  });
});
