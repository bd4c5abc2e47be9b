import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const UPSERT_STORES = `mutation($s: [StoreInput!]!) {
  upsertStores(stores: $s) { created updated stores { id code name timeZone } } }`;
const UPSERT_PRODUCTS = `mutation($p: [ProductInput!]!) {
  upsertProducts(products: $p) { created updated products { id sku unitPrice } } }`;

interface StoresPayload {
  upsertStores: {
    created: number;
    updated: number;
    stores: { id: string; code: string; name: string; timeZone: string }[];
  };
}
interface ProductsPayload {
  upsertProducts: {
    created: number;
    updated: number;
    products: { id: string; sku: string; unitPrice: string }[];
  };
}

const store = (n: number, over: Record<string, unknown> = {}) => ({
  code: `UK-${n}`,
  name: `Shop ${n}`,
  region: 'United Kingdom',
  timeZone: 'Europe/London',
  ...over,
});
const product = (n: number, over: Record<string, unknown> = {}) => ({
  sku: `ITEM-${n}`,
  name: `Item ${n}`,
  category: 'Gifts',
  unitPrice: `${n}.50`,
  ...over,
});

describe.each(BACKENDS)('catalog upserts on %s', (kind) => {
  let gw: TestGateway;
  let admin: string;
  const [a, b] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
    admin = await gw.token(a.customerId, 'admin');
  });
  afterAll(() => gw?.close());

  it('creates, then changes nothing on a re-run, then updates by code; rows in input order', async () => {
    const lines = [store(3), store(1), store(2)];
    const first = await gw.graphql<StoresPayload>(UPSERT_STORES, { s: lines }, admin);
    expect(first.errors).toBeUndefined();
    expect(first.data?.upsertStores.created).toBe(3);
    expect(first.data?.upsertStores.stores.map((s) => s.code)).toEqual(['UK-3', 'UK-1', 'UK-2']);
    const again = await gw.graphql<StoresPayload>(UPSERT_STORES, { s: lines }, admin);
    expect(again.data?.upsertStores).toMatchObject({ created: 0, updated: 0 });
    expect(again.data?.upsertStores.stores).toEqual(first.data?.upsertStores.stores);
    const changed = await gw.graphql<StoresPayload>(
      UPSERT_STORES,
      { s: [store(1, { name: 'Flagship' }), store(4)] },
      admin,
    );
    expect(changed.data?.upsertStores).toMatchObject({ created: 1, updated: 1 });
    expect(changed.data?.upsertStores.stores[0]).toEqual({
      ...first.data?.upsertStores.stores[1],
      name: 'Flagship',
    });
    const { rows } = await gw.owner.query<{ n: string }>(
      `SELECT count(*) AS n FROM stores WHERE customer_id = $1 AND code LIKE 'UK-%'`,
      [a.customerId],
    );
    expect(rows[0]?.n).toBe('4');
    const other = await gw.owner.query(
      `SELECT 1 FROM stores WHERE customer_id = $1 AND code LIKE 'UK-%'`,
      [b.customerId],
    );
    expect(other.rows).toEqual([]);
  });

  it('upserts products by SKU, and retiring keeps their sales', async () => {
    const first = await gw.graphql<ProductsPayload>(
      UPSERT_PRODUCTS,
      { p: [product(1), product(2)] },
      admin,
    );
    expect(first.data?.upsertProducts).toMatchObject({ created: 2, updated: 0 });
    const sale = await gw.graphql(
      `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }`,
      {
        s: [
          {
            transactionId: '0000aaaa-0000-4000-8000-000000000001',
            time: new Date(Date.now() - 86_400_000).toISOString(),
            storeCode: a.stores[0]?.code,
            sku: 'ITEM-2',
            quantity: 2,
            unitPrice: '2.50',
          },
        ],
      },
      admin,
    );
    expect(sale.errors).toBeUndefined();
    const retired = await gw.graphql<ProductsPayload>(
      UPSERT_PRODUCTS,
      { p: [product(2, { retired: true, unitPrice: '3.00' })] },
      admin,
    );
    expect(retired.data?.upsertProducts).toMatchObject({ created: 0, updated: 1 });
    expect(retired.data?.upsertProducts.products[0]?.unitPrice).toBe('3.00');
    const { rows } = await gw.owner.query<{ retired: boolean; lines: string }>(
      `SELECT p.retired, (SELECT count(*) FROM transactions t WHERE t.product_id = p.id) AS lines
       FROM products p WHERE p.customer_id = $1 AND p.sku = 'ITEM-2'`,
      [a.customerId],
    );
    expect(rows).toEqual([{ retired: true, lines: '1' }]);
  });

  it('takes store codes and SKUs in inventory snapshots', async () => {
    const time = new Date(Date.now() - 3_600_000).toISOString();
    const res = await gw.graphql(
      `mutation($s: [InventorySnapshotInput!]!) { recordInventory(snapshots: $s) { accepted } }`,
      { s: [{ storeCode: a.stores[1]?.code, sku: 'ITEM-1', time, onHand: 7 }] },
      admin,
    );
    expect(res.errors).toBeUndefined();
    const { rows } = await gw.owner.query<{ store_id: string; sku: string; on_hand: number }>(
      `SELECT i.store_id, p.sku, i.on_hand FROM inventory_levels i
       JOIN products p ON p.customer_id = i.customer_id AND p.id = i.product_id
       WHERE i.customer_id = $1 AND i.time = $2`,
      [a.customerId, time],
    );
    expect(rows).toEqual([{ store_id: a.stores[1]?.id, sku: 'ITEM-1', on_hand: 7 }]);
    const unknown = await gw.graphql(
      `mutation($s: [InventorySnapshotInput!]!) { recordInventory(snapshots: $s) { accepted } }`,
      { s: [{ storeCode: 'NOPE', sku: 'ITEM-1', time, onHand: 7 }] },
      admin,
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(unknown.errors?.[0]?.message).toMatch(
      /snapshots\[0\]\.storeCode "NOPE" is not one of your stores/,
    );
  });

  it('refuses bad lines with their index and stores nothing of the batch', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        UPSERT_STORES,
        { s: [store(10), store(11, { timeZone: 'Mars/Olympus' })] },
        /stores\[1\]\.timeZone "Mars\/Olympus" is not an IANA time zone/,
      ],
      [
        UPSERT_STORES,
        { s: [store(12, { code: 'X'.repeat(41) })] },
        /stores\[0\]\.code must be 1 to 40 characters/,
      ],
      [UPSERT_STORES, { s: [store(13), store(13)] }, /stores\[1\] repeats the key of stores\[0\]/],
      [UPSERT_STORES, { s: [] }, /at least one line/],
      [
        UPSERT_PRODUCTS,
        { p: [product(14, { unitPrice: '-1.00' })] },
        /products\[0\]\.unitPrice must not be negative/,
      ],
      [
        UPSERT_PRODUCTS,
        { p: [product(15, { name: '  ' })] },
        /products\[0\]\.name must be 1 to 200/,
      ],
    ];
    for (const [query, variables, message] of cases) {
      const res = await gw.graphql(query, variables, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    const { rows } = await gw.owner.query(
      `SELECT code FROM stores WHERE code IN ('UK-10', 'UK-13') UNION ALL
       SELECT sku FROM products WHERE sku IN ('ITEM-14', 'ITEM-15')`,
    );
    expect(rows).toEqual([]);
    const sameCode = await gw.graphql<StoresPayload>(
      UPSERT_STORES,
      { s: [store(0, { code: b.stores[0]?.code, name: 'Mine' })] },
      admin,
    );
    expect(sameCode.errors).toBeUndefined();
    const byCode = await gw.owner.query<{ customer_id: string; name: string }>(
      `SELECT customer_id, name FROM stores WHERE code = $1 ORDER BY name`,
      [b.stores[0]?.code],
    );
    expect(byCode.rows).toEqual([
      { customer_id: a.customerId, name: 'Mine' },
      { customer_id: b.customerId, name: b.stores[0]?.name },
    ]);
    const analyst = await gw.graphql(
      UPSERT_STORES,
      { s: [store(16)] },
      await gw.token(a.customerId),
    );
    expect(analyst.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
