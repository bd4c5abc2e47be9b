import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRowsBefore } from '../src/db/archive.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  CATEGORIES,
  centsText,
  expectedTrend,
  generateSales,
  insertSales,
  insertTenants,
  salesTenant,
  totalsBy,
  type TrendQuestion,
} from './support/sales-data.js';
import { askTrend } from './support/sales-trend.js';

const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;
const DAY = 86_400_000;

interface Line {
  transactionId: string;
  time: string;
  storeId?: string;
  storeCode?: string;
  productId?: string;
  sku?: string;
  quantity: number;
  unitPrice: string;
}

const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 3 * DAY;
const recent = (n: number) => new Date(BASE + n * 60_000).toISOString();

const line = (n: number, over: Partial<Line> = {}): Line => ({
  transactionId: uuid(0x0b0a, n),
  time: recent(n),
  storeId: uuid(1, 1),
  productId: uuid(2, 1),
  quantity: 2,
  unitPrice: '1.25',
  ...over,
});

// The cluster gives the same answers as plain PostgreSQL.
const KINDS = [...BACKENDS, ...CLUSTER];

describe.each(KINDS)('recordSales idempotency, retention, codes and returns on %s', (kind) => {
  let gw: TestGateway;
  let admin: string;
  const a = salesTenant(0xa, 'Tenant A', 2);

  const storedLines = async (ids: string[]) => {
    const { rows } = await gw.owner.query<{ transaction_id: string; time: Date; quantity: number }>(
      `SELECT transaction_id, time, quantity FROM transactions
       WHERE customer_id = $1 AND transaction_id = ANY($2::uuid[]) ORDER BY transaction_id, time`,
      [a.customerId, ids],
    );
    return rows;
  };
  const record = (s: Line[], token = admin) =>
    gw.graphql<{ recordSales: { accepted: number; duplicates: number } }>(RECORD, { s }, token);

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [a]);
    admin = await gw.token(a.customerId, 'admin');
  });
  afterAll(() => gw?.close());

  it('keys a line by its transaction id: same content is a duplicate, other content a CONFLICT', async () => {
    const first = await record([line(1), line(2)]);
    expect(first.data?.recordSales).toEqual({ accepted: 2, duplicates: 0 });
    const again = await record([line(1), line(2), line(3), line(3)]);
    expect(again.data?.recordSales).toEqual({ accepted: 1, duplicates: 3 });

    const otherTime = await record([line(4), line(1, { time: recent(500) })]);
    expect(otherTime.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(otherTime.errors?.[0]?.message).toMatch(
      /sales\[1\]\.transactionId .* is already stored with other content \(time /,
    );
    const otherQuantity = await record([line(2, { quantity: 3 })]);
    expect(otherQuantity.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const inBatch = await record([line(5), line(5, { unitPrice: '9.99' })]);
    expect(inBatch.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(inBatch.errors?.[0]?.message).toMatch(/^sales\[1\]/);

    const ids = [1, 2, 3, 4, 5].map((n) => uuid(0x0b0a, n));
    const rows = await storedLines(ids);
    // A refused batch stores nothing, not even its new lines (4 and 5).
    expect(rows.map((r) => [r.transaction_id, r.time.toISOString(), r.quantity])).toEqual(
      [1, 2, 3].map((n) => [uuid(0x0b0a, n), recent(n), 2]),
    );
  });

  it('refuses a line older than the tenant’s retention horizon, naming it, and stores nothing', async () => {
    const old = new Date(Date.now() - 2 * 365 * DAY - 3 * DAY).toISOString();
    const res = await record([line(10), line(11, { time: old })]);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(
      /^sales\[1\]\.time .* is older than the retention horizon .*\(the tenant keeps "2 years"\)/,
    );
    expect(await storedLines([uuid(0x0b0a, 10), uuid(0x0b0a, 11)])).toEqual([]);
    const inside = new Date(Date.now() - 2 * 365 * DAY + 5 * DAY).toISOString();
    const ok = await record([line(12, { time: inside })]);
    expect(ok.data?.recordSales).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('accepts store codes and SKUs instead of ids, exactly one of each per line', async () => {
    const res = await record([
      line(20, { storeId: undefined, storeCode: 'S002', productId: undefined, sku: 'SKU-3' }),
      line(21, { productId: undefined, sku: 'SKU-4' }),
    ]);
    expect(res.errors).toBeUndefined();
    const { rows } = await gw.owner.query<{ store_id: string; product_id: string }>(
      `SELECT store_id, product_id FROM transactions WHERE transaction_id = ANY($1::uuid[]) ORDER BY time`,
      [[uuid(0x0b0a, 20), uuid(0x0b0a, 21)]],
    );
    expect(rows).toEqual([
      { store_id: uuid(1, 2), product_id: uuid(2, 3) },
      { store_id: uuid(1, 1), product_id: uuid(2, 4) },
    ]);
    const both = await record([line(22, { storeCode: 'S001' })]);
    expect(both.errors?.[0]?.message).toMatch(
      /sales\[0\]: give exactly one of storeId and storeCode/,
    );
    const neither = await record([line(23, { productId: undefined })]);
    expect(neither.errors?.[0]?.message).toMatch(/give exactly one of productId and sku/);
    const unknown = await record([line(24), line(25, { productId: undefined, sku: 'NOPE' })]);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(unknown.errors?.[0]?.message).toMatch(
      /sales\[1\]\.sku "NOPE" is not one of your products/,
    );
    const scoped = await gw.token(a.customerId, 'admin', [uuid(1, 1)]);
    const outside = await record([line(26, { storeId: undefined, storeCode: 'S002' })], scoped);
    expect(outside.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await storedLines([22, 23, 24, 25, 26].map((n) => uuid(0x0b0a, n)))).toEqual([]);
  });

  it('stores a return as a negative line that reduces net units and revenue', async () => {
    const time = new Date(Math.floor((Date.now() - 2 * DAY) / DAY) * DAY + 3_600_000);
    const at = (m: number) => new Date(time.getTime() + m * 60_000).toISOString();
    const lines = [
      line(30, { time: at(1), productId: uuid(2, 2), quantity: 5, unitPrice: '2.00' }),
      line(31, { time: at(2), productId: uuid(2, 2), quantity: -2, unitPrice: '2.00' }),
    ];
    const res = await record(lines);
    expect(res.data?.recordSales).toEqual({ accepted: 2, duplicates: 0 });
    const day = new Date(Math.floor(time.getTime() / DAY) * DAY);
    const range = { from: day.toISOString(), to: new Date(day.getTime() + DAY).toISOString() };
    const trend = await gw.graphql<{ salesTrend: Record<string, unknown>[] }>(
      `query($r: TimeRange!) { salesTrend(range: $r, granularity: DAY, productIds: ["${uuid(2, 2)}"]) {
         units revenue transactions returnedUnits returnedRevenue } }`,
      { r: range },
      admin,
    );
    expect(trend.data?.salesTrend).toEqual([
      { units: 3, revenue: '6.00', transactions: 2, returnedUnits: 2, returnedRevenue: '4.00' },
    ]);
    const tooMany = await record([line(32, { quantity: -100_001 })]);
    expect(tooMany.errors?.[0]?.message).toMatch(/from -100000 to -1 \(a return\)/);
  });
});

// Returns moved into the archive keep every route exact: archived rollups, their views and the
// hot continuous aggregates, against the oracle over the raw lines.
describe('returns through the archive on timescale', () => {
  let gw: TestGateway;
  const t = salesTenant(0xe, 'Tenant E', 3);
  const rows = generateSales(t, 0x2e, [{ from: '2026-02-02T00:00:00Z', days: 35 }], 3, 30, 5);
  const category = (id: string) => CATEGORIES[t.products.findIndex((p) => p.id === id)] ?? '';

  beforeAll(async () => {
    gw = await startTestGateway('timescale', { COMPRESS_AFTER: 'off' });
    await insertTenants(gw.owner, [t]);
    await insertSales(gw.owner, rows);
    await refreshSalesRollups(gw.owner, 'timescale', null, null);
  });
  afterAll(() => gw?.close());

  it('answers trends, dailySales and topProducts net of returns before and after archiving', async () => {
    const token = await gw.token(t.customerId, 'analyst');
    const questions: TrendQuestion[] = [
      { from: '2026-02-02T00:00:00Z', to: '2026-03-09T00:00:00Z', granularity: 'DAY' },
      {
        from: '2026-02-10T05:17:31Z',
        to: '2026-02-20T13:45:02Z',
        granularity: 'HOUR',
        groupBy: ['STORE'],
      },
      {
        from: '2026-02-01T00:00:00Z',
        to: '2026-03-10T00:00:00Z',
        granularity: 'WEEK',
        timeZone: 'Europe/Berlin',
        groupBy: ['PRODUCT'],
      },
    ];
    const check = async () => {
      for (const q of questions) {
        expect(await askTrend(gw, token, q), JSON.stringify(q)).toEqual(
          expectedTrend(rows, t.customerId, category, q),
        );
      }
      const from = Date.parse('2026-02-03T00:00:00Z');
      const to = Date.parse('2026-03-03T00:00:00Z');
      const top = await gw.graphql<{ topProducts: Record<string, unknown>[] }>(
        `{ topProducts(range: {from: "2026-02-03T00:00:00Z", to: "2026-03-03T00:00:00Z"}, limit: 4) {
           product { id } units revenue returnedUnits returnedRevenue } }`,
        {},
        token,
      );
      const totals = totalsBy(rows, t.customerId, from, to, (r) => r.productId);
      expect(top.data?.topProducts).toEqual(
        [...totals]
          .sort(([ia, x], [ib, y]) => y.units - x.units || (ia < ib ? -1 : 1))
          .map(([id, v]) => ({
            product: { id },
            units: v.units,
            revenue: centsText(v.cents),
            returnedUnits: v.returned,
            returnedRevenue: centsText(v.returnedCents),
          })),
      );
      const daily = await gw.graphql<{
        dailySales: { edges: { node: { returnedUnits: number; units: number } }[] };
      }>(
        `{ dailySales(range: {from: "2026-02-03T00:00:00Z", to: "2026-02-04T00:00:00Z"}, first: 500) {
           edges { node { units returnedUnits } } } }`,
        {},
        token,
      );
      const day = totalsBy(rows, t.customerId, from, from + DAY, () => 'day').get('day');
      const nodes = daily.data?.dailySales.edges.map((e) => e.node) ?? [];
      expect(nodes.reduce((sum, n) => sum + n.returnedUnits, 0)).toBe(day?.returned);
      expect(nodes.reduce((sum, n) => sum + n.units, 0)).toBe(day?.units);
    };
    expect(rows.some((r) => r.quantity < 0)).toBe(true);
    await check();
    const moves = await archiveRowsBefore(gw.owner, new Date('2026-02-26T00:00:00Z'));
    expect(moves.find((m) => m.relation === 'transactions')?.moved).toBeGreaterThan(0);
    await check();
  });
});
