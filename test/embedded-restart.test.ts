import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TENANTS, seedDatabase, type SeedOptions } from '../src/seed/index.js';
import { startGatewayProcess, type GatewayProcess } from './support/foundation-process.js';
import { filledEmbeddedCopy } from './support/templates.js';

const DAY = 86_400_000;
const [northwind] = DEMO_TENANTS;

/**
 * The first demo tenant's data set, cut down: every kind of row the demo has, over the demo's
 * 120 days, in a minute fraction of the time its 240 store/product pairs take to load (the
 * demo's own loading is start.test.ts's). With a tenant there, the gateway loads no demo.
 */
const DATA_SET: SeedOptions = {
  tenants: 1,
  storesPerTenant: 2,
  productsPerTenant: 6,
  days: 120,
  seed: 42,
};

/** Every query of the API in one document, over the data set's last 90 days. */
const EVERY_QUERY = `
query Everything($store: UUID!, $product: UUID!, $range: TimeRange!) {
  viewer { customerId role }
  stores(first: 3) { edges { node { id code name region timeZone } } }
  products(first: 3) { edges { node { id sku name category unitPrice } } }
  store(id: $store) { code openAlerts { id } }
  product(id: $product) { sku }
  month: salesTrend(range: $range, granularity: MONTH) { bucket units revenue transactions }
  byStore: salesTrend(range: $range, granularity: DAY, groupBy: [STORE], timeZone: "Europe/Berlin") {
    bucket store { id } units revenue transactions
  }
  dailySales(range: $range, first: 50) { edges { node { day store { id } product { id } units revenue } } }
  topProducts(range: $range, limit: 5) { product { id } units revenue }
  salesVelocity(first: 20) { edges { node { store { id } product { id } unitsPerDay revenuePerDay } } }
  latestInventory(first: 20) {
    edges { node { store { id } product { id } observedAt onHand allocated available reorderPoint daysOfCover } }
  }
  pair: latestInventory(storeIds: [$store], productIds: [$product], first: 1) {
    edges { node { onHand allocated reorderPoint } }
  }
  inventoryHistory(storeId: $store, productId: $product, range: $range, granularity: WEEK) {
    bucket available maxAvailable
  }
  alerts(first: 20) { edges { node { id status occurrences message } } }
  anomalies(range: $range, first: 20) { edges { node { id kind metadata } } }
  forecasts(storeId: $store, productId: $product, range: $range) { periodStart modelVersion }
}`;

async function graphql(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data ?? {};
}

