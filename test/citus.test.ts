import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyTrend, dashboardClient } from '../examples/dashboard.js';
import { mintToken } from '../src/auth/tokens.js';
import { NO_TENANT, OPERATOR } from '../src/auth/viewer.js';
import { schema } from '../src/schema.js';
import {
  fixtureWindow,
  insertSeries,
  operationFor,
  rootFields,
  type ArgumentValues,
} from './support/access-isolation.js';
import { CITUS_SERVER_URL } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';
import {
  recordStatements,
  routingOf,
  shardGroupsOf,
  variablesFor,
  type SentStatement,
} from './support/routing.js';
import { generateSales, insertSales, insertTenants, salesTenant } from './support/sales-data.js';

// What only the Citus cluster shows: the tenant context reaching the workers, statements
// routed to one shard, the rollups kept exact on the shards. The suites that pass there with
// the same answers as plain PostgreSQL run on it too (WITH_CLUSTER).

/**
 * Statements that need not run on one shard, each with its reason: they touch no distributed
 * table, or they are the operator's counts over every tenant.
 */
const EXEMPT: Record<string, string> = {
  operatorContext: 'the operator’s own settings: no table',
  operatorAbout: 'server facts from the catalog: no table',
  activeStatements: 'the coordinator’s pg_stat_activity: no table',
  unusedIndexes: 'index statistics from the catalog: no table',
  relationSizes: 'relation sizes from the catalog: no table',
  rollupLag: 'the operator’s counts over every tenant (no row): every shard by design',
  tenantUsage: 'the operator’s counts per tenant (no row): every shard by design',
  notifyAlertRaised: 'pg_notify to the coordinator’s listeners: no table',
};

/** Statements the documents below must have sent, from every store of the API. */
const COVERED = [
  ...['salesTrend', 'trendCatalogCounts', 'salesRanking', 'productSalesSummary', 'dailySales'],
  ...['salesVelocity', 'velocityForPairs', 'insertSalesWithinRetention', 'saleKeyConflicts'],
  ...['productClasses', 'receiptSummary', 'boughtTogether', 'receiptSizes', 'requestFacts'],
  ...['listStores', 'listProducts', 'listCategories', 'storesById', 'productsById'],
  ...['storeIdsByCode', 'productIdsBySku', 'upsertStores', 'storeIdsByCodes', 'upsertProducts'],
  ...['productIdsBySkus', 'listAnomalies', 'listForecasts', 'viewerCustomer', 'sellThrough'],
  ...['linesOlderThanRetention', 'setTenantRetention', 'setTenantCalendar', 'issueTokenStores'],
  ...['latestInventory', 'inventoryByStore', 'inventoryByProduct', 'inventoryHistory'],
  ...['currentReorderPointsByProduct', 'listAlerts', 'openAlertsByStore', 'raiseAlert'],
];

