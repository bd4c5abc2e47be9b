import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { insertTenant, uuid, type TenantFixture } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { generateAlerts, insertAlerts, newestFirst } from './support/inventory-alerts.js';
import {
  DAY_MS,
  expectedPositions,
  HOUR_MS,
  insertReorderPoints,
  insertSales,
  insertSnapshots,
  randInt,
  rng,
  todayStartMs,
  type ReorderPointFixture,
  type Sale,
  type Snapshot,
} from './support/inventory-fixtures.js';

const STORES = 100;
const PRODUCTS = 20;

const tenant: TenantFixture = {
  customerId: uuid(0xc, 0),
  name: 'Tenant C',
  stores: Array.from({ length: STORES }, (_x, i) => ({
    id: uuid(3, i + 1),
    code: `C${String(i + 1).padStart(3, '0')}`,
    name: `Store ${i + 1}`,
  })),
  products: Array.from({ length: PRODUCTS }, (_x, i) => ({
    id: uuid(4, i + 1),
    sku: `C-SKU-${String(i + 1).padStart(3, '0')}`,
    name: `Product ${i + 1}`,
    category: 'Grocery',
    unitPrice: '1.00',
  })),
};

function generate() {
  const random = rng(42);
  const today = todayStartMs();
  const snapshots: Snapshot[] = [];
  const sales: Sale[] = [];
  const reorderPoints: ReorderPointFixture[] = [];
  for (const store of tenant.stores) {
    for (const product of tenant.products) {
      if (random() < 0.5) continue;
      const pair = { customerId: tenant.customerId, storeId: store.id, productId: product.id };
      for (const hoursAgo of [randInt(random, 30, 60), randInt(random, 0, 29)]) {
        const onHand = randInt(random, 0, 80);
        snapshots.push({
          ...pair,
          time: new Date(today - hoursAgo * HOUR_MS),
          onHand,
          allocated: randInt(random, 0, Math.min(5, onHand)),
        });
      }
      if (random() < 0.6) {
        sales.push({
          ...pair,
          time: new Date(today - randInt(random, 0, 6) * DAY_MS),
          quantity: randInt(random, 1, 9),
        });
      }
      if (random() < 0.5) {
        reorderPoints.push({
          ...pair,
          reorderPoint: randInt(random, 0, 60),
          reorderQuantity: 10,
          validFrom: new Date(today - DAY_MS),
          validTo: null,
        });
      }
    }
  }
  return { snapshots, sales, reorderPoints };
}

const STORE_PAGE = `query($n: Int!) { stores(first: $n) { edges { node { id code
  inventory(first: 3) { available daysOfCover reorderPoint store { code } product { id sku } }
  openAlerts(first: 5) { id severity store { code } product { sku } } } } } }`;
const PRODUCT_PAGE = `query($n: Int!) { products(first: $n) { edges { node { id sku
  inventory { available daysOfCover store { id code } product { sku } }
  reorderPoints { reorderPoint store { code } product { sku } } } } } }`;
const LATEST_PAGE = `query($n: Int!) { latestInventory(first: $n) { edges { node {
  onHand daysOfCover unitsPerDay store { code } product { sku } } } } }`;
const ALERT_PAGE = `query($n: Int!) { alerts(first: $n) { edges { node {
  id store { code } product { sku } } } } }`;

describe.each(BACKENDS)('batched nested fields on %s', (kind) => {
  let gw: TestGateway;
  const data = generate();
  const alerts = generateAlerts(tenant, 5, 0xcc);

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, tenant);
    await insertSnapshots(gw.owner, data.snapshots);
    await insertSales(gw.owner, data.sales);
    await insertReorderPoints(gw.owner, data.reorderPoints);
    await insertAlerts(gw.owner, alerts);
  });
  afterAll(() => gw?.close());

  async function statementsFor(query: string, sizes: number[]) {
    const token = await gw.token(tenant.customerId);
    const counts: number[] = [];
    for (const n of sizes) {
      const res = await gw.graphql(query, { n }, token);
      expect(res.errors).toBeUndefined();
      counts.push(Number(res.extensions?.sqlStatements));
    }
    return counts;
  }

  it('runs as many statements for 100 stores with inventory and open alerts as for 1', async () => {
    const counts = await statementsFor(STORE_PAGE, [1, 10, 100]);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[0]).toBeLessThanOrEqual(8);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
  });

  // Five products bring about 500 positions: one velocity batch (a DataLoader batch holds at
  // most 1000 keys; each further 1000 positions cost one more statement).
  it('runs as many statements for 5 products with inventory and reorder points as for 1', async () => {
    const counts = await statementsFor(PRODUCT_PAGE, [1, 3, 5]);
    expect(counts[0]).toBeLessThanOrEqual(8);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
    const res = await gw.graphql<{
      products: {
        edges: {
          node: {
            id: string;
            inventory: { available: number; daysOfCover: number | null; store: { id: string } }[];
            reorderPoints: { reorderPoint: number }[];
          };
        }[];
      };
    }>(PRODUCT_PAGE, { n: 5 }, await gw.token(tenant.customerId));
    const positions = expectedPositions(
      tenant.customerId,
      data.snapshots,
      data.reorderPoints,
      data.sales,
    );
    for (const { node } of res.data?.products.edges ?? []) {
      const expected = positions.filter((p) => p.productId === node.id);
      expect(expected.length).toBeGreaterThan(0);
      expect(node.inventory.map((p) => [p.store.id, p.available, p.daysOfCover])).toEqual(
        expected.map((p) => [p.storeId, p.available, p.daysOfCover]),
      );
      expect(node.reorderPoints.map((r) => r.reorderPoint)).toEqual(
        expected.filter((p) => p.reorderPoint !== null).map((p) => p.reorderPoint),
      );
    }
  });

  it('runs a constant number of statements for latestInventory and alerts pages', async () => {
    for (const query of [LATEST_PAGE, ALERT_PAGE]) {
      const counts = await statementsFor(query, [1, 10, 100, 500]);
      expect(counts[0]).toBeLessThanOrEqual(4);
      expect(counts).toEqual([counts[0], counts[0], counts[0], counts[0]]);
    }
  });

  it('answers the batched page with the right rows for every store', async () => {
    const res = await gw.graphql<{
      stores: {
        edges: {
          node: {
            id: string;
            code: string;
            inventory: {
              available: number;
              daysOfCover: number | null;
              reorderPoint: number | null;
              store: { code: string };
              product: { id: string };
            }[];
            openAlerts: { id: string; store: { code: string } }[];
          };
        }[];
      };
    }>(STORE_PAGE, { n: 100 }, await gw.token(tenant.customerId));
    const positions = expectedPositions(
      tenant.customerId,
      data.snapshots,
      data.reorderPoints,
      data.sales,
    );
    const edges = res.data?.stores.edges ?? [];
    expect(edges).toHaveLength(STORES);
    for (const { node } of edges) {
      expect(node.inventory).toEqual(
        positions
          .filter((p) => p.storeId === node.id)
          .slice(0, 3)
          .map((p) => ({
            available: p.available,
            daysOfCover: p.daysOfCover,
            reorderPoint: p.reorderPoint,
            store: { code: node.code },
            product: { id: p.productId, sku: expect.any(String) },
          })),
      );
      expect(node.openAlerts.map((x) => x.id)).toEqual(
        newestFirst(alerts.filter((x) => x.storeId === node.id && x.status !== 'RESOLVED'))
          .slice(0, 5)
          .map((x) => x.id),
      );
      expect(node.openAlerts.every((x) => x.store.code === node.code)).toBe(true);
    }
  });
});
