import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CITUS_SERVER_URL } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { generateSales, insertSales, insertTenants, salesTenant } from './support/sales-data.js';

// What only the Citus cluster shows: the tenant context reaching the workers, statements
// routed to one shard, the rollups kept exact on the shards. The suites that pass there with
// the same answers as plain PostgreSQL run on it too (WITH_CLUSTER).

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
      if (name && name !== 'setRequestContext') sent.push({ name, text, values: values ?? [] });
      return query(...args);
    };
  });
  return sent;
}

describe.skipIf(!CITUS_SERVER_URL)('Citus cluster (CITUS_URL)', () => {
  let gw: TestGateway;
  let sent: Sent[];
  const a = salesTenant(0xc1, 'Routed A', 3);
  const b = salesTenant(0xc2, 'Routed B', 2);
  const periods = [{ from: '2026-02-01T00:00:00Z', days: 20 }];

  /** Runs `work` on one connection as the gateway would, for tenant `customerId`. */
  async function asTenant<T>(customerId: string, work: (client: pg.PoolClient) => Promise<T>) {
    const client = await gw.owner.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT app.set_request_context($1, 'admin', '*', 30000)`, [customerId]);
      return await work(client);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  beforeAll(async () => {
    gw = await startTestGateway('citus');
    sent = recordStatements(gw);
    await insertTenants(gw.owner, [a, b]);
    await insertSales(gw.owner, generateSales(a, 1, periods, 3, 6));
    await insertSales(gw.owner, generateSales(b, 2, periods, 2, 6));
  });
  afterAll(() => gw?.close());

  it('runs the citus variant, distributed by tenant', async () => {
    expect(gw.database.backend).toBe('citus');
    const { rows } = await gw.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_dist_partition WHERE logicalrelid = 'transactions'::regclass`,
    );
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('sets the tenant context on every worker; an empty tenant sees nothing, without an error', async () => {
    const count = (customerId: string) =>
      asTenant(customerId, async (client) => {
        const { rows } = await client.query<{ stores: number; lines: number; foreign: number }>(
          `SELECT (SELECT count(*)::int FROM stores) AS stores,
                  (SELECT count(*)::int FROM sale_lines) AS lines,
                  (SELECT count(*)::int FROM sale_lines WHERE customer_id <> $1::uuid) AS foreign`,
          [a.customerId],
        );
        return rows[0];
      });
    const seen = await count(a.customerId);
    expect(seen?.stores).toBe(a.stores.length);
    expect(seen?.lines).toBeGreaterThan(0);
    expect(seen?.foreign).toBe(0);
    expect(await count('')).toEqual({ stores: 0, lines: 0, foreign: 0 });
    expect(await count('not-a-uuid')).toEqual({ stores: 0, lines: 0, foreign: 0 });
  });

  it('keeps the rollup tables exact on the shards through inserts, updates and deletes', async () => {
    const totals = async () => {
      const { rows } = await gw.owner.query<{ raw: string; daily: string; store: string }>(
        `SELECT (SELECT md5(string_agg(format('%s|%s|%s|%s|%s', customer_id, store_id, d, u, r), ',' ORDER BY customer_id, store_id, d))
                 FROM (SELECT customer_id, store_id, date_trunc('day', time AT TIME ZONE 'UTC') AS d,
                              sum(quantity) AS u, sum(revenue) AS r
                       FROM transactions GROUP BY 1, 2, 3) t) AS raw,
                (SELECT md5(string_agg(format('%s|%s|%s|%s|%s', customer_id, store_id, bucket AT TIME ZONE 'UTC', units, revenue), ',' ORDER BY customer_id, store_id, bucket))
                 FROM rollup.store_sales_daily) AS store`,
      );
      return rows[0];
    };
    const before = await totals();
    expect(before?.store).toBe(before?.raw);
    await gw.owner.query(
      `UPDATE transactions SET quantity = quantity + 1, revenue = revenue + unit_price
       WHERE customer_id = $1 AND time < '2026-02-05'`,
      [a.customerId],
    );
    await gw.owner.query(
      `DELETE FROM transactions WHERE customer_id = $1 AND time > '2026-02-18'`,
      [b.customerId],
    );
    const after = await totals();
    expect(after?.store).toBe(after?.raw);
    expect(after?.raw).not.toBe(before?.raw);
  });

  it('routes each statement the API sends for these queries and recordSales to one shard', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const ask = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await gw.graphql(query, variables, admin);
      expect(res.errors, query).toBeUndefined();
    };
    sent.length = 0;
    await ask(`{ salesTrend(range: { from: "2026-02-01T00:00:00Z", to: "2026-02-21T00:00:00Z" },
                 granularity: DAY) { bucket units revenue } }`);
    await ask(`{ salesTrend(range: { from: "2026-02-01T00:00:00Z", to: "2026-02-21T00:00:00Z" },
                 granularity: DAY, groupBy: [STORE], fillGaps: true) { bucket store { id } units } }`);
    await ask(`{ stores(first: 10) { edges { node { id code } } } }`);
    await ask(`{ products(first: 10) { edges { node { id sku } } } }`);
    await ask(`{ products(first: 5) { edges { node { id
                 sales(range: { from: "2026-02-01T00:00:00Z", to: "2026-02-21T00:00:00Z" }) { units }
                 reorderPoints { reorderPoint } } } } }`);
    await ask(`{ stores(first: 5) { edges { node { id openAlerts { id } } } } }`);
    await ask(`mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`, {
      s: [
        {
          transactionId: uuid(0xc1a, 1),
          time: '2026-02-10T10:00:00Z',
          storeId: a.stores[0]?.id,
          productId: a.products[0]?.id,
          quantity: 2,
          unitPrice: '3.50',
        },
      ],
    });
    const routed = [
      'salesTrend',
      'trendCatalogCounts',
      'listStores',
      'listProducts',
      'productSalesSummary',
      'currentReorderPointsByProduct',
      'openAlertsByStore',
      'insertSales',
    ];
    const statements = sent.filter((s) => routed.includes(s.name));
    expect(new Set(statements.map((s) => s.name))).toEqual(new Set(routed));
    for (const statement of statements) {
      const plan = await asTenant(a.customerId, async (client) => {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN ${statement.text}`,
          statement.values,
        );
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      const tasks = [...plan.matchAll(/Task Count: (\d+)/g)].map((m) => Number(m[1]));
      expect(tasks.length, `${statement.name}\n${plan}`).toBeGreaterThan(0);
      expect(tasks, `${statement.name}\n${plan}`).toEqual(tasks.map(() => 1));
    }
  });
});
