import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureWindow, insertSeries } from './support/access-isolation.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './support/gateway.js';

// Partners know store codes and SKUs, never ids: every argument naming a store or a product by
// id takes its code too, and answers exactly as the ids would.

const window = fixtureWindow();
const range = { from: window.from.toISOString(), to: window.to.toISOString() };
const DAY = 86_400_000;
const velocityAsOf = new Date(window.to.getTime() - DAY).toISOString().slice(0, 10);

/** Query, its arguments by id and the same arguments by code. */
interface Case {
  name: string;
  query: string;
  byId: Record<string, unknown>;
  byCode: Record<string, unknown>;
}

const S1 = uuid(1, 1);
const S2 = uuid(1, 2);
const P2 = uuid(2, 2);
const P3 = uuid(2, 3);

const LIST_CASES: Case[] = [
  {
    name: 'salesTrend',
    query: `query($r: TimeRange!, $s: [UUID!], $sc: [String!], $p: [UUID!], $pc: [String!]) {
      salesTrend(range: $r, granularity: DAY, storeIds: $s, storeCodes: $sc, productIds: $p, skus: $pc,
                 groupBy: [STORE, PRODUCT]) { bucket store { code } product { sku } units revenue } }`,
    byId: { s: [S2], p: [P2, P3] },
    byCode: { sc: ['S2'], pc: ['SKU-2', 'SKU-3'] },
  },
  {
    name: 'dailySales',
    query: `query($r: TimeRange!, $s: [UUID!], $sc: [String!], $p: [UUID!], $pc: [String!]) {
      dailySales(range: $r, storeIds: $s, storeCodes: $sc, productIds: $p, skus: $pc, first: 500) {
        edges { node { day store { code } product { sku } units revenue } } } }`,
    byId: { s: [S1], p: [P3] },
    byCode: { sc: ['S1'], pc: ['SKU-3'] },
  },
  {
    name: 'topProducts',
    query: `query($r: TimeRange!, $s: [UUID!], $sc: [String!]) {
      topProducts(range: $r, storeIds: $s, storeCodes: $sc) { product { sku } units revenue } }`,
    byId: { s: [S2] },
    byCode: { sc: ['S2'] },
  },
  {
    name: 'salesVelocity',
    query: `query($s: [UUID!], $sc: [String!], $p: [UUID!], $pc: [String!]) {
      salesVelocity(storeIds: $s, storeCodes: $sc, productIds: $p, skus: $pc, windowDays: 7,
                    asOf: "${velocityAsOf}") {
        edges { node { store { code } product { sku } unitsPerDay revenuePerDay } } } }`,
    byId: { s: [S1], p: [P2] },
    byCode: { sc: ['S1'], pc: ['SKU-2'] },
  },
  {
    name: 'latestInventory',
    query: `query($s: [UUID!], $sc: [String!], $p: [UUID!], $pc: [String!]) {
      latestInventory(storeIds: $s, storeCodes: $sc, productIds: $p, skus: $pc) {
        edges { node { store { code } product { sku } onHand reorderPoint } } } }`,
    byId: { s: [S2], p: [P2, P3] },
    byCode: { sc: ['S2'], pc: ['SKU-2', 'SKU-3'] },
  },
  {
    name: 'alerts',
    query: `query($s: [UUID!], $sc: [String!]) {
      alerts(storeIds: $s, storeCodes: $sc) { edges { node { id store { code } } } } }`,
    byId: { s: [S1] },
    byCode: { sc: ['S1'] },
  },
  {
    name: 'anomalies',
    query: `query($r: TimeRange!, $s: [UUID!], $sc: [String!]) {
      anomalies(range: $r, storeIds: $s, storeCodes: $sc) { edges { node { id store { code } } } } }`,
    byId: { s: [S2] },
    byCode: { sc: ['S2'] },
  },
  {
    name: 'nested store fields',
    query: `query($r: TimeRange!, $p: [UUID!], $pc: [String!]) {
      stores { edges { node { code
        inventory(productIds: $p, skus: $pc) { product { sku } onHand }
        salesTrend(range: $r, granularity: DAY, productIds: $p, skus: $pc) { bucket units } } } } }`,
    byId: { p: [P3] },
    byCode: { pc: ['SKU-3'] },
  },
  {
    name: 'nested product fields',
    query: `query($r: TimeRange!, $s: [UUID!], $sc: [String!]) {
      products { edges { node { sku
        inventory(storeIds: $s, storeCodes: $sc) { store { code } onHand }
        reorderPoints(storeIds: $s, storeCodes: $sc) { store { code } reorderPoint }
        sales(range: $r, storeIds: $s, storeCodes: $sc) { units revenue }
        salesTrend(range: $r, granularity: DAY, storeIds: $s, storeCodes: $sc) { bucket units } } } } }`,
    byId: { s: [S2] },
    byCode: { sc: ['S2'] },
  },
];