describe.skipIf(!CITUS_SERVER_URL)('Citus cluster (CITUS_URL)', () => {
  let gw: TestGateway;
  let sent: SentStatement[];
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
    sent = recordStatements(gw.database.pool);
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

  it('routes every statement the API sends to one shard', async () => {
    const [twinA, twinB] = twinTenants();
    for (const tenant of [twinA, twinB]) {
      await insertTenant(gw.owner, tenant);
      const storeIds = tenant.stores.map((s) => s.id);
      await insertSeries(gw.owner, { tenant, storeIds, factor: 1, idGroup: 1 });
    }
    const window = fixtureWindow();
    const values = (filters: boolean): ArgumentValues => ({
      storeIds: [uuid(1, 1), uuid(1, 2)],
      productIds: [uuid(2, 1), uuid(2, 2)],
      alertIds: [uuid(0x9001, 0)],
      anomalyIds: [uuid(0xa001, 0)],
      category: 'Dairy',
      region: 'North',
      search: 'Product',
      metadataKey: 'source',
      range: { from: window.from.toISOString(), to: window.to.toISOString() },
      cursors: {},
      filters,
    });
    const admin = await gw.token(twinA.customerId, 'admin');
    const scoped = await gw.token(twinA.customerId, 'analyst', [uuid(1, 1)]);
    sent.length = 0;
    let answered = 0;
    const run = async (document: string, variables: Record<string, unknown>, token: string) => {
      const res = await gw.graphql(document, variables, token);
      expect(res.status, document).toBeLessThan(500);
      if (res.data && !res.errors) answered += 1;
    };
    // Every query and mutation of the schema, with every nested field, generated from it.
    for (const field of rootFields(schema, 'query')) {
      for (const filters of [true, false]) {
        const document = operationFor(schema, 'query', field, values(filters)) ?? '';
        for (const token of [admin, scoped]) await run(document, {}, token);
      }
    }
    for (const field of rootFields(schema, 'mutation')) {
      await run(operationFor(schema, 'mutation', field, values(true)) ?? '', {}, admin);
    }
    // Every persisted document of the manifest, and the example dashboard.
    const manifest = JSON.parse(
      await readFile('persisted/trusted-documents.json', 'utf8'),
    ) as Record<string, string>;
    // (A subscription is an event stream: the alert suites cover it.)
    for (const document of Object.values(manifest).filter((d) => !/\bsubscription\b/.test(d))) {
      await run(document, variablesFor(schema, document, values(true)), admin);
    }
    expect(await dailyTrend(dashboardClient(gw.url, scoped), window.from, window.to)).not.toEqual(
      [],
    );
    // What the generated arguments do not reach: codes, writes that need valid input, loaders.
    const range = `{ from: "${window.from.toISOString()}", to: "${window.to.toISOString()}" }`;
    for (const document of [
      `{ salesTrend(range: ${range}, granularity: DAY, storeCodes: ["S1", "S2"], groupBy: [STORE],
           fillGaps: true) { bucket units } }`,
      `{ latestInventory(first: 5) { edges { node { daysOfCover } } } }`,
      `mutation { upsertStores(stores: [{ code: "S1", name: "Store 1", region: "North", timeZone: "UTC" },
           { code: "S7", name: "Store 7", region: "East", timeZone: "Europe/Berlin" }]) { __typename } }`,
      `mutation { setRetention(retention: "30 years") { __typename } }`,
      `mutation { issueToken(role: ANALYST, stores: ["${uuid(1, 1)}"]) { __typename } }`,
    ]) {
      await run(document, {}, admin);
    }
    // The operator's report: counts of every tenant, by design on every shard (EXEMPT).
    const operator = await mintToken({
      secret: TEST_SECRET,
      issuer: gw.config.jwt.issuer,
      audience: gw.config.jwt.audience,
      customerId: NO_TENANT,
      role: OPERATOR,
    });
    await run(operationFor(schema, 'query', 'operatorReport', values(true)) ?? '', {}, operator);
    // Not vacuous: most documents answered without an error.
    expect(answered).toBeGreaterThan(rootFields(schema, 'query').length * 2);

    const distinct = new Map(sent.map((s) => [JSON.stringify([s.text, s.values, s.context]), s]));
    const groups = await shardGroupsOf(gw.owner);
    const failures: string[] = [];
    const seen = new Set<string>();
    for (const statement of distinct.values()) {
      seen.add(statement.name);
      const routing = await routingOf(gw.owner, groups, statement);
      if (statement.name in EXEMPT) continue;
      const { tasks, shardGroups, plan } = routing;
      // One task wherever Citus plans tasks, at most one shard group touched, and a statement
      // that touches no distributed table at all (no task, no shard) exempted with its reason.
      // An INSERT … SELECT of the request's arrays shows no task (Citus computes the rows on
      // the coordinator and writes each to the shard of its key): its run shows the shard.
      if (
        plan.includes('failed:') ||
        tasks.some((n) => n !== 1) ||
        shardGroups.length > 1 ||
        (tasks.length === 0 && shardGroups.length === 0)
      ) {
        failures.push(
          `${statement.name}: tasks ${JSON.stringify(tasks)}, shard groups ${shardGroups.length}\n${statement.text}\n${plan}`,
        );
      }
    }
    expect(failures.join('\n\n')).toBe('');
    // Not vacuous: the statements of every store of the API were among them.
    expect([...seen]).toEqual(expect.arrayContaining(COVERED));
    // Every exemption still names a statement the gateway sends.
    expect(Object.keys(EXEMPT).filter((name) => !seen.has(name))).toEqual([]);
  }, 900_000);
});
