import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { waitFor } from './support/lifecycle.js';
import { startPrivateCluster, type PrivateCluster } from './support/private-cluster.js';

const STORES = '{ stores(first: 10) { edges { node { code } } } }';

interface Outcome {
  started: number;
  ended: number;
  status: number;
  code: string | null;
  stores: number | null;
}

describe('a PostgreSQL server restart under steady load', () => {
  let cluster: PrivateCluster;
  let gw: TestGateway;
  let token: string;
  const [tenant] = twinTenants();

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    gw = await startTestGateway('postgres', {
      DATABASE_URL: cluster.url,
      DB_POOL_MAX: '4',
      DB_POOL_WAIT_MS: '1000',
      READY_TIMEOUT_MS: '1000',
    });
    await insertTenant(gw.owner, tenant);
    token = await gw.token(tenant.customerId);
  });
  afterAll(async () => {
    await gw?.close();
    await cluster?.destroy();
  });

  const request = async (): Promise<Outcome> => {
    const started = performance.now();
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: STORES }),
    });
    const body = (await response.json()) as {
      data?: { stores: { edges: unknown[] } } | null;
      errors?: { extensions?: { code?: string } }[];
    };
    return {
      started,
      ended: performance.now(),
      status: response.status,
      code: body.errors?.[0]?.extensions?.code ?? null,
      stores: body.data?.stores.edges.length ?? null,
    };
  };
  const ready = async () => (await fetch(`${gw.url}/ready`)).status === 200;

  it('masks the outage, never exits, serves again once the server is back, /ready false then true', async () => {
    const outcomes: Outcome[] = [];
    let loading = true;
    const workers = Array.from({ length: 4 }, async () => {
      while (loading) {
        outcomes.push(await request());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    await waitFor(async () => outcomes.length >= 20, 30_000);
    const stopAt = performance.now();
    await cluster.stop('fast');
    await waitFor(async () => !(await ready()), 5000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await cluster.start();
    const back = performance.now();
    await waitFor(ready, 10_000);
    const serving = await waitFor(async () => (await request()).status === 200, 10_000);
    const servedAgain = outcomes.length;
    await waitFor(async () => outcomes.length >= servedAgain + 20, 30_000);
    loading = false;
    await Promise.all(workers);

    for (const o of outcomes) {
      if (o.status === 200) expect(o.stores).toBe(tenant.stores.length);
      else expect(o).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE', stores: null });
    }
    const before = outcomes.filter((o) => o.ended < stopAt);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((o) => o.status === 200)).toBe(true);
    expect(outcomes.filter((o) => o.status === 503).length).toBeGreaterThan(0);
    const after = outcomes.filter((o) => o.started > back + serving);
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((o) => o.status === 200)).toBe(true);
    expect(serving).toBeLessThan(5000);
    expect(await ready()).toBe(true);
  });
});
