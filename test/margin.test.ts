import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { BACKENDS } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { insertTenants, salesTenant } from './support/sales-data.js';

const UPSERT = `mutation($p: [ProductInput!]!) {
  upsertProducts(products: $p) { updated products { sku cost } } }`;
const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }`;
const MARGIN = 'revenue cost grossMargin marginRate';
const TREND = `query($r: TimeRange!, $g: [SalesGroupBy!], $p: [UUID!]) {
  salesTrend(range: $r, granularity: DAY, groupBy: $g, productIds: $p) {
    bucket product { sku } ${MARGIN} } }`;

const DAY = 86_400_000;

describe.each(BACKENDS)('margin on %s', (kind) => {
  let gw: TestGateway;
  let admin = '';
  let reader = '';
  const a = salesTenant(0xc, 'Tenant C', 1);
  // Two whole UTC days well inside the retention horizon.
  const day = Math.floor(Date.now() / DAY) * DAY - 5 * DAY;
  const at = (d: number, hour: number) => new Date(day + d * DAY + hour * 3_600_000).toISOString();
  const product = (n: number, cost?: string) => ({
    sku: `SKU-${n}`,
    name: `Product ${n}`,
    category: n < 3 ? 'Dairy' : 'Bakery',
    unitPrice: `${n}.25`,
    ...(cost === undefined ? {} : { cost }),
  });
  let line = 0;
  const sale = (n: number, time: string, quantity: number, unitPrice: string) => ({
    transactionId: uuid(0xc0, (line += 1)),
    time,
    storeId: uuid(1, 1),
    productId: uuid(2, n),
    quantity,
    unitPrice,
  });
  const send = async (sales: unknown[]) => {
    const res = await gw.graphql(RECORD, { s: sales }, admin);
    expect(res.errors).toBeUndefined();
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [a]);
    admin = await gw.token(a.customerId, 'admin');
    reader = await gw.token(a.customerId);
  });
  afterAll(() => gw?.close());

  it('refuses a negative cost as a typed error before any SQL', async () => {
    const res = await gw.graphql(UPSERT, { p: [product(1, '1.00'), product(2, '-0.01')] }, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain('products[1].cost must not be negative');
    expect(res.extensions?.sqlStatements).toBe(0);
  });

  it('keeps on each line the cost in force when it was sold, and answers margin from it', async () => {
    const set = await gw.graphql<{ upsertProducts: { products: { cost: string | null }[] } }>(
      UPSERT,
      { p: [product(1, '1.10'), product(2, '2.00')] },
      admin,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data?.upsertProducts.products.map((p) => p.cost)).toEqual(['1.10', '2.00']);
    await send([
      sale(1, at(0, 9), 3, '2.50'),
      sale(2, at(0, 10), 2, '4.00'),
      // Product 3 has no cost: its lines keep none.
      sale(3, at(0, 11), 1, '1.00'),
    ]);
    // A new cost from 11:30 applies to the lines sold from then on, a return included; an
    // upsert that names no cost keeps the current one.
    const changed = await gw.graphql(
      UPSERT,
      { p: [{ ...product(1, '1.30'), costFrom: at(0, 11.5) }] },
      admin,
    );
    expect(changed.errors).toBeUndefined();
    const kept = await gw.graphql<{ upsertProducts: { products: { cost: string | null }[] } }>(
      UPSERT,
      { p: [product(1)] },
      admin,
    );
    expect(kept.data?.upsertProducts.products[0]?.cost).toBe('1.30');
    await send([sale(1, at(0, 12), 2, '2.50'), sale(1, at(0, 13), -1, '2.50')]);
    // A day whose sales were all returned: revenue 0, so no margin rate.
    await send([sale(2, at(1, 9), 1, '4.00'), sale(2, at(1, 10), -1, '4.00')]);
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);

    const { rows: stored } = await gw.owner.query<{ q: number; cost: string | null }>(
      `SELECT quantity AS q, unit_cost::text AS cost FROM transactions
       WHERE customer_id = $1 AND product_id = $2 ORDER BY time`,
      [a.customerId, uuid(2, 1)],
    );
    expect(stored).toEqual([
      { q: 3, cost: '1.10' },
      { q: 2, cost: '1.30' },
      { q: -1, cost: '1.30' },
    ]);

    const range = { from: at(0, 0), to: at(2, 0) };
    const byProduct = await gw.graphql<{ salesTrend: Record<string, unknown>[] }>(
      TREND,
      { r: range, g: ['PRODUCT'] },
      reader,
    );
    expect(byProduct.errors).toBeUndefined();
    const first = at(0, 0);
    const second = at(1, 0);
    expect(byProduct.data?.salesTrend).toEqual([
      // 3 × 1.10 + 2 × 1.30 − 1 × 1.30 = 4.60 against 7.50 + 5.00 − 2.50 = 10.00.
      {
        bucket: first,
        product: { sku: 'SKU-1' },
        revenue: '10.00',
        cost: '4.60',
        grossMargin: '5.40',
        marginRate: '0.540000',
      },
      {
        bucket: first,
        product: { sku: 'SKU-2' },
        revenue: '8.00',
        cost: '4.00',
        grossMargin: '4.00',
        marginRate: '0.500000',
      },
      {
        bucket: first,
        product: { sku: 'SKU-3' },
        revenue: '1.00',
        cost: null,
        grossMargin: null,
        marginRate: null,
      },
      {
        bucket: second,
        product: { sku: 'SKU-2' },
        revenue: '0.00',
        cost: '0.00',
        grossMargin: '0.00',
        marginRate: null,
      },
    ]);

    // A span with a line that kept no cost has none; without it, cost and margin add up.
    const total = await gw.graphql<{ salesTrend: Record<string, unknown>[] }>(
      TREND,
      { r: range },
      reader,
    );
    expect(total.data?.salesTrend.map((b) => b.cost)).toEqual([null, '0.00']);
    const costed = await gw.graphql<{ salesTrend: Record<string, unknown>[] }>(
      TREND,
      { r: { from: at(0, 0), to: at(1, 0) }, p: [uuid(2, 1), uuid(2, 2)] },
      reader,
    );
    expect(costed.data?.salesTrend).toEqual([
      {
        bucket: first,
        product: null,
        revenue: '18.00',
        cost: '8.60',
        grossMargin: '9.40',
        marginRate: '0.522222',
      },
    ]);

    const ranked = await gw.graphql<{
      ranking: { rows: Record<string, unknown>[]; total: Record<string, unknown> };
    }>(
      `query($r: TimeRange!) { ranking(range: $r, dimension: PRODUCT, by: GROSS_MARGIN, first: 2) {
         rows { product { sku } ${MARGIN} } total { ${MARGIN} } } }`,
      { r: range },
      reader,
    );
    expect(ranked.errors).toBeUndefined();
    expect(ranked.data?.ranking.rows.map((r) => [r.product, r.grossMargin])).toEqual([
      [{ sku: 'SKU-1' }, '5.40'],
      [{ sku: 'SKU-2' }, '4.00'],
    ]);
    expect(ranked.data?.ranking.total).toEqual({
      revenue: '19.00',
      cost: null,
      grossMargin: null,
      marginRate: null,
    });
  });
});
