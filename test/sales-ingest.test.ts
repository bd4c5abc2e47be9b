import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { insertTenants, salesTenant } from './support/sales-data.js';

const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;

interface Line {
  transactionId: string;
  time: string;
  storeId: string;
  productId: string;
  quantity: number;
  unitPrice: string;
}

const line = (n: number, over: Partial<Line> = {}): Line => ({
  transactionId: uuid(0x5a1e, n),
  time: new Date(Date.parse('2026-06-01T08:00:00Z') + n * 61_000).toISOString(),
  storeId: uuid(1, 1 + (n % 2)),
  productId: uuid(2, 1 + (n % 4)),
  quantity: 1 + (n % 5),
  unitPrice: `${n % 90}.${String(n % 100).padStart(2, '0')}`,
  ...over,
});

describe.each([...BACKENDS, ...CLUSTER])('recordSales on %s', (kind) => {
  let gw: TestGateway;
  const a = salesTenant(0xa, 'Tenant A', 2);
  const b = salesTenant(0xc, 'Tenant C', 2);
  b.stores = b.stores.map((s, i) => ({ ...s, id: uuid(0xc1, i + 1) }));

  const stored = async (customerId: string) => {
    const { rows } = await gw.owner.query<{ n: string; revenue: string | null }>(
      `SELECT count(*) AS n, sum(revenue)::text AS revenue FROM transactions WHERE customer_id = $1`,
      [customerId],
    );
    return { n: Number(rows[0]?.n), revenue: rows[0]?.revenue ?? null };
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [a, b]);
  });
  afterAll(() => gw?.close());

  it('stores a large batch exactly once and counts duplicates on retry', async () => {
    const token = await gw.token(a.customerId, 'admin');
    const lines = Array.from({ length: 1200 }, (_, n) => line(n));
    const first = await gw.graphql<{ recordSales: { accepted: number; duplicates: number } }>(
      RECORD,
      { s: lines },
      token,
    );
    expect(first.errors).toBeUndefined();
    expect(first.data?.recordSales).toEqual({ accepted: 1200, duplicates: 0 });
    const retry = await gw.graphql<{ recordSales: { accepted: number; duplicates: number } }>(
      RECORD,
      { s: [...lines.slice(0, 300), line(5000), line(5000)] },
      token,
    );
    expect(retry.data?.recordSales).toEqual({ accepted: 1, duplicates: 301 });
    let cents = 0n;
    for (const l of [...lines, line(5000)]) {
      const [units, frac = ''] = l.unitPrice.split('.');
      cents += BigInt(l.quantity) * (BigInt(units ?? '0') * 100n + BigInt(frac.padEnd(2, '0')));
    }
    expect(await stored(a.customerId)).toEqual({
      n: 1201,
      revenue: `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`,
    });
  });

  it('refuses another tenant’s store id with NOT_FOUND and stores nothing of the batch', async () => {
    const token = await gw.token(a.customerId, 'admin');
    const before = await stored(a.customerId);
    const res = await gw.graphql(
      RECORD,
      { s: [line(9001), line(9002, { storeId: uuid(0xc1, 1) })] },
      token,
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(res.errors?.[0]?.message).toMatch(/store or product does not exist/);
    expect(await stored(a.customerId)).toEqual(before);
    expect(await stored(b.customerId)).toEqual({ n: 0, revenue: null });
  });

  it('refuses analysts and stores outside the caller’s store scope', async () => {
    const analyst = await gw.token(a.customerId, 'analyst');
    const res = await gw.graphql(RECORD, { s: [line(9100)] }, analyst);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0]?.message).toMatch(/recordSales/);
    const scoped = await gw.token(a.customerId, 'admin', [uuid(1, 1)]);
    const outside = await gw.graphql(RECORD, { s: [line(9101, { storeId: uuid(1, 2) })] }, scoped);
    expect(outside.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { rows } = await gw.owner.query(
      `SELECT 1 FROM transactions WHERE transaction_id = ANY($1::uuid[])`,
      [[uuid(0x5a1e, 9100), uuid(0x5a1e, 9101)]],
    );
    expect(rows).toEqual([]);
  });

  it('rejects an oversized batch and bad lines, storing nothing', async () => {
    const token = await gw.token(a.customerId, 'admin');
    const before = await stored(a.customerId);
    const cases: [Line[], RegExp][] = [
      [Array.from({ length: 5001 }, (_, n) => line(20_000 + n)), /at most 5000 lines per call/],
      [[], /at least one sale/],
      [
        [line(30_001), line(30_002, { quantity: 0 })],
        /sales\[1\]\.quantity must be a whole number from 1 to 100000/,
      ],
      [[line(30_003, { unitPrice: '-1.00' })], /sales\[0\]\.unitPrice must not be negative/],
      [
        [line(30_004, { unitPrice: '1.005' })],
        /sales\[0\]\.unitPrice must have at most 10 digits before and 2 after/,
      ],
      [
        [line(30_005, { time: new Date(Date.now() + 3 * 86_400_000).toISOString() })],
        /sales\[0\]\.time is in the future/,
      ],
    ];
    for (const [s, message] of cases) {
      const res = await gw.graphql(RECORD, { s }, token);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    expect(await stored(a.customerId)).toEqual(before);
  });

  it('fingerprints a line as the 0008 definition did, so earlier keys still match their retries', async () => {
    // The 0008 text (concat_ws), computed here independently of app.sale_content, over prices
    // of every scale and sign of quantity the API accepts.
    const { rows } = await gw.owner.query<{ differ: string; n: string }>(
      `SELECT count(*) FILTER (WHERE app.sale_content(s, p, q, u) IS DISTINCT FROM
                                     md5(concat_ws('|', s, p, q, u::numeric(12, 2)))::uuid)::text AS differ,
              count(*)::text AS n
       FROM (SELECT gen_random_uuid() AS s, gen_random_uuid() AS p,
                    (CASE WHEN i % 3 = 0 THEN -1 ELSE 1 END) * (1 + i % 100000) AS q,
                    least((ARRAY['0', '00', '7', '007.5', '0.5', '12.30', '9999999999.99', '1.05'])[1 + i % 8]::numeric
                          + i % 13, 9999999999.99) AS u
             FROM generate_series(1, 2000) AS i) AS lines`,
    );
    expect(rows[0]).toEqual({ differ: '0', n: '2000' });
  });
});
