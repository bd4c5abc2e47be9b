import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

describe.each(BACKENDS)('operational endpoints on %s', (kind) => {
  let gw: TestGateway;
  const [a] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
  });
  afterAll(() => gw?.close());

  it('reports the process up on /health without a token', async () => {
    const response = await fetch(`${gw.url}/health`);
    expect(response.status).toBe(200);
  });

  it('reports the database reachable and migrations current on /ready', async () => {
    const response = await fetch(`${gw.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ready: true,
      backend: kind === 'postgres' ? 'native' : 'timescale',
      pendingMigrations: [],
    });
  });

  it('exposes Prometheus metrics that count served operations', async () => {
    const token = await gw.token(a.customerId);
    const answer = await gw.graphql(
      `query StoreCodes { stores { edges { node { code } } } }`,
      {},
      token,
    );
    expect(answer.errors).toBeUndefined();
    const response = await fetch(`${gw.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(
      /shelfops_graphql_operation_duration_seconds_bucket\{[^}]*operation="StoreCodes"/,
    );
  });

  it('serves GraphiQL to a browser without a token', async () => {
    const response = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/GraphiQL|ShelfOps Gateway/);
  });
});
