import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { WITH_CLUSTER } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  centsText,
  insertTenants,
  measuresOf,
  salesTenant,
  totalsBy,
  type SaleRow,
} from './support/sales-data.js';

// Each sale line keeps the unit cost in force at its sale time, from the product's cost
// history as it stands when the line is recorded; periods are only added, and a line recorded
// before a period was added keeps its cost. The test keeps its own model of each product's
// periods, gives each line the cost the model says, and checks the stored lines and every
// margin answer against it.

const HISTORY = 'sku cost costHistory { validFrom cost recordedAt }';
const UPSERT = `mutation($p: [ProductInput!]!) {
  upsertProducts(products: $p) { updated products { ${HISTORY} } } }`;
const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }`;
const MARGIN = 'revenue cost grossMargin marginRate';

const DAY = 86_400_000;
const HOUR = 3_600_000;

interface Period {
  validFrom: string | null;
  cost: string | null;
  recordedAt: string;
}
interface ProductAnswer {
  sku: string;
  cost: string | null;
  costHistory: Period[];
}
type UpsertAnswer = { upsertProducts: { updated: number; products: ProductAnswer[] } };

const cents = (text: string) => BigInt(Math.round(Number(text) * 100));

function totalsOf<T>(map: Map<string, T>, key: string): T {
  const totals = map.get(key);
  if (totals === undefined) throw new Error(`no lines for ${key}`);
  return totals;
}

describe.each(WITH_CLUSTER)('cost history on %s', { timeout: 180_000 }, (kind) => {
  let gw: TestGateway;
  let admin = '';
  let reader = '';
  const tenant = salesTenant(0xd, 'Tenant D', 2);
  // Ten whole UTC days ago, well inside the retention horizon.
  const day = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
  const at = (d: number, hour: number) => day + d * DAY + hour * HOUR;
  const product = (n: number, cost?: string, costFrom?: number) => ({
    sku: `SKU-${n}`,
    name: `Product ${n}`,
    category: n < 3 ? 'Dairy' : 'Bakery',
    unitPrice: `${n}.25`,
    ...(cost === undefined ? {} : { cost }),
    ...(costFrom === undefined ? {} : { costFrom: new Date(costFrom).toISOString() }),
  });

  // The model: each product's periods, oldest first, as the test set them.
  const periods = new Map<number, { from: number; cents: bigint }[]>();
  const inForce = (n: number, time: number): bigint | null => {
    let found: bigint | null = null;
    for (const p of periods.get(n) ?? []) if (p.from <= time) found = p.cents;
    return found;
  };
  const lines: SaleRow[] = [];
  let next = 0;

  const send = async (specs: { n: number; time: number; quantity: number; price: string }[]) => {
    const rows = specs.map((s): SaleRow => ({
      customerId: tenant.customerId,
      transactionId: uuid(0xd0, (next += 1)),
      time: s.time,
      storeId: uuid(1, 1 + (next % 2)),
      productId: uuid(2, s.n),
      quantity: s.quantity,
      priceCents: cents(s.price),
      costCents: inForce(s.n, s.time),
    }));
    const res = await gw.graphql<{ recordSales: { accepted: number } }>(
      RECORD,
      {
        s: rows.map((r) => ({
          transactionId: r.transactionId,
          time: new Date(r.time).toISOString(),
          storeId: r.storeId,
          productId: r.productId,
          quantity: r.quantity,
          unitPrice: centsText(r.priceCents),
        })),
      },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.recordSales.accepted).toBe(rows.length);
    lines.push(...rows);
  };

  /** Sets a product's cost and adds the period to the model (from the answer when implicit). */
  const setCost = async (n: number, cost: string, costFrom?: number) => {
    const sent = Date.now();
    const res = await gw.graphql<UpsertAnswer>(UPSERT, { p: [product(n, cost, costFrom)] }, admin);
    expect(res.errors).toBeUndefined();
    const answer = res.data?.upsertProducts.products[0];
    const last = answer?.costHistory.at(-1);
    expect(answer?.cost).toBe(cost);
    expect(last?.cost).toBe(cost);
    const list = periods.get(n) ?? [];
    let from: number;
    if (costFrom !== undefined) from = costFrom;
    else if (list.length === 0) from = -Infinity;
    else {
      // Now, as the database saw it during the request.
      from = Date.parse(last?.validFrom ?? '');
      expect(from).toBeGreaterThanOrEqual(sent - 1000);
      expect(from).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect(last?.validFrom ?? null).toBe(from === -Infinity ? null : new Date(from).toISOString());
    periods.set(n, [...list, { from, cents: cents(cost) }]);
    return answer;
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [tenant]);
    admin = await gw.token(tenant.customerId, 'admin');
    reader = await gw.token(tenant.customerId);
  });
  afterAll(() => gw?.close());

  it('gives a late line the cost in force at its sale time, and never rewrites a recorded line', async () => {
    // Product 1: a first cost, for all its earlier history; product 2: none yet.
    await setCost(1, '2.00');
    await send([
      { n: 1, time: at(0, 10), quantity: 2, price: '5.00' },
      { n: 1, time: at(2, 10), quantity: 1, price: '5.00' },
      { n: 2, time: at(0, 9), quantity: 1, price: '3.00' },
      { n: 2, time: at(3, 9), quantity: 1, price: '3.00' },
    ]);
    // A change back-dated to day 1: the line of day 2, recorded before, keeps 2.00.
    await setCost(1, '3.00', at(1, 0));
    // Late lines: each takes the period its sale time falls in (a return included).
    await send([
      { n: 1, time: at(0, 12), quantity: 1, price: '5.00' },
      { n: 1, time: at(1, 12), quantity: 3, price: '5.50' },
      { n: 1, time: at(3, 12), quantity: -1, price: '5.50' },
    ]);
    // A first cost from day 2: lines sold before it stay without a cost.
    await setCost(2, '1.50', at(2, 0));
    await send([
      { n: 2, time: at(1, 12), quantity: 1, price: '3.00' },
      { n: 2, time: at(2, 12), quantity: 2, price: '3.00' },
      { n: 2, time: at(4, 12), quantity: 4, price: '3.10' },
    ]);
    // A change without a start begins now: a late line sold before keeps the old cost, a line
    // sold after it takes the new one.
    const changed = await setCost(1, '4.00');
    expect(changed?.costHistory.map((p) => p.cost)).toEqual(['2.00', '3.00', '4.00']);
    await send([
      { n: 1, time: at(4, 12), quantity: 1, price: '5.50' },
      { n: 1, time: Date.now() + 30_000, quantity: 2, price: '6.00' },
    ]);

    const { rows: stored } = await gw.owner.query<{ id: string; cost: string | null }>(
      `SELECT transaction_id::text AS id, unit_cost::text AS cost FROM transactions
       WHERE customer_id = $1`,
      [tenant.customerId],
    );
    const byId = new Map(stored.map((r) => [r.id, r.cost]));
    expect(stored).toHaveLength(lines.length);
    for (const line of lines) {
      const expected = line.costCents == null ? null : centsText(line.costCents);
      expect(byId.get(line.transactionId), new Date(line.time).toISOString()).toBe(expected);
    }
    // Spot checks of the rule itself, beside the model.
    const costOf = (n: number, time: number) =>
      byId.get(
        lines.find((l) => l.productId === uuid(2, n) && l.time === time)?.transactionId ?? '',
      );
    expect(costOf(1, at(2, 10))).toBe('2.00');
    expect(costOf(1, at(0, 12))).toBe('2.00');
    expect(costOf(1, at(1, 12))).toBe('3.00');
    expect(costOf(1, at(4, 12))).toBe('3.00');
    expect(costOf(2, at(1, 12))).toBe(null);
    expect(costOf(2, at(2, 12))).toBe('1.50');
  });

  it('answers trends, summaries and rankings from the costs the lines kept', async () => {
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    const from = day;
    const to = Math.floor(Date.now() / DAY) * DAY + 2 * DAY;
    const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const pick = (m: Record<string, unknown>) => ({
      revenue: m.revenue,
      cost: m.cost,
      grossMargin: m.grossMargin,
      marginRate: m.marginRate,
    });

    const trend = await gw.graphql<{ salesTrend: Record<string, unknown>[] }>(
      `query($r: TimeRange!) { salesTrend(range: $r, granularity: DAY, groupBy: [PRODUCT]) {
         bucket product { id } ${MARGIN} } }`,
      { r: range },
      reader,
    );
    expect(trend.errors).toBeUndefined();
    const expected = totalsBy(
      lines,
      tenant.customerId,
      from,
      to,
      (l) => `${new Date(Math.floor(l.time / DAY) * DAY).toISOString()}|${l.productId}`,
    );
    const answered = new Map(
      (trend.data?.salesTrend ?? []).map((b) => [
        `${String(b.bucket)}|${(b.product as { id: string }).id}`,
        pick(b),
      ]),
    );
    expect([...answered.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, totals] of expected) {
      expect(answered.get(key), key).toEqual(pick({ ...measuresOf(totals) }));
    }

    // Each product's summary, and the ranking's total, over the whole range.
    const summaries = await gw.graphql<{ a: Record<string, unknown>; b: Record<string, unknown> }>(
      `query($r: TimeRange!, $a: UUID!, $b: UUID!) {
         a: product(id: $a) { sales(range: $r) { ${MARGIN} } }
         b: product(id: $b) { sales(range: $r) { ${MARGIN} } } }`,
      { r: range, a: uuid(2, 1), b: uuid(2, 2) },
      reader,
    );
    expect(summaries.errors).toBeUndefined();
    const perProduct = totalsBy(lines, tenant.customerId, from, to, (l) => l.productId);
    for (const [alias, n] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      const sales = (summaries.data?.[alias] as { sales: Record<string, unknown> }).sales;
      expect(pick(sales), alias).toEqual(pick({ ...measuresOf(totalsOf(perProduct, uuid(2, n))) }));
    }
    // The ranking by product: product 1's lines all kept a cost, product 2's not, so the
    // total has none.
    const ranking = await gw.graphql<{
      ranking: { rows: Record<string, unknown>[]; total: Record<string, unknown> };
    }>(
      `query($r: TimeRange!) { ranking(range: $r, dimension: PRODUCT, by: GROSS_MARGIN) {
         rows { product { id } ${MARGIN} } total { ${MARGIN} } } }`,
      { r: range },
      reader,
    );
    expect(ranking.errors).toBeUndefined();
    const rows = ranking.data?.ranking.rows ?? [];
    expect(rows.map((r) => (r.product as { id: string }).id)).toEqual([uuid(2, 1), uuid(2, 2)]);
    for (const row of rows) {
      const id = (row.product as { id: string }).id;
      expect(pick(row), id).toEqual(pick({ ...measuresOf(totalsOf(perProduct, id)) }));
    }
    const all = totalsBy(lines, tenant.customerId, from, to, () => 'all');
    expect(pick(ranking.data?.ranking.total ?? {})).toEqual(
      pick({ ...measuresOf(totalsOf(all, 'all')) }),
    );
    expect(rows[0]?.cost).not.toBeNull();
    expect(ranking.data?.ranking.total.cost).toBeNull();
  });

  it('refuses a start that is not after the current period, or in the future, changing nothing', async () => {
    const before = await gw.graphql<{ product: ProductAnswer }>(
      `query($id: UUID!) { product(id: $id) { ${HISTORY} } }`,
      { id: uuid(2, 1) },
      reader,
    );
    const history = before.data?.product.costHistory;
    expect(history).toHaveLength(3);

    const early = await gw.graphql(
      UPSERT,
      { p: [product(2, '1.80'), product(1, '5.00', at(5, 0))] },
      admin,
    );
    expect(early.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(early.errors?.[0]?.message).toMatch(/^products\[1\]\.costFrom .* is not after /);

    const future = await gw.graphql(
      UPSERT,
      { p: [product(1, '5.00', Date.now() + 3_600_000)] },
      admin,
    );
    expect(future.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(future.errors?.[0]?.message).toContain('products[0].costFrom is in the future');
    expect(future.extensions?.sqlStatements).toBe(0);

    const bare = await gw.graphql(
      UPSERT,
      { p: [{ ...product(1), costFrom: new Date(day).toISOString() }] },
      admin,
    );
    expect(bare.errors?.[0]?.message).toContain('products[0].costFrom needs the cost it starts');
    expect(bare.extensions?.sqlStatements).toBe(0);

    // A start a minute ahead (within the tolerance for sale times) is taken; a change right
    // after it, without a start, would begin before it: the database refuses it.
    const ahead = await gw.graphql<UpsertAnswer>(
      UPSERT,
      { p: [product(3, '0.70', Date.now() + 60_000)] },
      admin,
    );
    expect(ahead.errors).toBeUndefined();
    const behind = await gw.graphql(UPSERT, { p: [product(3, '0.75')] }, admin);
    expect(behind.errors?.[0]?.extensions?.code).toBe('CONSTRAINT_VIOLATION');
    expect(behind.errors?.[0]?.message).toContain('after its current cost did (costFrom)');

    // The same cost again, with any start, is no change: nothing is updated or added.
    const same = await gw.graphql<UpsertAnswer>(
      UPSERT,
      { p: [product(1, '4.00', at(6, 0))] },
      admin,
    );
    expect(same.errors).toBeUndefined();
    expect(same.data?.upsertProducts.updated).toBe(0);

    const after = await gw.graphql<{ product: ProductAnswer; other: ProductAnswer }>(
      `query($id: UUID!, $other: UUID!) {
         product(id: $id) { ${HISTORY} } other: product(id: $other) { ${HISTORY} } }`,
      { id: uuid(2, 1), other: uuid(2, 2) },
      reader,
    );
    expect(after.data?.product).toEqual(before.data?.product);
    expect(after.data?.other.cost).toBe('1.50');
    expect(after.data?.other.costHistory).toHaveLength(1);
    const third = await gw.graphql<{ product: ProductAnswer }>(
      `query($id: UUID!) { product(id: $id) { ${HISTORY} } }`,
      { id: uuid(2, 3) },
      reader,
    );
    expect(third.data?.product).toEqual(ahead.data?.upsertProducts.products[0]);
  });
});