describe(
  'the embedded database across restarts (SIGTERM, then kill -9)',
  { timeout: 300_000 },
  () => {
    let dataDir: string;
    let removeDataDir: (() => Promise<void>) | undefined;
    let gateway: GatewayProcess | null = null;
    const today = Math.floor(Date.now() / DAY) * DAY;
    const range = {
      from: new Date(today - 89 * DAY).toISOString(),
      to: new Date(today + DAY).toISOString(),
    };
    let variables: { store: string; product: string; range: typeof range };
    let tokens: { analyst: string; admin: string };
    let before: Record<string, unknown>;

    const start = async () => {
      gateway = await startGatewayProcess(
        { EMBEDDED_DATA_DIR: dataDir, COMPRESS_AFTER: '30 days' },
        240_000,
      );
      return gateway;
    };
    const everything = (g: GatewayProcess) =>
      graphql(g.url, tokens.analyst, EVERY_QUERY, variables);

    beforeAll(async () => {
      const copy = await filledEmbeddedCopy((owner) => seedDatabase(owner, 'timescale', DATA_SET));
      dataDir = copy.dataDir;
      removeDataDir = copy.remove;
    });
    afterAll(async () => {
      await gateway?.stop();
      await removeDataDir?.();
    });

    it('answers every query the same after a SIGTERM and a new start', async () => {
      const first = await start();
      const printed = first.tokens.get(northwind?.customerId ?? '');
      tokens = { analyst: printed?.analyst ?? '', admin: printed?.admin ?? '' };
      const ids = (await graphql(
        first.url,
        tokens.analyst,
        '{ stores(first: 1) { edges { node { id } } } products(first: 1) { edges { node { id } } } }',
      )) as {
        stores: { edges: { node: { id: string } }[] };
        products: { edges: { node: { id: string } }[] };
      };
      variables = {
        store: ids.stores.edges[0]?.node.id ?? '',
        product: ids.products.edges[0]?.node.id ?? '',
        range,
      };
      before = await everything(first);
      expect((before.month as unknown[]).length).toBeGreaterThan(2);
      expect(await first.stop()).toBe(0);

      const second = await start();
      expect(second.output()).not.toContain('loading the demo data set');
      expect(await everything(second)).toEqual(before);
    });

    it('serves every mutation after the restart, and keeps all of it through kill -9', async () => {
      const live = gateway;
      if (!live) throw new Error('the gateway of the previous test is expected to run');
      const { store, product } = variables;
      const write = (query: string, vars: Record<string, unknown> = {}) =>
        graphql(live.url, tokens.admin, query, vars);
      // A sale now and one back-dated by 40 days (into the archived weeks).
      const sales = await write(
        `mutation($sales: [SaleInput!]!) { recordSales(sales: $sales) { accepted duplicates } }`,
        {
          sales: [0, 40].map((daysAgo) => ({
            transactionId: randomUUID(),
            time: new Date(Date.now() - daysAgo * DAY - 60_000).toISOString(),
            storeId: store,
            productId: product,
            quantity: 7,
            unitPrice: '3.10',
          })),
        },
      );
      expect(sales).toEqual({ recordSales: { accepted: 2, duplicates: 0 } });
      const inventory = await write(
        `mutation($s: [InventorySnapshotInput!]!) { recordInventory(snapshots: $s) { accepted } }`,
        {
          s: [
            {
              storeId: store,
              productId: product,
              time: new Date().toISOString(),
              onHand: 77,
              allocated: 7,
            },
          ],
        },
      );
      expect(inventory).toEqual({ recordInventory: { accepted: 1 } });
      await write(
        `mutation($s: UUID!, $p: UUID!) { setReorderPoint(storeId: $s, productId: $p, reorderPoint: 90, reorderQuantity: 40) { id } }`,
        { s: store, p: product },
      );
      const raised = (await write(
        `mutation($s: UUID!, $p: UUID!) { raiseAlert(input: { storeId: $s, productId: $p, type: OVERSTOCK, severity: INFO, message: "after restart" }) { alert { id } } }`,
        { s: store, p: product },
      )) as { raiseAlert: { alert: { id: string } } };
      const alertId = raised.raiseAlert.alert.id;
      await write(`mutation($id: UUID!) { acknowledgeAlert(id: $id) { status } }`, { id: alertId });
      await write(`mutation($id: UUID!) { resolveAlert(id: $id, note: "done") { status } }`, {
        id: alertId,
      });

      const after = await everything(live);
      const units = (answer: Record<string, unknown>) =>
        (answer.month as { units: number }[]).reduce((sum, b) => sum + Number(b.units), 0);
      expect(units(after) - units(before)).toBe(14);
      expect(after.alerts).not.toEqual(before.alerts);
      expect(after.pair).toEqual({
        edges: [{ node: { onHand: 77, allocated: 7, reorderPoint: 90 } }],
      });

      await live.kill();
      gateway = null;
      const restarted = await start();
      expect(await everything(restarted)).toEqual(after);
    });

    it('reseeds the reopened data directory with `npm run seed -- --reset`', async () => {
      expect(await gateway?.stop()).toBe(0);
      gateway = null;
      const args = [
        '--reset',
        '--tenants',
        '1',
        '--stores',
        '2',
        '--products',
        '5',
        '--days',
        '10',
      ];
      const seed = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/seed.ts', ...args], {
        env: { ...process.env, EMBEDDED_DATA_DIR: dataDir },
        encoding: 'utf8',
      });
      expect(seed.stderr).not.toMatch(/error|license|permission denied/i);
      expect(seed.status).toBe(0);
      expect(seed.stdout).toMatch(/Loaded \d+ transactions/);
    });
  },
);
