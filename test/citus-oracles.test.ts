import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CITUS_SERVER_URL } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { DAY_MS, HOUR_MS, todayStartMs } from './support/inventory-fixtures.js';

// Inventory and alerts on the Citus cluster: every statement of theirs that the API sends binds
// the tenant and runs on one shard. That they answer exactly as on plain PostgreSQL is what
// their oracle suites check, run on the cluster too (WITH_CLUSTER, CLUSTER).

interface Sent {
  name: string;
  text: string;
  values: unknown[];
}

/** Records every named statement the gateway's connections send (not the request context). */
function recordStatements(gw: TestGateway): Sent[] {
  const sent: Sent[] = [];
  const wrapped = new WeakSet<object>();
  gw.database.pool.on('acquire', (client: pg.PoolClient) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const config = args[0] as string | { text: string; values?: unknown[] };
      const text = typeof config === 'string' ? config : config.text;
      const values = typeof config === 'string' ? (args[1] as unknown[]) : config.values;
      const name = /^\s*\/\* (\w+) \*\//.exec(text)?.[1];
      if (name) sent.push({ name, text, values: values ?? [] });
      return query(...args);
    };
  });
  return sent;
}

// The statements of src/inventory and src/alerts that read or write tenant tables (findAlert,
// which feeds the alertRaised subscription, runs in that suite on the cluster).
const ROUTED = [
  'latestInventory',
  'inventoryByStore',
  'inventoryByProduct',
  'currentReorderPointsByProduct',
  'inventoryHistory',
  'insertInventorySnapshots',
  'closeReorderPoint',
  'openReorderPoint',
  'listAlerts',
  'openAlertsByStore',
  'raiseAlert',
  'lockAlert',
  'acknowledgeAlert',
  'resolveAlert',
];

describe.skipIf(!CITUS_SERVER_URL)('inventory and alerts on the Citus cluster (CITUS_URL)', () => {
  let gw: TestGateway;
  let sent: Sent[];
  const [a, b] = twinTenants();
  const today = todayStartMs();
  const at = (hoursAgo: number) => new Date(today - hoursAgo * HOUR_MS).toISOString();

  beforeAll(async () => {
    gw = await startTestGateway('citus');
    sent = recordStatements(gw);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
  });
  afterAll(() => gw?.close());

  /** EXPLAIN of `statement` under tenant A's context: the task count of each distributed step. */
  async function taskCounts(statement: Sent): Promise<{ tasks: number[]; plan: string }> {
    const client = await gw.owner.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT app.set_request_context($1, 'admin', '*', 30000)`, [a.customerId]);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${statement.text}`,
        statement.values,
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      return { tasks: [...plan.matchAll(/Task Count: (\d+)/g)].map((m) => Number(m[1])), plan };
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  it('routes every inventory and alert statement the API sends to one shard', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const ask = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await gw.graphql<Record<string, unknown>>(query, variables, admin);
      expect(res.errors, query).toBeUndefined();
      return res.data ?? {};
    };
    const [store, product] = [a.stores[0]?.id, a.products[0]?.id];
    sent.length = 0;
    await ask(
      `mutation($s: [InventorySnapshotInput!]!) { recordInventory(snapshots: $s) { accepted } }`,
      {
        s: [48, 24, 2].map((hoursAgo, n) => ({
          storeId: store,
          productId: product,
          time: at(hoursAgo),
          onHand: 40 - 10 * n,
        })),
      },
    );
    await ask(
      `mutation($s: UUID!, $p: UUID!) {
      setReorderPoint(storeId: $s, productId: $p, reorderPoint: 25, reorderQuantity: 10) { id } }`,
      {
        s: store,
        p: product,
      },
    );
    for (const below of [null, true, false]) {
      await ask(
        `query($below: Boolean) { latestInventory(belowReorderPoint: $below, first: 5) {
           edges { node { onHand reorderPoint daysOfCover } } } }`,
        { below },
      );
    }
    await ask(`{ stores(first: 5) { edges { node { inventory { onHand } openAlerts { id } } } } }`);
    await ask(`{ products(first: 5) { edges { node {
      inventory { onHand } reorderPoints { reorderPoint } } } } }`);
    await ask(
      `query($s: UUID!, $p: UUID!, $r: TimeRange!) {
        inventoryHistory(storeId: $s, productId: $p, range: $r, granularity: DAY) { onHand } }`,
      {
        s: store,
        p: product,
        r: { from: new Date(today - 7 * DAY_MS).toISOString(), to: new Date(today).toISOString() },
      },
    );
    const raised = (await ask(
      `mutation($s: UUID!, $p: UUID!) { raiseAlert(input: { storeId: $s, productId: $p,
         type: LOW_STOCK, severity: WARNING, message: "low" }) { alert { id } } }`,
      { s: store, p: product },
    )) as { raiseAlert: { alert: { id: string } } };
    const id = raised.raiseAlert.alert.id;
    await ask(`{ alerts(first: 5) { edges { node { id } } } }`);
    await ask(`mutation($id: UUID!) { acknowledgeAlert(id: $id) { id } }`, { id });
    await ask(`mutation($id: UUID!) { resolveAlert(id: $id, note: "refilled") { id } }`, { id });

    const statements = sent.filter((s) => ROUTED.includes(s.name));
    expect(new Set(statements.map((s) => s.name))).toEqual(new Set(ROUTED));
    for (const statement of statements) {
      const { tasks, plan } = await taskCounts(statement);
      expect(tasks.length, `${statement.name}\n${plan}`).toBeGreaterThan(0);
      expect(tasks, `${statement.name}\n${plan}`).toEqual(tasks.map(() => 1));
    }
  });

  it('keeps each tenant to its own rows: B sees none of what A recorded and raised', async () => {
    const token = await gw.token(b.customerId, 'admin');
    const res = await gw.graphql<{
      latestInventory: { edges: unknown[] };
      alerts: { edges: unknown[] };
    }>(
      `{ latestInventory { edges { node { onHand } } } alerts { edges { node { id } } } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ latestInventory: { edges: [] }, alerts: { edges: [] } });
    // A's own answer is the newest of its snapshots, below the reorder point it set.
    const mine = await gw.graphql<{
      latestInventory: { edges: { node: Record<string, unknown> }[] };
    }>(
      `{ latestInventory(belowReorderPoint: true) { edges { node {
         store { id } product { id } onHand reorderPoint } } } }`,
      {},
      await gw.token(a.customerId, 'admin'),
    );
    expect(mine.data?.latestInventory.edges.map((e) => e.node)).toEqual([
      { store: { id: uuid(1, 1) }, product: { id: uuid(2, 1) }, onHand: 20, reorderPoint: 25 },
    ]);
  });
});
