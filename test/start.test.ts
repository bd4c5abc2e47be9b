import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/tokens.js';
import { createPool } from '../src/db/pool.js';
import { stableUuid } from '../src/seed/random.js';
import { DEMO_SEED_OPTIONS, DEMO_TENANTS, seedDatabase } from '../src/seed/index.js';
import { createScratchDatabase, type ScratchDatabase } from './support/backends.js';
import { startGatewayProcess, type GatewayProcess } from './support/foundation-process.js';

const [northwind, harbor] = DEMO_TENANTS;
const demoStores = (customerId: string) =>
  Array.from({ length: DEMO_SEED_OPTIONS.storesPerTenant }, (_, i) =>
    stableUuid(customerId, 'store', i),
  ).sort();

async function storeIds(url: string, token: string | undefined): Promise<string[]> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? ''}` },
    body: JSON.stringify({ query: '{ stores(first: 100) { edges { node { id } } } }' }),
  });
  const body = (await response.json()) as {
    data?: { stores: { edges: { node: { id: string } }[] } };
    errors?: unknown[];
  };
  expect(body.errors).toBeUndefined();
  return (body.data?.stores.edges.map((e) => e.node.id) ?? []).sort();
}

describe('npm start on the embedded database', { timeout: 240_000 }, () => {
  let dataDir: string;
  let first: GatewayProcess | null = null;
  let second: GatewayProcess | null = null;
  let firstToken: string | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shelfops-start-'));
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('seeds the demo, prints GraphiQL and tokens, and serves each tenant only its stores', async () => {
    if (!northwind || !harbor) throw new Error('two demo tenants expected');
    first = await startGatewayProcess({ EMBEDDED_DATA_DIR: dataDir }, 200_000);
    expect(first.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(first.output()).toContain('demo data loaded');
    const tokens = first.tokens;
    expect([...tokens.keys()].sort()).toEqual([northwind.customerId, harbor.customerId].sort());
    for (const t of tokens.values())
      expect(Object.keys(t).sort()).toEqual(['admin', 'analyst', 'partner']);
    expect(first.output()).toContain(`curl -s ${first.url}/graphql`);

    firstToken = tokens.get(northwind.customerId)?.analyst;
    const northwindStores = await storeIds(first.url, firstToken);
    const harborStores = await storeIds(first.url, tokens.get(harbor.customerId)?.analyst);
    expect(northwindStores).toEqual(demoStores(northwind.customerId));
    expect(harborStores).toEqual(demoStores(harbor.customerId));
    expect(northwindStores.filter((id) => harborStores.includes(id))).toEqual([]);
    expect(await first.stop()).toBe(0);
    first = null;
  });

  it('keeps the data and the token secret across a restart, without seeding again', async () => {
    if (!northwind) throw new Error('demo tenant expected');
    second = await startGatewayProcess({ EMBEDDED_DATA_DIR: dataDir }, 200_000);
    expect(second.output()).not.toContain('loading the demo data set');
    const fresh = second.tokens.get(northwind.customerId)?.analyst;
    expect(await storeIds(second.url, fresh)).toEqual(demoStores(northwind.customerId));
    // A token printed by the previous run still verifies: the secret was kept with the data.
    expect(await storeIds(second.url, firstToken)).toEqual(demoStores(northwind.customerId));
    const ready = await fetch(`${second.url}/ready`);
    expect(await ready.json()).toMatchObject({ ready: true, backend: 'timescale' });
    expect(await second.stop()).toBe(0);
    second = null;
  });
});

describe('npm start with DATABASE_URL', () => {
  const secret = 'start-test-secret-start-test-secret-42';
  let scratch: ScratchDatabase;
  let gateway: GatewayProcess | null = null;
  beforeAll(async () => {
    scratch = await createScratchDatabase();
  });
  afterAll(async () => {
    await gateway?.stop();
    await scratch?.drop();
  });

  it('migrates the server database, loads no demo and serves verified tokens', async () => {
    gateway = await startGatewayProcess({ DATABASE_URL: scratch.url, JWT_SECRET: secret });
    expect(gateway.output()).toContain('No demo tokens are printed here');
    // Run from the TypeScript sources, the banner names the npm script (dist/cli/token.js in the build).
    expect(gateway.output()).toContain('npm run token -- --customer <tenant id> --role analyst');
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      backend: 'native',
      pendingMigrations: [],
    });
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM customers');
    await client.end();
    expect(rows).toEqual([{ n: '0' }]);
    const token = await mintToken({
      secret,
      issuer: 'shelfops-dev',
      audience: 'shelfops-gateway',
      customerId: northwind?.customerId ?? '',
      role: 'analyst',
    });
    // The database has no tenant yet: its tokens are refused.
    const refused = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ stores { edges { node { id } } } }' }),
    });
    expect(refused.status).toBe(401);
    expect(await gateway.stop()).toBe(0);
    gateway = null;
  });

  it('prints no token in production, even for the demo tenants with the secret at hand', async () => {
    const pool = createPool(scratch.url, 2);
    try {
      await seedDatabase(pool, 'native', {
        tenants: 2,
        storesPerTenant: 1,
        productsPerTenant: 2,
        days: 2,
        seed: 1,
      });
    } finally {
      await pool.end();
    }
    for (const NODE_ENV of ['production', 'development']) {
      gateway = await startGatewayProcess({
        DATABASE_URL: scratch.url,
        JWT_SECRET: secret,
        NODE_ENV,
      });
      const output = gateway.output();
      expect(output, NODE_ENV).toContain('No demo tokens are printed here');
      expect(output, NODE_ENV).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
      expect(await gateway.stop()).toBe(0);
      gateway = null;
    }
  });
});
