import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';

const LIMITS = {
  MAX_DEPTH: '4',
  MAX_ALIASES: '3',
  MAX_DIRECTIVES: '3',
  MAX_TOKENS: '300',
  MAX_COST_ANALYST: '500',
  MAX_BODY_BYTES: '4000',
  MAX_DOCUMENT_BYTES: '1500',
  FUTURE_TOLERANCE_SECONDS: '120',
};

const OVER_LIMITS: [string, string, RegExp][] = [
  [
    'DEPTH_LIMIT',
    '{ __type(name: "Store") { fields { type { ofType { name } } } } }',
    /depth limit of 4/,
  ],
  [
    'ALIAS_LIMIT',
    '{ a: viewer { role } b: viewer { role } c: viewer { role } d: viewer { role } }',
    /Aliases limit of 3/,
  ],
  [
    'DIRECTIVE_LIMIT',
    '{ viewer @include(if: true) { role @include(if: true) customerId @include(if: true) storeIds @include(if: true) } }',
    /Directives limit of 3/,
  ],
  ['TOKEN_LIMIT', `{ ${'viewer { role } '.repeat(80)}}`, /Token limit of 300/],
  ['COST_LIMIT', '{ stores(first: 200) { edges { node { id code name } } } }', /costs 801/],
];

const RECORD_SALES = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }`;
const RECORD_SNAPSHOTS = `mutation($s: [InventorySnapshotInput!]!) { recordInventory(snapshots: $s) { accepted } }`;

describe.each(BACKENDS)('limit refusals on %s', (kind) => {
  let gw: TestGateway;
  let production: TestGateway;
  const [a] = twinTenants();
  const store = a.stores[0]?.id ?? '';

  beforeAll(async () => {
    gw = await startTestGateway(kind, LIMITS);
    production = await startTestGateway(kind, {
      ...LIMITS,
      NODE_ENV: 'production',
      JWT_SECRET: TEST_SECRET,
    });
    for (const g of [gw, production]) {
      await insertTenant(g.owner, a);
      // A catalog large enough that an HOUR trend by product cannot fit in one answer.
      await g.owner.query(
        `INSERT INTO products (customer_id, id, sku, name, category, unit_price)
         SELECT $1, gen_random_uuid(), 'BULK-' || n, 'Bulk ' || n, 'Bulk', 1
         FROM generate_series(1, 300) n`,
        [a.customerId],
      );
    }
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await production?.close();
  });

  it('refuses documents over each limit with HTTP 400 and the limit’s own code', async () => {
    const token = await gw.token(a.customerId);
    for (const [code, query, message] of OVER_LIMITS) {
      const res = await gw.graphql(query, {}, token);
      expect(res.status, code).toBe(400);
      expect(res.data ?? null, code).toBeNull();
      expect(res.errors?.[0]?.extensions?.code, code).toBe(code);
      expect(res.errors?.[0]?.message, code).toMatch(message);
    }
  });

  it('hides limit values and costs in production', async () => {
    const token = await production.token(a.customerId);
    for (const [code, query] of OVER_LIMITS) {
      const res = await production.graphql(query, {}, token);
      expect(res.status, code).toBe(400);
      const error = res.errors?.[0];
      expect(error?.extensions?.code, code).toBe(code);
      // No figure of the limit or of the operation: no digit in the message, no cost fields.
      expect(error?.message, code).not.toMatch(/\d/);
      expect(Object.keys(error?.extensions ?? {}), code).toEqual(['code']);
    }
    const ok = await production.graphql('{ stores(first: 2) { edges { cursor } } }', {}, token);
    expect(ok.status).toBe(200);
    expect(JSON.stringify(ok)).not.toMatch(/cost/i);
  });

  it('refuses a body over MAX_BODY_BYTES with 413, with or without a length', async () => {
    const token = await gw.token(a.customerId);
    const query = `{ viewer { role } }${' '.repeat(5000)}`;
    const sized = await gw.graphql(query, {}, token);
    expect(sized.status).toBe(413);
    expect(sized.errors?.[0]?.extensions?.code).toBe('BODY_TOO_LARGE');
    // A chunked body announces no length: it is counted as it arrives.
    const body = new TextEncoder().encode(JSON.stringify({ query }));
    const chunked = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < body.length; i += 1000) controller.enqueue(body.slice(i, i + 1000));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const small = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"query":"{ viewer { role } }"}'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(small.status).toBe(200);
    expect(await small.json()).toMatchObject({ data: { viewer: { role: 'ANALYST' } } });
  });

  it('counts comments and whitespace: a document over MAX_DOCUMENT_BYTES never runs', async () => {
    const token = await gw.token(a.customerId);
    const padded = `# ${'x'.repeat(1600)}\n{ viewer { role } }`;
    const res = await gw.graphql(padded, {}, token);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('DOCUMENT_TOO_LARGE');
    expect(res.extensions?.sqlStatements ?? 0).toBe(0);
    const fits = await gw.graphql(`# ${'x'.repeat(1000)}\n{ viewer { role } }`, {}, token);
    expect(fits.data).toEqual({ viewer: { role: 'ANALYST' } });
  });

  it('refuses an oversized trend from the catalog counts, before reading any sale', async () => {
    // An admin's cost limit (the default, 50000) lets the trend through to the size check.
    const token = await gw.token(a.customerId, 'admin');
    const trend = `query($range: TimeRange!, $products: [UUID!]) {
      salesTrend(range: $range, granularity: HOUR, groupBy: [PRODUCT], fillGaps: true, productIds: $products) { bucket units }
    }`;
    const range = { from: '2026-01-01T00:00:00Z', to: '2026-03-02T00:00:00Z' };
    const started = performance.now();
    const big = await gw.graphql(trend, { range }, token);
    const elapsed = performance.now() - started;
    expect(big.status).toBe(400);
    expect(big.errors?.[0]?.extensions?.code).toBe('TREND_TOO_LARGE');
    // One statement: the catalog count; the trend's SQL never ran.
    expect(big.extensions?.sqlStatements).toBe(1);
    expect(elapsed).toBeLessThan(2000);
    // 1442 hourly buckets × 4 products fit.
    const products = a.products.map((p) => p.id);
    const small = await gw.graphql(trend, { range, products }, token);
    expect(small.errors).toBeUndefined();
    expect(Array.isArray(small.data?.salesTrend)).toBe(true);
  });

  it('refuses sale and snapshot times in the future or before 2000, per line', async () => {
    const token = await gw.token(a.customerId, 'admin');
    const product = a.products[0]?.id ?? '';
    const now = Date.now();
    const times: [string, RegExp][] = [
      ['1900-01-01T00:00:00Z', /\[1\]\.time is before 2000-01-01T00:00:00.000Z \(1900/],
      ['0001-01-01T00:00:00Z', /\[1\]\.time is before 2000-01-01T00:00:00.000Z/],
      [new Date(now + 3_600_000).toISOString(), /\[1\]\.time is in the future: .* plus 120 s/],
    ];
    const sale = (time: string) => ({
      transactionId: randomUUID(),
      time,
      storeId: store,
      productId: product,
      quantity: 1,
      unitPrice: '1.00',
    });
    const snapshot = (time: string) => ({
      storeId: store,
      productId: product,
      time,
      onHand: 5,
      allocated: 0,
    });
    const ok = new Date(now - 60_000).toISOString();
    for (const [time, message] of times) {
      const sales = await gw.graphql(RECORD_SALES, { s: [sale(ok), sale(time)] }, token);
      expect(sales.errors?.[0]?.extensions?.code, time).toBe('BAD_USER_INPUT');
      expect(sales.errors?.[0]?.message, time).toMatch(new RegExp(`^sales${message.source}`));
      const stock = await gw.graphql(
        RECORD_SNAPSHOTS,
        { s: [snapshot(ok), snapshot(time)] },
        token,
      );
      expect(stock.errors?.[0]?.message, time).toMatch(new RegExp(`^snapshots${message.source}`));
    }
    const { rows } = await gw.owner.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM transactions)::int + (SELECT count(*) FROM inventory_levels)::int AS n`,
    );
    expect(rows[0]?.n).toBe(0);
    // Within the tolerance: a sender whose clock is a minute ahead.
    const ahead = new Date(now + 60_000).toISOString();
    const accepted = await gw.graphql(RECORD_SALES, { s: [sale(ahead)] }, token);
    expect(accepted.data).toEqual({ recordSales: { accepted: 1 } });
  });
});
