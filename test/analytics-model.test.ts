import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEASURE_NAMES, PART_NAMES } from '../src/analytics/measures.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { retentionHorizon } from '../src/sales/retention.js';
import { planTrend, ROUTE } from '../src/sales/sales-store.js';
import { BACKENDS } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  CATEGORIES,
  expectedComparedTrend,
  expectedRanking,
  expectedTrend,
  expectedWindowTrend,
  onReceipts,
  generateSales,
  insertSales,
  localMidnight,
  localParts,
  insertTenants,
  measuresOf,
  noTotals,
  salesTenant,
  totalsBy,
  type RankDimension,
  type TestCompareTo,
  type SaleRow,
  type TrendQuestion,
} from './support/sales-data.js';
import { askTrend } from './support/sales-trend.js';

// Both DST changes of 2026 in Europe (29 March, 25 October) and the US (8 March, 1 November).
const PERIODS = [
  { from: '2026-03-01T00:00:00Z', days: 40 },
  { from: '2026-10-20T00:00:00Z', days: 16 },
];
// The same seasons a year before, for comparisons.
const YEAR_BEFORE = [
  { from: '2025-02-20T00:00:00Z', days: 50 },
  { from: '2025-10-15T00:00:00Z', days: 22 },
];
const ZONES = ['UTC', 'Europe/London', 'America/New_York', 'Asia/Kolkata'];

/** Questions over both DST changes, aligned (rollups) and unaligned (raw edges), per zone. */
function questions(zone: string): TrendQuestion[] {
  return [
    {
      from: '2026-03-01T00:00:00Z',
      to: '2026-04-10T00:00:00Z',
      granularity: 'DAY',
      timeZone: zone,
    },
    {
      from: '2026-03-27T05:17:31Z',
      to: '2026-03-31T13:45:02Z',
      granularity: 'HOUR',
      timeZone: zone,
      groupBy: ['STORE'],
      fillGaps: true,
    },
    {
      from: '2026-10-21T03:00:00Z',
      to: '2026-11-05T00:00:00Z',
      granularity: 'DAY',
      timeZone: zone,
      groupBy: ['CATEGORY'],
    },
    {
      from: '2026-03-02T00:00:00Z',
      to: '2026-11-05T00:00:00Z',
      granularity: 'WEEK',
      timeZone: zone,
      groupBy: ['PRODUCT'],
    },
    {
      from: '2026-02-15T00:00:00Z',
      to: '2026-12-01T00:00:00Z',
      granularity: 'MONTH',
      timeZone: zone,
    },
  ];
}

