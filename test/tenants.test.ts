import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantGate } from '../src/auth/tenant-gate.js';
import type { Pool } from '../src/db/pool.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';
import { insertSales } from './support/sales-data.js';
import { runCli } from './support/cli.js';

const VIEWER = '{ viewer { customerId role } }';

interface Failure {
  code: number;
  stdout: string;
  stderr: string;
}

// The operator commands run against the gateway's own database on the PostgreSQL server.
describe('tenant command and token refusal on postgres', () => {
  let gw: TestGateway;
  let env: NodeJS.ProcessEnv;
  const cli = (script: string, args: string[]) => runCli(script, args, { env });
  const failing = (script: string, args: string[]) =>
    cli(script, args).then(
      () => null,
      (error: Failure) => error,
    );

  beforeAll(async () => {
    gw = await startTestGateway('postgres');
    env = {
      ...process.env,
      DATABASE_URL: gw.config.databaseUrl,
      JWT_SECRET: TEST_SECRET,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
    };
  });
  afterAll(() => gw?.close());

  it('creates a tenant whose printed admin token works; lists, renames and disables it', async () => {
    const created = await cli('tenant', ['create', '--name', 'Acme Retail']);
    const [first = '', , token = ''] = created.stdout.trim().split('\n');
    const id = /^tenant ([0-9a-f-]{36}) created: Acme Retail$/.exec(first)?.[1] ?? '';
    expect(id).not.toBe('');
    const me = await gw.graphql(VIEWER, {}, token.trim());
    expect(me.data).toEqual({ viewer: { customerId: id, role: 'ADMIN' } });

    await cli('tenant', ['rename', '--tenant', id, '--name', 'Acme Stores']);
    const listed = await cli('tenant', ['list']);
    expect(listed.stdout).toMatch(
      new RegExp(`^${id}  active    \\S+  2 years     Acme Stores$`, 'm'),
    );

    const other = await cli('tenant', ['create', '--name', 'Soon Disabled']);
    const otherId = /^tenant (\S+) created/.exec(other.stdout)?.[1] ?? '';
    const otherToken = other.stdout.trim().split('\n')[2] ?? '';
    const disabled = await cli('tenant', ['disable', '--tenant', otherId]);
    expect(disabled.stdout).toMatch(/disabled/);
    const refused = await gw.graphql(VIEWER, {}, otherToken);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.message).toBe('the token’s tenant is disabled');

    const missing = await failing('tenant', ['rename', '--tenant', uuid(0x99, 9), '--name', 'X']);
    expect(missing?.code).toBe(1);
    expect(missing?.stderr).toMatch(/no tenant/);
    const bad = await failing('tenant', ['create']);
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toMatch(/--name: 1 to 200 characters/);
  });

  it('sets a tenant’s retention, asking for --yes when stored lines would go and saying how many', async () => {
    const created = await cli('tenant', ['create', '--name', 'Archive', '--retention', '20 Years']);
    expect(created.stdout.trim().split('\n')[3]).toBe('keeps sale lines for 20 years');
    const [tenant] = twinTenants();
    await insertTenant(gw.owner, tenant);
    await insertSales(gw.owner, [
      {
        customerId: tenant.customerId,
        transactionId: uuid(0x7e, 1),
        time: Date.now() - 300 * 86_400_000,
        storeId: tenant.stores[0]?.id ?? '',
        productId: tenant.products[0]?.id ?? '',
        quantity: 2,
        priceCents: 150n,
      },
    ]);
    const set = ['set', '--tenant', tenant.customerId, '--retention'];
    const asked = await failing('tenant', [...set, '6 months']);
    expect(asked?.code).toBe(1);
    expect(asked?.stderr).toMatch(/would delete 1 stored sale lines older than it; add --yes/);
    const listed = await cli('tenant', ['list']);
    expect(listed.stdout).toMatch(new RegExp(`^${tenant.customerId} .* 2 years\\* `, 'm'));
    const done = await cli('tenant', [...set, '6 months', '--yes']);
    expect(done.stdout).toBe(
      `tenant ${tenant.customerId} keeps sale lines for 6 months\n` +
        '1 sale lines older than that go at the next retention run\n',
    );
    const viewer = await gw.graphql(
      '{ viewer { retention } }',
      {},
      await gw.token(tenant.customerId, 'analyst'),
    );
    expect(viewer.data).toEqual({ viewer: { retention: '6 months' } });
    const bad = await failing('tenant', [...set, 'forever']);
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toMatch(/--retention: a count of minutes/);
  });

  it('refuses tokens of unknown tenants at the gateway and in npm run token', async () => {
    const unknown = uuid(0x77, 7);
    const res = await gw.graphql(VIEWER, {}, await gw.token(unknown, 'admin'));
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0]?.message).toBe('the token’s tenant does not exist');
    const failure = await failing('token', ['--customer', unknown]);
    expect(failure?.code).toBe(2);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toMatch(new RegExp(`--customer: no tenant ${unknown}`));
  });
});

describe.each(BACKENDS)('tenant gate on %s', (kind) => {
  let gw: TestGateway;
  const [a] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
  });
  afterAll(() => gw?.close());

  it('reads a tenant’s status once per TTL, however many requests come', async () => {
    let reads = 0;
    const counting = {
      query: (...args: Parameters<Pool['query']>) => {
        reads += 1;
        return gw.owner.query(...args);
      },
    } as unknown as Pool;
    const gate = createTenantGate(counting, 60_000);
    const viewer = {
      subject: 's',
      customerId: a.customerId,
      role: 'analyst' as const,
      storeIds: null,
      expiresAt: Date.now() + 60_000,
    };
    await Promise.all(Array.from({ length: 50 }, () => gate(viewer)));
    for (let i = 0; i < 50; i += 1) await gate(viewer);
    expect(reads).toBe(1);
    await gw.owner.query(`UPDATE customers SET status = 'disabled' WHERE id = $1`, [a.customerId]);
    const expired = createTenantGate(counting, 0);
    await expect(expired(viewer)).rejects.toThrow(/tenant is disabled/);
    await gw.owner.query(`UPDATE customers SET status = 'active' WHERE id = $1`, [a.customerId]);
  });

  it('admits at once only a tenant read active within the TTL', async () => {
    const gate = createTenantGate(gw.owner, 300);
    const viewer = {
      subject: 's',
      customerId: a.customerId,
      role: 'analyst' as const,
      storeIds: null,
      expiresAt: Date.now() + 60_000,
    };
    expect(gate.admitsNow?.(viewer)).toBe(false);
    await gate(viewer);
    expect(gate.admitsNow?.(viewer)).toBe(true);
    expect(gate.admitsNow?.({ ...viewer, customerId: uuid(0x5e, 1) })).toBe(false);
    await gw.owner.query(`UPDATE customers SET status = 'disabled' WHERE id = $1`, [a.customerId]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(gate.admitsNow?.(viewer)).toBe(false);
      await expect(gate(viewer)).rejects.toThrow(/tenant is disabled/);
      expect(gate.admitsNow?.(viewer)).toBe(false);
    } finally {
      await gw.owner.query(`UPDATE customers SET status = 'active' WHERE id = $1`, [a.customerId]);
    }
  });
});
