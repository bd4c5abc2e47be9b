import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEADLINE_MARGIN_MS } from '../src/db/request-db.js';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { waitFor } from './support/lifecycle.js';
import { startPrivateCluster, type PrivateCluster } from './support/private-cluster.js';

const STORES = '{ stores(first: 10) { edges { node { code } } } }';
const UPSERT = `mutation { upsertStores(stores: [{ code: "FROZEN-1", name: "Frozen", region: "North",
  timeZone: "UTC" }]) { created } }`;
const STATEMENT_TIMEOUT_MS = 1000;
const POOL_WAIT_MS = 1000;
// The longest a request may wait on a frozen server: a connection's wait, then one round trip's
// deadline, plus a little for the gateway itself.
const DEADLINE_MS = POOL_WAIT_MS + STATEMENT_TIMEOUT_MS + DEADLINE_MARGIN_MS + 500;

describe('a frozen PostgreSQL server (SIGSTOP to all its processes)', () => {
  let cluster: PrivateCluster;
  let gw: TestGateway;
  let token: string;
  const [tenant] = twinTenants();

  const request = async (query = STORES, bearer = token) => {
    const started = performance.now();
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query }),
      // Without deadlines the request waits for the server as long as it stays frozen.
      signal: AbortSignal.timeout(DEADLINE_MS * 3),
    });
    const body = (await response.json()) as {
      data?: { stores?: { edges: unknown[] } } | null;
      errors?: { extensions?: { code?: string } }[];
    };
    return {
      ms: performance.now() - started,
      status: response.status,
      code: body.errors?.[0]?.extensions?.code ?? null,
      stores: body.data?.stores?.edges.length ?? null,
    };
  };

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    gw = await startTestGateway('postgres', {
      DATABASE_URL: cluster.url,
      DB_POOL_MAX: '2',
      DB_POOL_WAIT_MS: String(POOL_WAIT_MS),
      STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      READY_TIMEOUT_MS: '1000',
    });
    await insertTenant(gw.owner, tenant);
    token = await gw.token(tenant.customerId);
  });
  afterAll(async () => {
    await gw?.close();
    await cluster?.destroy();
  });

  it('answers 503 DATABASE_UNAVAILABLE within the deadline, and the pool serves again once it continues', async () => {
    // Both pooled connections open and idle, as in a gateway that has been serving.
    const warm = await Promise.all([request(), request()]);
    expect(warm.map((r) => r.stores)).toEqual([tenant.stores.length, tenant.stores.length]);

    const admin = await gw.token(tenant.customerId, 'admin');
    await cluster.freeze();
    let frozen;
    try {
      // More requests than connections: some wait for a connection, some hold one; a write
      // among them.
      frozen = await Promise.all([request(), request(UPSERT, admin), request(), request()]);
    } finally {
      await cluster.thaw();
    }
    for (const outcome of frozen) {
      expect(outcome).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(outcome.ms).toBeLessThan(DEADLINE_MS);
    }

    await waitFor(async () => (await request()).status === 200, 15_000);
    const after = await Promise.all([request(), request(), request(), request()]);
    expect(after.map((r) => [r.status, r.stores])).toEqual(
      after.map(() => [200, tenant.stores.length]),
    );
    // The write answered 503 was not committed when the server went on: its connection was
    // dropped before any COMMIT.
    const { rows } = await gw.owner.query(`SELECT 1 FROM stores WHERE code = 'FROZEN-1'`);
    expect(rows).toEqual([]);
  });
});