describe.each(BACKENDS)('store codes and SKUs wherever ids are taken, on %s', (kind) => {
  let gw: TestGateway;
  let analyst: string;
  let admin: string;
  const [a, b] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, {
      ...b,
      stores: [...b.stores, { id: uuid(1, 9), code: 'B-ONLY', name: 'Only in B' }],
    });
    await insertSeries(gw.owner, { tenant: a, storeIds: [S1, S2], factor: 1, idGroup: 1 });
    analyst = await gw.token(a.customerId, 'analyst');
    admin = await gw.token(a.customerId, 'admin');
  }, 120_000);
  afterAll(() => gw?.close());

  const ask = <T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown>,
    token = analyst,
  ): Promise<GraphQLResponse<T>> => gw.graphql<T>(query, { r: range, ...variables }, token);

  it.each(LIST_CASES)('$name: a filter by codes answers as the filter by ids', async (c) => {
    const byId = await ask(c.query, c.byId);
    const byCode = await ask(c.query, c.byCode);
    const unfiltered = await ask(c.query, {});
    expect(byId.errors).toBeUndefined();
    expect(byCode.errors).toBeUndefined();
    expect(byCode.data).toEqual(byId.data);
    // The filter keeps something, and not everything.
    expect(JSON.stringify(byCode.data)).not.toEqual(JSON.stringify(unfiltered.data));
    expect(JSON.stringify(byCode.data)).toMatch(/"(units|unitsPerDay|onHand|id)":/);
  });

  it('a filter by codes is checked against raw rows', async () => {
    const res = await ask<{ salesTrend: { units: number }[] }>(
      `query($r: TimeRange!, $sc: [String!], $pc: [String!]) {
        salesTrend(range: $r, granularity: MONTH, storeCodes: $sc, skus: $pc) { units } }`,
      { sc: ['S2'], pc: ['SKU-2', 'SKU-3'] },
    );
    const { rows } = await gw.owner.query<{ units: string }>(
      `SELECT sum(t.quantity)::text AS units FROM transactions t
       JOIN stores s ON s.id = t.store_id AND s.customer_id = t.customer_id
       JOIN products p ON p.id = t.product_id AND p.customer_id = t.customer_id
       WHERE t.customer_id = $1 AND s.code = 'S2' AND p.sku IN ('SKU-2', 'SKU-3')
         AND t.time >= $2 AND t.time < $3`,
      [a.customerId, window.from, window.to],
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.salesTrend.reduce((n, bucket) => n + Number(bucket.units), 0)).toBe(
      Number(rows[0]?.units),
    );
    expect(Number(rows[0]?.units)).toBeGreaterThan(0);
  });

  it('one statement resolves the codes of a nested filter for every parent', async () => {
    const query = `query($pc: [String!], $p: [UUID!]) { stores { edges { node {
      inventory(skus: $pc, productIds: $p) { onHand } } } } }`;
    const byCode = await ask(query, { pc: ['SKU-1', 'SKU-3'] });
    const byId = await ask(query, { p: [uuid(2, 1), P3] });
    expect(byCode.errors).toBeUndefined();
    expect(byCode.data).toEqual(byId.data);
    expect(Number(byCode.extensions?.sqlStatements)).toBe(
      Number(byId.extensions?.sqlStatements) + 1,
    );
  });

  it('inventoryHistory, forecasts, store and product take codes as they take ids', async () => {
    const history = `query($r: TimeRange!, $s: UUID, $sc: String, $p: UUID, $pc: String) {
      inventoryHistory(storeId: $s, storeCode: $sc, productId: $p, sku: $pc, range: $r,
                       granularity: DAY) { bucket onHand minAvailable } }`;
    const forecasts = `query($r: TimeRange!, $s: UUID, $sc: String, $p: UUID, $pc: String) {
      forecasts(storeId: $s, storeCode: $sc, productId: $p, sku: $pc, range: $r) {
        periodStart units } }`;
    for (const query of [history, forecasts]) {
      const byId = await ask(query, { s: S2, p: P3 });
      const mixed = await ask(query, { sc: 'S2', p: P3 });
      const byCode = await ask(query, { sc: 'S2', pc: 'SKU-3' });
      expect(byId.errors).toBeUndefined();
      expect(Object.values(byId.data ?? {})[0]).toHaveLength(7);
      expect(byCode.data).toEqual(byId.data);
      expect(mixed.data).toEqual(byId.data);
    }
    const lookup = await ask(
      `{ store(code: "S2") { id code } product(sku: "SKU-3") { id sku }
         missing: store(code: "B-ONLY") { id } }`,
      {},
    );
    expect(lookup.data).toEqual({
      store: { id: S2, code: 'S2' },
      product: { id: P3, sku: 'SKU-3' },
      missing: null,
    });
    const both = await ask(`{ store(id: "${S2}", code: "S2") { id } }`, {});
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(both.errors?.[0]?.message).toBe('give exactly one of id and code');
  });

  it('setReorderPoint and raiseAlert take codes; a bad reference changes nothing', async () => {
    const set = `mutation($s: UUID, $sc: String, $p: UUID, $pc: String) {
      setReorderPoint(storeId: $s, storeCode: $sc, productId: $p, sku: $pc, reorderPoint: 7,
                      reorderQuantity: 3) { store { id } product { id } reorderPoint } }`;
    const ok = await ask(set, { sc: 'S1', pc: 'SKU-4' }, admin);
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({
      setReorderPoint: { store: { id: S1 }, product: { id: uuid(2, 4) }, reorderPoint: 7 },
    });
    const raise = `mutation($i: RaiseAlertInput!) {
      raiseAlert(input: $i) { created alert { store { id } product { id } } } }`;
    const alert = { type: 'STOCKOUT', severity: 'CRITICAL', message: 'Shelf empty' };
    const raised = await ask(raise, { i: { ...alert, storeCode: 'S1', sku: 'SKU-4' } }, admin);
    expect(raised.errors).toBeUndefined();
    expect(raised.data).toEqual({
      raiseAlert: { created: true, alert: { store: { id: S1 }, product: { id: uuid(2, 4) } } },
    });

    const counts = async () =>
      (
        await gw.owner.query<{ points: number; alerts: number }>(
          `SELECT (SELECT count(*)::int FROM reorder_points WHERE customer_id = $1) AS points,
                  (SELECT count(*)::int FROM alerts WHERE customer_id = $1) AS alerts`,
          [a.customerId],
        )
      ).rows[0];
    const before = await counts();
    const refused = [
      await ask(set, { s: S1, sc: 'S1', pc: 'SKU-4' }, admin),
      await ask(set, { pc: 'SKU-4' }, admin),
      await ask(set, { sc: 'NOPE', pc: 'SKU-4' }, admin),
      await ask(set, { sc: 'B-ONLY', pc: 'SKU-4' }, admin),
      await ask(raise, { i: { ...alert, storeId: S1, sku: 'NOPE' } }, admin),
      await ask(raise, { i: { ...alert, storeCode: 'S1' } }, admin),
    ];
    expect(refused.map((r) => [r.errors?.[0]?.extensions?.code, r.errors?.[0]?.message])).toEqual([
      ['BAD_USER_INPUT', 'give exactly one of storeId and storeCode'],
      ['BAD_USER_INPUT', 'give exactly one of storeId and storeCode'],
      ['NOT_FOUND', 'storeCode "NOPE" is not one of your stores'],
      ['NOT_FOUND', 'storeCode "B-ONLY" is not one of your stores'],
      ['NOT_FOUND', 'input.sku "NOPE" is not one of your products'],
      ['BAD_USER_INPUT', 'give exactly one of input.productId and input.sku'],
    ]);
    expect(await counts()).toEqual(before);
  });

  it('refuses ids and codes together, too many codes, and unknown codes, naming them', async () => {
    const alerts = `query($s: [UUID!], $sc: [String!]) {
      alerts(storeIds: $s, storeCodes: $sc) { edges { node { id } } } }`;
    const both = await ask(alerts, { s: [S1], sc: ['S1'] });
    expect(both.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'storeCodes',
    });
    expect(both.errors?.[0]?.message).toBe('give storeIds or storeCodes, not both');
    const many = await ask(alerts, { sc: Array.from({ length: 1001 }, (_, n) => `C${n}`) });
    expect(many.errors?.[0]?.message).toBe('storeCodes may list at most 1000 entries');
    const unknown = await ask(
      `query($pc: [String!]) { latestInventory(skus: $pc) { edges { node { onHand } } } }`,
      { pc: ['SKU-1', 'GONE'] },
    );
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'skus' });
    expect(unknown.errors?.[0]?.message).toBe('skus "GONE" is not one of your products');
  });

  it('a store-scoped token cannot tell a store outside its scope from an unknown code', async () => {
    const scoped = await gw.token(a.customerId, 'analyst', [S1]);
    const query = `query($sc: [String!]) { alerts(storeCodes: $sc) { edges { node { id } } } }`;
    const own = await ask(query, { sc: ['S1'] }, scoped);
    expect(own.errors).toBeUndefined();
    const outside = await ask(query, { sc: ['S2'] }, scoped);
    const unknown = await ask(query, { sc: ['S2X'] }, scoped);
    const strip = (r: GraphQLResponse) => JSON.stringify(r.errors).replace(/S2X?/g, 'CODE');
    expect(outside.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(strip(outside)).toBe(strip(unknown));
    const single = `query($r: TimeRange!, $sc: String) {
      inventoryHistory(storeCode: $sc, sku: "SKU-1", range: $r, granularity: DAY) { onHand } }`;
    const singleOutside = await ask(single, { sc: 'S2' }, scoped);
    const singleUnknown = await ask(single, { sc: 'S2X' }, scoped);
    expect(singleOutside.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(strip(singleOutside)).toBe(strip(singleUnknown));
    const store = await ask(`{ store(code: "S2") { id } }`, {}, scoped);
    expect(store.data).toEqual({ store: null });
  });
});
