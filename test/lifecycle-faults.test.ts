import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { activeStatements, lockTable, waitFor } from './support/lifecycle.js';

const STORES = '{ stores(first: 10) { edges { node { code } } } }';
const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;
const POOL_WAIT_MS = 300;

describe('database faults on a PostgreSQL server, through HTTP', () => {
  let gw: TestGateway;
  let url: string;
  let token: string;
  const [tenant] = twinTenants();

  const stores = (signal?: AbortSignal) =>
    fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: STORES }),
      ...(signal ? { signal } : {}),
    });
  const read = async (response: Response) => ({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as {
      data?: { stores: { edges: unknown[] } } | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  });

  beforeAll(async () => {
    gw = await startTestGateway('postgres', {
      DB_POOL_MAX: '2',
      DB_POOL_WAIT_MS: String(POOL_WAIT_MS),
    });
    url = gw.config.databaseUrl ?? '';
    await insertTenant(gw.owner, tenant);
    token = await gw.token(tenant.customerId, 'admin');
  });
  afterAll(() => gw?.close());

  it('answers a request whose backend is terminated with a masked 503 and serves the next', async () => {
    const lock = await lockTable(url, 'stores');
    const pending = stores();
    try {
      await waitFor(async () => (await activeStatements(url, 'listStores')).length === 1);
      const owner = new pg.Client({ connectionString: url });
      await owner.connect();
      await owner.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND position('listStores' in query) > 0`,
      );
      await owner.end();
      const failed = await read(await pending);
      expect(failed.status).toBe(503);
      expect(failed.retryAfter).toBe('5');
      expect(failed.body.data ?? null).toBeNull();
      expect(failed.body.errors).toEqual([
        expect.objectContaining({
          message: 'The database is unavailable right now; retry in a few seconds.',
          extensions: expect.objectContaining({ code: 'DATABASE_UNAVAILABLE' }),
        }),
      ]);
      expect(JSON.stringify(failed.body)).not.toMatch(/terminat|administrator|postgres/i);
    } finally {
      await lock.release();
    }
    const next = await read(await stores());
    expect(next.status).toBe(200);
    expect(next.body.data?.stores.edges).toHaveLength(tenant.stores.length);
  });

  it('cancels the statement of a client that went away within a second, and rolls back', async () => {
    const lock = await lockTable(url, 'transactions');
    const controller = new AbortController();
    const sale = {
      transactionId: uuid(0xab07, 1),
      time: '2026-06-01T08:00:00Z',
      storeId: tenant.stores[0]?.id,
      productId: tenant.products[0]?.id,
      quantity: 2,
      unitPrice: '1.50',
    };
    const pending = fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: RECORD, variables: { s: [sale] } }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    let cancelMs: number;
    try {
      await waitFor(async () => (await activeStatements(url, 'insertSales')).length === 1);
      controller.abort();
      cancelMs = await waitFor(
        async () => (await activeStatements(url, 'insertSales')).length === 0,
        5000,
      );
      expect(await pending).toBeInstanceOf(Error);
    } finally {
      await lock.release();
    }
    expect(cancelMs).toBeLessThan(1000);
    // The connection is back in the pool without the cancelled transaction, and nothing was kept.
    const stored = await gw.owner.query(`SELECT count(*)::int AS n FROM transactions`);
    expect(stored.rows).toEqual([{ n: 0 }]);
    expect((await read(await stores())).status).toBe(200);
  });

  it('fails fast with a masked 503 when every connection is busy, while /health and /ready answer', async () => {
    const lock = await lockTable(url, 'stores');
    const holding = [stores(), stores()];
    try {
      await waitFor(async () => (await activeStatements(url, 'listStores')).length === 2);
      const started = performance.now();
      const refused = await Promise.all(
        Array.from({ length: 10 }, async () => read(await stores())),
      );
      const refusedMs = performance.now() - started;
      for (const r of refused) {
        expect(r.status).toBe(503);
        expect(r.retryAfter).toBe('1');
        expect(r.body.errors?.[0]).toMatchObject({
          message: 'Every database connection is busy; retry in a moment.',
          extensions: { code: 'DATABASE_UNAVAILABLE' },
        });
      }
      expect(refusedMs).toBeLessThan(POOL_WAIT_MS + 1500);
      const probeStarted = performance.now();
      const [health, ready] = await Promise.all([
        fetch(`${gw.url}/health`),
        fetch(`${gw.url}/ready`),
      ]);
      const probeMs = performance.now() - probeStarted;
      expect(health.status).toBe(200);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ ready: true, pendingMigrations: [] });
      expect(probeMs).toBeLessThan(1000);
    } finally {
      await lock.release();
    }
    for (const held of await Promise.all(holding.map(async (p) => read(await p)))) {
      expect(held.status).toBe(200);
      expect(held.body.data?.stores.edges).toHaveLength(tenant.stores.length);
    }
  });
});