describe.each(BACKENDS)('the analytics model on %s', (kind) => {
  let gw: TestGateway;
  const a = salesTenant(0xa, 'Tenant A', 4);
  const b = salesTenant(0xb, 'Tenant B', 2);
  // On receipts that cross hour and day boundaries: each counts once, at its first recorded sale line.
  const rows: SaleRow[] = onReceipts([
    ...generateSales(a, 0x2a, PERIODS, 4, 30),
    ...generateSales(a, 0x3a, YEAR_BEFORE, 4, 20),
    ...generateSales(b, 0x2b, PERIODS, 2, 30),
  ]);
  const category = (id: string) => CATEGORIES[a.products.findIndex((p) => p.id === id)] ?? '';
  let token = '';

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [a, b]);
    await insertSales(gw.owner, rows);
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    token = await gw.token(a.customerId);
  });
  afterAll(() => gw?.close());

  it('keeps every additive part of the model in every rollup the routes read', async () => {
    const views = [
      'sales_hourly',
      'sales_daily',
      'sales_hourly_archived',
      'sales_daily_archived',
      'store_sales_hourly',
      'store_sales_daily',
    ];
    const columns = await gw.owner.query<{ view: string; column: string }>(
      `SELECT table_name AS view, column_name AS column FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = ANY($1::text[])`,
      [views],
    );
    for (const view of views) {
      const present = columns.rows.filter((c) => c.view === view).map((c) => c.column);
      expect(present, view).toEqual(expect.arrayContaining(PART_NAMES));
    }
  });

  it('answers every measure exactly in four zones on every route, across both DST changes', async () => {
    const routes = new Set<string>();
    for (const zone of ZONES) {
      for (const q of questions(zone)) {
        for (const s of planTrend(
          {
            range: { from: new Date(q.from), to: new Date(q.to) },
            granularity: q.granularity,
            zone: { kind: 'fixed', zone },
            filters: { storeIds: null, productIds: null, categories: null },
            groupBy: { store: false, product: false, category: false },
            fillGaps: false,
            gapGroups: { kind: 'present' },
          },
          ROUTE,
        )) {
          routes.add(s.source);
        }
        expect(await askTrend(gw, token, q), JSON.stringify(q)).toEqual(
          expectedTrend(rows, a.customerId, category, q),
        );
      }
    }
    expect([...routes].sort()).toEqual(['daily', 'hourly', 'raw']);
    // The oracle's answers hold costs known and unknown (lines recorded without a cost).
    const costs = questions('UTC').flatMap((q) =>
      expectedTrend(rows, a.customerId, category, q).map((b) => b.cost),
    );
    expect(costs).toContain(null);
    expect(costs.filter((c) => c !== null).length).toBeGreaterThan(costs.length / 2);
  });

  it('counts a late line of an already rolled-up day in every measure at once', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const late: SaleRow = {
      customerId: a.customerId,
      transactionId: uuid(0x2a7e, 1),
      time: Date.parse('2026-03-29T00:30:00Z'),
      storeId: uuid(1, 2),
      productId: uuid(2, 3),
      quantity: -2,
      priceCents: 1250n,
    };
    const res = await gw.graphql<{ recordSales: { accepted: number } }>(
      `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }`,
      {
        s: [
          {
            transactionId: late.transactionId,
            time: new Date(late.time).toISOString(),
            storeId: late.storeId,
            productId: late.productId,
            quantity: late.quantity,
            unitPrice: '12.50',
          },
        ],
      },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.recordSales.accepted).toBe(1);
    rows.push(late);
    for (const zone of ZONES) {
      const q: TrendQuestion = {
        from: '2026-03-27T00:00:00Z',
        to: '2026-04-01T00:00:00Z',
        granularity: 'DAY',
        timeZone: zone,
        groupBy: ['STORE'],
      };
      expect(await askTrend(gw, token, q), zone).toEqual(
        expectedTrend(rows, a.customerId, category, q),
      );
    }
  });

  it('ranks and summarises every measure of the model as the oracle does', async () => {
    const from = '2026-03-03T07:11:00Z';
    const to = '2026-10-30T16:40:00Z';
    const fields = MEASURE_NAMES.join(' ');
    const res = await gw.graphql<{
      topProducts: ({ product: { id: string } } & Record<string, unknown>)[];
      products: { edges: { node: { id: string; sales: Record<string, unknown> } }[] };
    }>(
      `query($r: TimeRange!) {
        topProducts(range: $r, limit: 10) { product { id } ${fields} }
        products(first: 10) { edges { node { id sales(range: $r) { ${fields} } } } }
      }`,
      { r: { from, to } },
      token,
    );
    expect(res.errors).toBeUndefined();
    const totals = totalsBy(
      rows,
      a.customerId,
      Date.parse(from),
      Date.parse(to),
      (r) => r.productId,
    );
    // Per product: the receipts containing it.
    const expected = (id: string) => measuresOf(totals.get(id) ?? noTotals(), 'products');
    const ranked = res.data?.topProducts ?? [];
    expect(ranked).toHaveLength(a.products.length);
    for (const { product, ...measures } of ranked) expect(measures).toEqual(expected(product.id));
    for (const { node } of res.data?.products.edges ?? []) {
      expect(node.sales).toEqual(expected(node.id));
    }
  });

  const RANKING = `query($r: TimeRange!, $d: SalesGroupBy!, $by: SalesMeasure, $first: Int,
    $stores: [UUID!], $cats: [String!]) {
    ranking(range: $r, dimension: $d, by: $by, first: $first, other: true, storeIds: $stores,
            categories: $cats) {
      rows { ...row } other { ...row } total { ...row }
    }
  }
  fragment row on RankedSales { rank store { id } product { id } category share ${MEASURE_NAMES.join(' ')} }`;

  interface AnswerRow extends Record<string, unknown> {
    store: { id: string } | null;
    product: { id: string } | null;
  }
  const flat = ({ store, product, ...rest }: AnswerRow) => ({
    ...rest,
    storeId: store?.id ?? null,
    productId: product?.id ?? null,
  });

  it('ranks stores, products and categories by any measure with the rest and the total, exactly', async () => {
    const from = '2026-03-03T07:11:00Z';
    const to = '2026-10-30T16:40:00Z';
    const cases: {
      dimension: RankDimension;
      by: 'units' | 'revenue' | 'returnedUnits' | 'transactions';
      first: number;
      storeIds?: string[];
      categories?: string[];
    }[] = [
      { dimension: 'PRODUCT', by: 'units', first: 2 },
      { dimension: 'PRODUCT', by: 'revenue', first: 1, categories: ['Bakery'] },
      { dimension: 'STORE', by: 'revenue', first: 2 },
      { dimension: 'STORE', by: 'returnedUnits', first: 3, storeIds: [uuid(1, 1), uuid(1, 3)] },
      { dimension: 'CATEGORY', by: 'transactions', first: 1 },
      { dimension: 'PRODUCT', by: 'units', first: 10 },
    ];
    const enumOf = (by: string) => by.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
    for (const c of cases) {
      const res = await gw.graphql<{
        ranking: { rows: AnswerRow[]; other: AnswerRow; total: AnswerRow };
      }>(
        RANKING,
        {
          r: { from, to },
          d: c.dimension,
          by: enumOf(c.by),
          first: c.first,
          stores: c.storeIds,
          cats: c.categories,
        },
        token,
      );
      expect(res.errors, JSON.stringify(c)).toBeUndefined();
      const answer = res.data?.ranking;
      const expected = expectedRanking(rows, a.customerId, category, { from, to, ...c });
      expect(answer?.rows.map(flat), JSON.stringify(c)).toEqual(expected.rows);
      expect(answer && flat(answer.other), JSON.stringify(c)).toEqual(expected.other);
      expect(answer && flat(answer.total), JSON.stringify(c)).toEqual(expected.total);
    }
  });

  it('filters topProducts by category', async () => {
    const range = { from: '2026-03-01T00:00:00Z', to: '2026-11-01T00:00:00Z' };
    const res = await gw.graphql<{ topProducts: { product: { id: string }; units: number }[] }>(
      `query($r: TimeRange!) { topProducts(range: $r, categories: ["Bakery"]) { product { id } units } }`,
      { r: range },
      token,
    );
    expect(res.errors).toBeUndefined();
    const expected = expectedRanking(rows, a.customerId, category, {
      ...range,
      dimension: 'PRODUCT',
      by: 'units',
      first: 10,
      categories: ['Bakery'],
    });
    expect(res.data?.topProducts).toEqual(
      expected.rows.map((r) => ({ product: { id: r.productId }, units: r.units })),
    );
    expect(res.data?.topProducts.length).toBe(2);
  });

  it('answers a ranking in one statement and refuses bad arguments with typed errors', async () => {
    const range = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };
    const ok = await gw.graphql(
      `query($r: TimeRange!) { ranking(range: $r, dimension: STORE, other: true) { total { units } } }`,
      { r: range },
      token,
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.extensions?.sqlStatements).toBe(1);
    for (const [args, code] of [
      ['first: 0', 'BAD_USER_INPUT'],
      ['first: 101', 'BAD_USER_INPUT'],
    ] as const) {
      const res = await gw.graphql(
        `query($r: TimeRange!) { ranking(range: $r, dimension: PRODUCT, ${args}) { total { units } } }`,
        { r: range },
        token,
      );
      expect(res.errors?.[0]?.extensions?.code, args).toBe(code);
    }
    const inverted = await gw.graphql(
      `query($r: TimeRange!) { ranking(range: $r, dimension: PRODUCT) { total { units } } }`,
      { r: { from: range.to, to: range.from } },
      token,
    );
    expect(inverted.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  const measures = MEASURE_NAMES.join(' ');
  const WINDOWED = `query($range: TimeRange!, $g: Granularity!, $tz: TimeZone, $groupBy: [SalesGroupBy!],
    $fill: Boolean, $window: SalesWindow) {
    salesTrend(range: $range, granularity: $g, timeZone: $tz, groupBy: $groupBy, fillGaps: $fill,
               window: $window) {
      bucket store { id } product { id } category ${measures}
      rolling { sum { ${measures} } mean { ${measures} } }
      cumulative { ${measures} }
    }
  }`;

  it('adds rolling and running totals exactly, with the buckets before the range, in four zones', async () => {
    const cases: [TrendQuestion, { rolling: number | null; cumulative: boolean }][] = [];
    for (const zone of ZONES) {
      cases.push(
        [
          {
            from: '2026-03-05T00:00:00Z',
            to: '2026-04-08T00:00:00Z',
            granularity: 'DAY',
            timeZone: zone,
          },
          { rolling: 7, cumulative: true },
        ],
        [
          {
            from: '2026-03-28T05:17:31Z',
            to: '2026-03-30T13:45:02Z',
            granularity: 'HOUR',
            timeZone: zone,
            fillGaps: true,
          },
          { rolling: 5, cumulative: false },
        ],
        [
          {
            from: '2026-10-23T10:00:00Z',
            to: '2026-11-04T08:00:00Z',
            granularity: 'DAY',
            timeZone: zone,
            groupBy: ['STORE'],
          },
          { rolling: 3, cumulative: true },
        ],
        [
          {
            from: '2026-03-09T00:00:00Z',
            to: '2026-11-04T00:00:00Z',
            granularity: 'WEEK',
            timeZone: zone,
            fillGaps: true,
          },
          { rolling: 4, cumulative: true },
        ],
        [
          {
            from: '2026-02-10T00:00:00Z',
            to: '2026-12-01T00:00:00Z',
            granularity: 'MONTH',
            timeZone: zone,
          },
          { rolling: null, cumulative: true },
        ],
      );
    }
    for (const [q, window] of cases) {
      const res = await gw.graphql<{ salesTrend: AnswerRow[] }>(
        WINDOWED,
        {
          range: { from: q.from, to: q.to },
          g: q.granularity,
          tz: q.timeZone,
          groupBy: q.groupBy,
          fill: q.fillGaps ?? false,
          window,
        },
        token,
      );
      expect(res.errors, JSON.stringify(q)).toBeUndefined();
      expect(res.data?.salesTrend.map(flat), JSON.stringify([q, window])).toEqual(
        expectedWindowTrend(rows, a.customerId, category, q, window),
      );
    }
  });

  it('answers a window in one statement and refuses a window over 365 buckets before any SQL', async () => {
    const range = { from: '2026-03-05T00:00:00Z', to: '2026-04-08T00:00:00Z' };
    const ok = await gw.graphql(
      WINDOWED,
      { range, g: 'DAY', window: { rolling: 365, cumulative: true } },
      token,
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.extensions?.sqlStatements).toBe(1);
    for (const window of [{ rolling: 366 }, { rolling: 0 }, {}]) {
      const res = await gw.graphql(WINDOWED, { range, g: 'DAY', window }, token);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(window)).toBe('BAD_USER_INPUT');
      expect(res.extensions?.sqlStatements, JSON.stringify(window)).toBe(0);
    }
  });

  it('answers MTD, QTD and YTD from local midnight of the period in the caller’s zone to now', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const line: SaleRow = {
      customerId: a.customerId,
      transactionId: uuid(0x2a7e, 2),
      time: Math.floor((Date.now() - 120_000) / 1000) * 1000,
      storeId: uuid(1, 1),
      productId: uuid(2, 1),
      quantity: 3,
      priceCents: 425n,
    };
    const sent = await gw.graphql(
      `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }`,
      {
        s: [
          {
            transactionId: line.transactionId,
            time: new Date(line.time).toISOString(),
            storeId: line.storeId,
            productId: line.productId,
            quantity: line.quantity,
            unitPrice: '4.25',
          },
        ],
      },
      admin,
    );
    expect(sent.errors).toBeUndefined();
    rows.push(line);
    for (const zone of ZONES) {
      for (const [period, months] of [
        ['MTD', 1],
        ['QTD', 3],
        ['YTD', 12],
      ] as const) {
        const res = await gw.graphql<{ salesTrend: AnswerRow[] }>(
          `query($tz: TimeZone, $p: NamedPeriod) {
            salesTrend(period: $p, granularity: DAY, timeZone: $tz) { bucket store { id } product { id } category ${measures} }
          }`,
          { tz: zone, p: period },
          token,
        );
        expect(res.errors).toBeUndefined();
        const now = localParts(zone, Date.now());
        const startMonth = Math.floor((now.mo - 1) / months) * months + 1;
        const from = new Date(localMidnight(zone, now.y, startMonth, 1)).toISOString();
        const to = new Date(Date.now()).toISOString();
        const expected = expectedTrend(rows, a.customerId, category, {
          from,
          to,
          granularity: 'DAY',
          timeZone: zone,
        });
        expect(expected.length).toBeGreaterThan(0);
        expect(res.data?.salesTrend.map(flat), `${period} ${zone}`).toEqual(expected);
      }
    }
    const both = await gw.graphql(
      `{ salesTrend(period: MTD, range: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"}, granularity: DAY) { units } }`,
      {},
      token,
    );
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const neither = await gw.graphql(`{ salesTrend(granularity: DAY) { units } }`, {}, token);
    expect(neither.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  const COMPARED = `query($range: TimeRange!, $g: Granularity!, $tz: TimeZone, $groupBy: [SalesGroupBy!],
    $fill: Boolean, $to: CompareTo) {
    salesTrend(range: $range, granularity: $g, timeZone: $tz, groupBy: $groupBy, fillGaps: $fill,
               compareTo: $to) {
      bucket store { id } product { id } category ${measures}
      compared { ${measures} }
      change { ${measures} ${MEASURE_NAMES.map((m) => `${m}Ratio`).join(' ')} }
    }
  }`;

  const askCompared = (q: TrendQuestion, to: TestCompareTo) =>
    gw.graphql<{ salesTrend: AnswerRow[] }>(
      COMPARED,
      {
        range: { from: q.from, to: q.to },
        g: q.granularity,
        tz: q.timeZone,
        groupBy: q.groupBy,
        fill: q.fillGaps ?? false,
        to,
      },
      token,
    );

  it('compares every bucket with the previous period, year and year by weekday, exactly, in one statement', async () => {
    const horizon = retentionHorizon(gw.config.retention).getTime();
    const cases: [TrendQuestion, TestCompareTo][] = [];
    for (const zone of ZONES) {
      cases.push(
        [
          {
            from: '2026-03-01T00:00:00Z',
            to: '2026-04-08T00:00:00Z',
            granularity: 'DAY',
            timeZone: zone,
          },
          'PREVIOUS_YEAR',
        ],
        [
          {
            from: '2026-03-23T00:00:00Z',
            to: '2026-04-06T00:00:00Z',
            granularity: 'DAY',
            timeZone: zone,
            groupBy: ['STORE'],
            fillGaps: true,
          },
          'PREVIOUS_PERIOD',
        ],
        [
          {
            from: '2026-03-02T05:17:31Z',
            to: '2026-04-02T13:45:02Z',
            granularity: 'WEEK',
            timeZone: zone,
          },
          'PREVIOUS_YEAR_SAME_WEEKDAY',
        ],
        [
          {
            from: '2026-02-01T00:00:00Z',
            to: '2026-12-01T00:00:00Z',
            granularity: 'MONTH',
            timeZone: zone,
            groupBy: ['CATEGORY'],
          },
          'PREVIOUS_YEAR',
        ],
        [
          {
            from: '2026-03-28T05:17:31Z',
            to: '2026-03-31T13:45:02Z',
            granularity: 'HOUR',
            timeZone: zone,
          },
          'PREVIOUS_YEAR',
        ],
        [
          {
            from: '2026-10-24T10:30:00Z',
            to: '2026-11-03T16:00:00Z',
            granularity: 'DAY',
            timeZone: zone,
          },
          'PREVIOUS_PERIOD',
        ],
      );
    }
    for (const [q, to] of cases) {
      const res = await askCompared(q, to);
      expect(res.errors, JSON.stringify([q, to])).toBeUndefined();
      const expected = expectedComparedTrend(rows, a.customerId, category, q, to, horizon);
      expect(expected.some((b) => b.compared && b.compared.transactions > 0)).toBe(true);
      expect(res.data?.salesTrend.map(flat), JSON.stringify([q, to])).toEqual(expected);
      // Ungrouped, nothing else is loaded: the comparison is the one statement.
      if (!q.groupBy) expect(res.extensions?.sqlStatements).toBe(1);
    }
  });

  it('answers compared: null before the retention horizon and says why in extensions', async () => {
    const horizon = retentionHorizon(gw.config.retention).getTime();
    const q: TrendQuestion = {
      from: '2024-06-01T00:00:00Z',
      to: '2026-06-01T00:00:00Z',
      granularity: 'MONTH',
      fillGaps: true,
    };
    const res = await askCompared(q, 'PREVIOUS_YEAR');
    expect(res.errors).toBeUndefined();
    const expected = expectedComparedTrend(
      rows,
      a.customerId,
      category,
      q,
      'PREVIOUS_YEAR',
      horizon,
    );
    expect(res.data?.salesTrend.map(flat)).toEqual(expected);
    const missing = expected.filter((b) => b.compared === null).length;
    expect(missing).toBeGreaterThan(0);
    expect(expected.some((b) => b.compared !== null)).toBe(true);
    expect(res.extensions?.comparison).toMatchObject({
      compareTo: 'PREVIOUS_YEAR',
      comparedRange: { from: '2023-06-01T00:00:00.000Z', to: '2025-06-01T00:00:00.000Z' },
      notCompared: missing,
      reason: expect.stringMatching(/retention horizon/),
    });
    const both = await gw.graphql(
      `{ salesTrend(range: {from: "2026-03-01T00:00:00Z", to: "2026-03-08T00:00:00Z"}, granularity: DAY,
                    compareTo: PREVIOUS_YEAR, window: {rolling: 3}) { units } }`,
      {},
      token,
    );
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  const RANKING_COMPARED = `query($r: TimeRange!, $d: SalesGroupBy!, $by: SalesMeasure, $first: Int,
    $cats: [String!], $to: CompareTo) {
    ranking(range: $r, dimension: $d, by: $by, first: $first, other: true, categories: $cats,
            compareTo: $to) {
      rows { ...row } other { ...row } total { ...row }
    }
  }
  fragment row on RankedSales {
    rank store { id } product { id } category share ${measures}
    compared { ${measures} }
    change { ${measures} ${MEASURE_NAMES.map((m) => `${m}Ratio`).join(' ')} }
  }`;

  it('compares every ranked row, the rest and the total with the compared range, exactly', async () => {
    const cases: {
      from: string;
      to: string;
      dimension: RankDimension;
      by: 'units' | 'revenue';
      first: number;
      categories?: string[];
      compareTo: TestCompareTo;
    }[] = [
      {
        from: '2026-03-01T00:00:00Z',
        to: '2026-04-10T00:00:00Z',
        dimension: 'PRODUCT',
        by: 'revenue',
        first: 2,
        compareTo: 'PREVIOUS_YEAR',
      },
      {
        from: '2026-03-03T07:11:00Z',
        to: '2026-03-29T16:40:00Z',
        dimension: 'STORE',
        by: 'units',
        first: 2,
        compareTo: 'PREVIOUS_PERIOD',
      },
      {
        from: '2026-10-20T00:00:00Z',
        to: '2026-11-05T00:00:00Z',
        dimension: 'CATEGORY',
        by: 'units',
        first: 1,
        compareTo: 'PREVIOUS_YEAR_SAME_WEEKDAY',
      },
      {
        from: '2026-03-01T00:00:00Z',
        to: '2026-04-10T00:00:00Z',
        dimension: 'PRODUCT',
        by: 'units',
        first: 1,
        categories: ['Dairy'],
        compareTo: 'PREVIOUS_YEAR',
      },
    ];
    for (const c of cases) {
      const res = await gw.graphql<{
        ranking: { rows: AnswerRow[]; other: AnswerRow; total: AnswerRow };
      }>(
        RANKING_COMPARED,
        {
          r: { from: c.from, to: c.to },
          d: c.dimension,
          by: c.by.toUpperCase(),
          first: c.first,
          cats: c.categories,
          to: c.compareTo,
        },
        token,
      );
      expect(res.errors, JSON.stringify(c)).toBeUndefined();
      expect(res.extensions?.sqlStatements).toBe(c.dimension === 'CATEGORY' ? 1 : 2);
      const answer = res.data?.ranking;
      const expected = expectedRanking(rows, a.customerId, category, c);
      expect(expected.total.compared?.transactions).toBeGreaterThan(0);
      expect(answer?.rows.map(flat), JSON.stringify(c)).toEqual(expected.rows);
      expect(answer && flat(answer.other), JSON.stringify(c)).toEqual(expected.other);
      expect(answer && flat(answer.total), JSON.stringify(c)).toEqual(expected.total);
    }
    const old = await gw.graphql<{ topProducts: { compared: unknown; change: unknown }[] }>(
      `{ topProducts(range: {from: "2024-06-01T00:00:00Z", to: "2026-06-01T00:00:00Z"}, compareTo: PREVIOUS_YEAR) {
          units compared { units } change { units } } }`,
      {},
      token,
    );
    expect(old.errors).toBeUndefined();
    expect(old.data?.topProducts.length).toBeGreaterThan(0);
    for (const r of old.data?.topProducts ?? [])
      expect(r).toMatchObject({ compared: null, change: null });
    expect(old.extensions?.comparison).toMatchObject({
      compareTo: 'PREVIOUS_YEAR',
      notCompared: old.data?.topProducts.length,
      reason: expect.stringMatching(/retention horizon/),
    });
  });

  it('compares Product.sales with the compared range, batched, exactly', async () => {
    const range = { from: '2026-03-01T00:00:00Z', to: '2026-04-10T00:00:00Z' };
    const res = await gw.graphql<{
      products: { edges: { node: { id: string; sales: AnswerRow } }[] };
    }>(
      `query($r: TimeRange!) { products(first: 10) { edges { node { id
        sales(range: $r, compareTo: PREVIOUS_YEAR) { ${measures} compared { ${measures} }
          change { ${measures} ${MEASURE_NAMES.map((m) => `${m}Ratio`).join(' ')} } } } } } }`,
      { r: range },
      token,
    );
    expect(res.errors).toBeUndefined();
    const expected = expectedRanking(rows, a.customerId, category, {
      ...range,
      dimension: 'PRODUCT',
      by: 'units',
      first: 10,
      compareTo: 'PREVIOUS_YEAR',
    });
    const nodes = res.data?.products.edges.map((e) => e.node) ?? [];
    expect(nodes).toHaveLength(a.products.length);
    for (const node of nodes) {
      const want = expected.rows.find((r) => r.productId === node.id);
      expect(want?.compared?.transactions).toBeGreaterThan(0);
      const keys = new Set(['rank', 'storeId', 'productId', 'category', 'share']);
      const values = Object.fromEntries(Object.entries(want ?? {}).filter(([k]) => !keys.has(k)));
      expect(node.sales).toEqual(values);
    }
  });
});
