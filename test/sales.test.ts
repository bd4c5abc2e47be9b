import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { RequestDb } from '../src/db/request-db.js';
import { LoaderCache } from '../src/loaders.js';
import { MEASURE_NAMES } from '../src/analytics/measures.js';
import { salesTrend } from '../src/sales/sales-store.js';
import { velocityLoader } from '../src/sales/velocity-store.js';
import { WITH_CLUSTER } from './support/backends.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  centsText,
  CATEGORIES,
  expectedTrend,
  generateSales,
  insertSales,
  insertTenants,
  measuresOf,
  type MeasureAnswers,
  salesTenant,
  noTotals,
  totalsBy,
  type SaleRow,
  type TrendQuestion,
} from './support/sales-data.js';
import { uuid } from './support/fixtures.js';
import { askTrend, TREND, type Bucket } from './support/sales-trend.js';

const DAY = 86_400_000;
// Periods across the DST changes of 2026: US 8 March, EU 29 March, EU 25 October, US 1 November.
const PERIODS = [
  { from: '2026-03-01T00:00:00Z', days: 40 },
  { from: '2026-10-20T00:00:00Z', days: 16 },
];

describe.each(WITH_CLUSTER)('sales analytics on %s', (kind) => {
  let gw: TestGateway;
  const a = salesTenant(0xa, 'Tenant A', 100);
  const b = salesTenant(0xb, 'Tenant B', 3);
  const rows: SaleRow[] = [
    ...generateSales(a, 0x1a, PERIODS, 4, 40),
    ...generateSales(b, 0x1b, PERIODS, 3, 40),
  ];
  const category = (id: string) => CATEGORIES[a.products.findIndex((p) => p.id === id)] ?? '';
  let tokenA = '';

  const ask = (q: TrendQuestion) => askTrend(gw, tokenA, q);

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [a, b]);
    await insertSales(gw.owner, rows);
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    tokenA = await gw.token(a.customerId);
  });
  afterAll(() => gw?.close());

  it('answers salesTrend exactly for every granularity, zone, edge, grouping and filter', async () => {
    const cases: TrendQuestion[] = [
      { from: '2026-03-01T00:00:00Z', to: '2026-04-10T00:00:00Z', granularity: 'DAY' },
      {
        from: '2026-03-02T05:17:31Z',
        to: '2026-03-20T13:45:02Z',
        granularity: 'DAY',
        fillGaps: true,
      },
      { from: '2026-03-02T05:17:31Z', to: '2026-03-05T13:45:02Z', granularity: 'HOUR' },
      {
        from: '2026-03-27T05:17:31Z',
        to: '2026-04-01T13:45:02Z',
        granularity: 'HOUR',
        timeZone: 'Europe/Berlin',
        fillGaps: true,
      },
      {
        from: '2026-03-25T00:00:00Z',
        to: '2026-04-03T00:00:00Z',
        granularity: 'DAY',
        timeZone: 'Europe/Berlin',
        groupBy: ['STORE'],
      },
      {
        from: '2026-10-21T03:00:00Z',
        to: '2026-11-05T00:00:00Z',
        granularity: 'DAY',
        timeZone: 'Europe/Berlin',
        fillGaps: true,
      },
      {
        from: '2026-10-24T21:10:00Z',
        to: '2026-10-26T02:50:00Z',
        granularity: 'HOUR',
        timeZone: 'Europe/Berlin',
        fillGaps: true,
      },
      {
        from: '2026-10-30T00:00:00Z',
        to: '2026-11-03T00:00:00Z',
        granularity: 'HOUR',
        timeZone: 'America/New_York',
        groupBy: ['PRODUCT'],
      },
      {
        from: '2026-03-01T00:00:00Z',
        to: '2026-04-10T00:00:00Z',
        granularity: 'DAY',
        timeZone: 'America/New_York',
        groupBy: ['CATEGORY'],
        fillGaps: true,
      },
      {
        from: '2026-03-01T00:00:00Z',
        to: '2026-03-10T00:00:00Z',
        granularity: 'HOUR',
        timeZone: 'Asia/Kolkata',
      },
      {
        from: '2026-03-01T10:00:00Z',
        to: '2026-04-09T07:00:00Z',
        granularity: 'DAY',
        timeZone: 'Asia/Kolkata',
        groupBy: ['STORE', 'PRODUCT'],
      },
      {
        from: '2026-03-01T00:00:00Z',
        to: '2026-11-06T00:00:00Z',
        granularity: 'WEEK',
        timeZone: 'Europe/Berlin',
        fillGaps: true,
      },
      {
        from: '2026-03-01T00:00:00Z',
        to: '2026-11-06T00:00:00Z',
        granularity: 'MONTH',
        groupBy: ['STORE', 'CATEGORY'],
      },
      {
        from: '2026-02-28T23:30:00Z',
        to: '2026-11-06T00:00:00Z',
        granularity: 'MONTH',
        timeZone: 'America/New_York',
        fillGaps: true,
      },
      {
        from: '2026-03-03T08:20:00Z',
        to: '2026-03-30T16:40:00Z',
        granularity: 'DAY',
        storeIds: [uuid(1, 2)],
        productIds: [uuid(2, 1), uuid(2, 3)],
        groupBy: ['PRODUCT'],
      },
      {
        from: '2026-03-03T08:20:00Z',
        to: '2026-03-30T16:40:00Z',
        granularity: 'WEEK',
        categories: ['Bakery'],
        groupBy: ['STORE'],
        fillGaps: true,
      },
    ];
    for (const q of cases) {
      expect(await ask(q), JSON.stringify(q)).toEqual(
        expectedTrend(rows, a.customerId, category, q),
      );
    }
  });

  it('gives the same answer from the rollups as from raw rows only', async () => {
    const input = {
      range: { from: new Date('2026-03-02T05:17:31Z'), to: new Date('2026-04-07T13:45:02Z') },
      granularity: 'DAY' as const,
      zone: { kind: 'fixed' as const, zone: 'UTC' },
      filters: { storeIds: null, productIds: null, categories: null },
      groupBy: { store: true, product: true, category: false },
      fillGaps: false,
      gapGroups: { kind: 'present' as const },
    };
    const run = async (forceRaw: boolean) => {
      const request = new RequestDb(gw.database.pool, {
        customerId: a.customerId,
        role: 'analyst',
        storeIds: null,
        statementTimeoutMs: 30_000,
      });
      try {
        return await salesTrend(request, input, { forceRaw });
      } finally {
        await request.finish('rollback');
      }
    };
    const routed = await run(false);
    expect(routed.length).toBeGreaterThan(100);
    expect(routed).toEqual(await run(true));
  });

  it('counts a back-dated sale recorded through recordSales at once', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const q: TrendQuestion = {
      from: '2026-03-10T00:00:00Z',
      to: '2026-03-12T00:00:00Z',
      granularity: 'DAY',
    };
    const before = await ask(q);
    const late: SaleRow = {
      customerId: a.customerId,
      transactionId: uuid(0x1a7e, 1),
      time: Date.parse('2026-03-11T09:30:00Z'),
      storeId: uuid(1, 1),
      productId: uuid(2, 2),
      quantity: 7,
      priceCents: 1999n,
    };
    const res = await gw.graphql<{ recordSales: { accepted: number } }>(
      `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`,
      {
        s: [
          {
            transactionId: late.transactionId,
            time: new Date(late.time).toISOString(),
            storeId: late.storeId,
            productId: late.productId,
            quantity: 7,
            unitPrice: '19.99',
          },
        ],
      },
      admin,
    );
    expect(res.data?.recordSales.accepted).toBe(1);
    rows.push(late);
    const after = await ask(q);
    expect(after).toEqual(expectedTrend(rows, a.customerId, category, q));
    expect(after).not.toEqual(before);
  });

  it('pages through dailySales and matches the raw rows per UTC day', async () => {
    const from = Date.parse('2026-03-05T00:00:00Z');
    const to = Date.parse('2026-03-12T00:00:00Z');
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: Awaited<
        ReturnType<
          typeof gw.graphql<{
            dailySales: {
              edges: {
                node: {
                  day: string;
                  store: { id: string };
                  product: { id: string };
                  units: number;
                  revenue: string;
                  returnedUnits: number;
                  returnedRevenue: string;
                };
              }[];
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
          }>
        >
      > = await gw.graphql(
        `query($after: String) { dailySales(range: {from: "2026-03-05T00:00:00Z", to: "2026-03-12T00:00:00Z"}, first: 25, after: $after) {
             edges { node { day store { id } product { id } units revenue returnedUnits returnedRevenue } } pageInfo { hasNextPage endCursor } } }`,
        { after },
        tokenA,
      );
      expect(res.errors).toBeUndefined();
      for (const e of res.data?.dailySales.edges ?? []) {
        const n = e.node;
        seen.push(
          `${n.day}|${n.store.id}|${n.product.id}|${n.units}|${n.revenue}|${n.returnedUnits}|${n.returnedRevenue}`,
        );
      }
      if (!res.data?.dailySales.pageInfo.hasNextPage) break;
      after = res.data.dailySales.pageInfo.endCursor;
    }
    const expected = [
      ...totalsBy(
        rows,
        a.customerId,
        from,
        to,
        (r) => `${new Date(r.time).toISOString().slice(0, 10)}|${r.storeId}|${r.productId}`,
      ),
    ]
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(
        ([k, v]) =>
          `${k}|${v.units}|${centsText(v.cents)}|${v.returned}|${centsText(v.returnedCents)}`,
      );
    expect(seen).toEqual(expected);
    const bad = await gw.graphql(
      `{ dailySales(range: {from: "2026-03-05T10:00:00Z", to: "2026-03-12T00:00:00Z"}) { edges { cursor } } }`,
      {},
      tokenA,
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/whole UTC days/);
  });

  it('ranks topProducts by units and revenue over an unaligned range, ties by id', async () => {
    const from = '2026-03-02T05:17:31Z';
    const to = '2026-03-25T13:45:02Z';
    const totals = totalsBy(
      rows,
      a.customerId,
      Date.parse(from),
      Date.parse(to),
      (r) => r.productId,
    );
    for (const by of ['UNITS', 'REVENUE'] as const) {
      const res = await gw.graphql<{
        topProducts: {
          product: { id: string };
          units: number;
          revenue: string;
          returnedUnits: number;
          returnedRevenue: string;
        }[];
      }>(
        `query($by: RankBy) { topProducts(range: {from: "${from}", to: "${to}"}, by: $by, limit: 3) { product { id } units revenue returnedUnits returnedRevenue } }`,
        { by },
        tokenA,
      );
      const expected = [...totals]
        .sort(([ia, x], [ib, y]) => {
          const d = by === 'UNITS' ? y.units - x.units : Number(y.cents - x.cents);
          return d || (ia < ib ? -1 : 1);
        })
        .slice(0, 3)
        .map(([id, v]) => ({
          product: { id },
          units: v.units,
          revenue: centsText(v.cents),
          returnedUnits: v.returned,
          returnedRevenue: centsText(v.returnedCents),
        }));
      expect(res.data?.topProducts).toEqual(expected);
    }
    const tooMany = await gw.graphql(
      `{ topProducts(range: {from: "${from}", to: "${to}"}, limit: 101) { units } }`,
      {},
      tokenA,
    );
    expect(tooMany.errors?.[0]?.message).toMatch(/limit must be between 1 and 100/);
  });

  it('computes salesVelocity per calendar day, zero days included, revenue rounded half-up', async () => {
    await gw.owner.query(
      `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand) VALUES ($1, $2, $3, '2026-03-14T12:00:00Z', 5)`,
      [a.customerId, uuid(1, 50), uuid(2, 4)],
    );
    const asOf = '2026-03-15';
    const windowDays = 10;
    const to = Date.parse(`${asOf}T00:00:00Z`) + DAY;
    const from = to - windowDays * DAY;
    const totals = totalsBy(rows, a.customerId, from, to, (r) => `${r.storeId}|${r.productId}`);
    totals.set(`${uuid(1, 50)}|${uuid(2, 4)}`, noTotals());
    const expected = [...totals]
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, v]) => {
        const [storeId, productId] = k.split('|');
        const w = BigInt(windowDays);
        return {
          store: { id: storeId },
          product: { id: productId },
          windowDays,
          unitsPerDay: v.units / windowDays,
          revenuePerDay: centsText((2n * v.cents + w) / (2n * w)),
        };
      });
    const res = await gw.graphql<{ salesVelocity: { edges: { node: unknown }[] } }>(
      `{ salesVelocity(windowDays: ${windowDays}, asOf: "${asOf}", first: 500) { edges { node { store { id } product { id } windowDays unitsPerDay revenuePerDay } } } }`,
      {},
      tokenA,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.salesVelocity.edges.map((e) => e.node)).toEqual(expected);
    const bad = await gw.graphql(
      `{ salesVelocity(windowDays: 0) { edges { cursor } } }`,
      {},
      tokenA,
    );
    expect(bad.errors?.[0]?.message).toMatch(/windowDays must be between 1 and 366/);
  });

  it('serves the velocity loader batched, as units per day over the last 7 UTC days', async () => {
    const request = new RequestDb(gw.database.pool, {
      customerId: a.customerId,
      role: 'analyst',
      storeIds: null,
      statementTimeoutMs: 30_000,
    });
    try {
      const ctx = { db: request, loaders: new LoaderCache(), backend: gw.database.backend };
      const keys = a.stores.slice(0, 5).map((s) => ({ storeId: s.id, productId: uuid(2, 1) }));
      const values = await Promise.all(keys.map((k) => velocityLoader(ctx).load(k)));
      const to = Math.floor(Date.now() / DAY) * DAY + DAY;
      const totals = totalsBy(
        rows,
        a.customerId,
        to - 7 * DAY,
        to,
        (r) => `${r.storeId}|${r.productId}`,
      );
      expect(values).toEqual(
        keys.map((k) => ((totals.get(`${k.storeId}|${k.productId}`)?.units ?? 0) / 7).toFixed(6)),
      );
      expect(request.statements).toBe(1);
    } finally {
      await request.finish('rollback');
    }
  });

  it('answers Store.salesTrend in each store’s zone and Product.sales, batched', async () => {
    const range = { from: '2026-03-27T06:00:00Z', to: '2026-04-02T00:00:00Z' };
    const res = await gw.graphql<{
      stores: { edges: { node: { id: string; timeZone: string; salesTrend: Bucket[] } }[] };
      products: {
        edges: {
          node: {
            id: string;
            sales: MeasureAnswers;
          };
        }[];
      };
    }>(
      `query($r: TimeRange!) {
        stores(first: 4) { edges { node { id timeZone salesTrend(range: $r, granularity: DAY, fillGaps: true) { bucket store { id } product { id } category ${MEASURE_NAMES.join(' ')} } } } }
        products { edges { node { id sales(range: $r) { ${MEASURE_NAMES.join(' ')} } } } }
      }`,
      { r: range },
      tokenA,
    );
    expect(res.errors).toBeUndefined();
    for (const e of res.data?.stores.edges ?? []) {
      const q: TrendQuestion = {
        ...range,
        granularity: 'DAY',
        timeZone: e.node.timeZone,
        storeIds: [e.node.id],
        groupBy: ['STORE'],
        fillGaps: true,
      };
      const got = e.node.salesTrend.map((x) => ({
        bucket: x.bucket,
        storeId: x.store?.id ?? null,
        productId: null,
        category: null,
        ...Object.fromEntries(MEASURE_NAMES.map((m) => [m, x[m]])),
      }));
      const expected = expectedTrend(rows, a.customerId, category, q);
      expect(got).toEqual(expected);
      expect(got.length).toBeGreaterThan(0);
    }
    const totals = totalsBy(
      rows,
      a.customerId,
      Date.parse(range.from),
      Date.parse(range.to),
      (r) => r.productId,
    );
    for (const e of res.data?.products.edges ?? []) {
      const t = totals.get(e.node.id);
      expect(e.node.sales).toEqual(measuresOf(t ?? noTotals(), 'products'));
    }
  });

  it('runs the same number of statements for 1, 10 and 100 stores and rows', async () => {
    const counts = async (query: string) => {
      const out: unknown[] = [];
      for (const n of [1, 10, 100]) {
        const res = await gw.graphql(query, { n }, tokenA);
        expect(res.errors).toBeUndefined();
        out.push(res.extensions?.sqlStatements);
      }
      return out;
    };
    const r = `{from: "2026-03-02T05:00:00Z", to: "2026-03-09T00:00:00Z"}`;
    const stores = await counts(
      `query($n: Int) { stores(first: $n) { edges { node { code salesTrend(range: ${r}, granularity: DAY) { bucket units store { name } } } } } }`,
    );
    const daily = await counts(
      `query($n: Int) { dailySales(range: {from: "2026-03-02T00:00:00Z", to: "2026-03-09T00:00:00Z"}, first: $n) { edges { node { units store { name } product { name } } } } }`,
    );
    const trend = await counts(
      `query($n: Int) { stores(first: $n) { edges { node { id } } } salesTrend(range: ${r}, granularity: HOUR, groupBy: [STORE, PRODUCT]) { store { name } product { sku } units } }`,
    );
    const velocity = await counts(
      `query($n: Int) { salesVelocity(asOf: "2026-03-15", first: $n) { edges { node { store { code } product { sku } unitsPerDay } } } }`,
    );
    const products = await counts(
      `query($n: Int) { products(first: $n) { edges { node { sales(range: ${r}) { units } salesTrend(range: ${r}, granularity: DAY) { units } } } } }`,
    );
    for (const c of [stores, daily, trend, velocity, products]) {
      expect(new Set(c).size, JSON.stringify(c)).toBe(1);
    }
    expect({
      stores: stores[0],
      daily: daily[0],
      trend: trend[0],
      velocity: velocity[0],
      products: products[0],
    }).toMatchInlineSnapshot(`
      {
        "daily": 3,
        "products": 3,
        "stores": 2,
        "trend": 4,
        "velocity": 3,
      }
    `);
  });

  it('never counts another tenant’s rows and respects the store scope', async () => {
    const q: TrendQuestion = {
      from: '2026-03-01T00:00:00Z',
      to: '2026-04-10T00:00:00Z',
      granularity: 'WEEK',
      groupBy: ['STORE'],
    };
    const tokenB = await gw.token(b.customerId);
    const res = await gw.graphql<{ salesTrend: Bucket[] }>(
      TREND,
      { range: { from: q.from, to: q.to }, g: 'WEEK', groupBy: ['STORE'] },
      tokenB,
    );
    expect(res.data?.salesTrend.map((x) => [x.bucket, x.store?.id, x.units, x.revenue])).toEqual(
      expectedTrend(rows, b.customerId, category, q).map((x) => [
        x.bucket,
        x.storeId,
        x.units,
        x.revenue,
      ]),
    );
    const scoped = await gw.token(a.customerId, 'analyst', [uuid(1, 3)]);
    const mine = await gw.graphql<{ salesTrend: Bucket[] }>(
      TREND,
      { range: { from: q.from, to: q.to }, g: 'WEEK', groupBy: ['STORE'] },
      scoped,
    );
    expect(mine.data?.salesTrend.map((x) => [x.bucket, x.store?.id, x.units])).toEqual(
      expectedTrend(rows, a.customerId, category, { ...q, storeIds: [uuid(1, 3)] }).map((x) => [
        x.bucket,
        x.storeId,
        x.units,
      ]),
    );
  });

  it('prices salesTrend by buckets × groups against the role’s cost limit', async () => {
    const field = (n: number) =>
      `t${n}: salesTrend(range: {from: "2025-06-01T00:00:00Z", to: "2026-06-01T00:00:00Z"}, granularity: HOUR, groupBy: [STORE]) { units }`;
    const cheap = await gw.graphql(`{ ${field(1)} }`, {}, tokenA);
    expect(cheap.errors).toBeUndefined();
    const costly = await gw.graphql(`{ ${[1, 2, 3, 4, 5, 6].map(field).join(' ')} }`, {}, tokenA);
    expect(costly.errors?.[0]?.extensions?.code).toBe('COST_LIMIT');
    expect(costly.errors?.[0]?.message).toMatch(/the operation costs 6\d{4}/);
  });

  it('rejects bad input with typed errors that say what to fix', async () => {
    const bad = async (vars: Record<string, unknown>, pattern: RegExp) => {
      const res = await gw.graphql(TREND, { g: 'DAY', ...vars }, tokenA);
      expect(res.errors?.[0]?.message).toMatch(pattern);
      return res.errors?.[0]?.extensions?.code;
    };
    expect(
      await bad(
        { range: { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' } },
        /range.from must be before range.to/,
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      await bad(
        { range: { from: '2026-03-02T00:00:00Z', to: '2026-03-02T00:00:00Z' } },
        /range.from must be before range.to/,
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      await bad(
        { g: 'HOUR', range: { from: '2024-01-01T00:00:00Z', to: '2026-03-02T00:00:00Z' } },
        /too long for granularity HOUR/,
      ),
    ).toBe('BAD_USER_INPUT');
    await bad(
      { range: { from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' }, tz: 'Mars/Olympus' },
      /valid IANA time zone/,
    );
    expect(
      await bad(
        {
          g: 'HOUR',
          range: { from: '2026-03-01T00:00:00Z', to: '2026-11-05T00:00:00Z' },
          groupBy: ['STORE', 'PRODUCT'],
          fill: true,
        },
        /more than 10000 buckets/,
      ),
    ).toBe('TREND_TOO_LARGE');
  });
});
