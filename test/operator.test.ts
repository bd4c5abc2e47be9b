import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/tokens.js';
import { NO_TENANT, OPERATOR } from '../src/auth/viewer.js';
import type { OperatorReport } from '../src/operator/desk.js';
import { asOperator } from '../src/operator/database-report.js';
import { WITH_SERVER } from './support/backends.js';
import { twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';
import { waitFor } from './support/lifecycle.js';
import { insertSales, insertTenants, type SaleRow } from './support/sales-data.js';
import { runCli } from './support/cli.js';

const DAY = 86_400_000;
const SLOW_MS = 150;
const [a, b] = twinTenants();
const LIST = 'query ListProducts { products(first: 5) { edges { node { sku } } } }';

// Makes every read of products sleep once per statement (a restrictive policy's initplan), on
// every backend alike: a deliberately slow statement the tests control.
async function slowProducts(gw: TestGateway, seconds: number | null) {
  await gw.owner.query('DROP POLICY IF EXISTS slow_probe ON products');
  if (seconds !== null) {
    await gw.owner.query(
      `CREATE POLICY slow_probe ON products AS RESTRICTIVE FOR SELECT
       USING ((SELECT pg_sleep(${Number(seconds)})) IS NOT NULL)`,
    );
  }
}

/** The value, asserted present. */
function present<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`${what} is missing`);
  return value;
}

describe.each(WITH_SERVER)('operator insights on %s', (kind) => {
  let gw: TestGateway;
  let operator: string;
  let adminA: string;
  let adminB: string;

  const report = async () => {
    const answer = await gw.graphql<{ operatorReport: OperatorReport }>(
      '{ operatorReport }',
      {},
      operator,
    );
    expect(answer.errors).toBeUndefined();
    return present(answer.data).operatorReport;
  };

  const doctor = (args: string[]) =>
    runCli('doctor', ['--url', `${gw.url}/graphql`, ...args], {
      env: { ...process.env, JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });

  beforeAll(async () => {
    gw = await startTestGateway(kind, {
      SLOW_QUERY_MS: String(SLOW_MS),
      DB_POOL_WAIT_MS: '30000',
      // The slow statements of these tests run until they are cancelled.
      STATEMENT_TIMEOUT_MS: '60000',
      RATE_LIMIT_REQUESTS: '0',
    });
    await insertTenants(gw.owner, [a, b]);
    const now = Date.now();
    const sales: SaleRow[] = [0, 3, 10, 40].map((days, i) => ({
      customerId: a.customerId,
      transactionId: uuid(0x5a1e, i),
      time: now - days * DAY - 3_600_000,
      storeId: present(a.stores[0]).id,
      productId: present(a.products[0]).id,
      quantity: 1,
      priceCents: 250n,
    }));
    await insertSales(gw.owner, sales);
    operator = await mintToken({
      secret: TEST_SECRET,
      issuer: gw.config.jwt.issuer,
      audience: gw.config.jwt.audience,
      customerId: NO_TENANT,
      role: OPERATOR,
    });
    adminA = await gw.token(a.customerId, 'admin');
    adminB = await gw.token(b.customerId, 'admin');
    // Tenant statuses read once, before any test holds the database.
    for (const token of [adminA, adminB]) {
      expect((await gw.graphql(LIST, {}, token)).errors).toBeUndefined();
    }
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('logs a deliberately slow statement with its plan, under the tenant and operation', async () => {
    await slowProducts(gw, 0.3);
    try {
      const answer = await gw.graphql(LIST, {}, adminA);
      expect(answer.errors).toBeUndefined();
    } finally {
      await slowProducts(gw, null);
    }
    const { gateway } = await report();
    const entry = gateway.slowStatements.find(
      (s) => s.operation === 'ListProducts' && s.customerId === a.customerId,
    );
    const slow = present(entry, JSON.stringify(gateway.slowStatements.map((s) => s.operation)));
    expect(slow.durationMs).toBeGreaterThanOrEqual(SLOW_MS);
    expect(slow.text).toMatch(/products/i);
    const plan = slow.plan as { Plan: { 'Node Type': string } }[];
    expect(plan[0]?.Plan['Node Type']).toBeTruthy();
    expect(JSON.stringify(plan)).toMatch(/products/);
    const timings = present(gateway.slowestOperations.find((o) => o.operation === 'ListProducts'));
    expect(timings.count).toBeGreaterThanOrEqual(2);
    expect(timings.maxMs).toBeGreaterThanOrEqual(SLOW_MS);
    expect(timings.p95Ms).toBeGreaterThanOrEqual(timings.p50Ms);
  });

  it('cancels a running request of the admin’s own tenant only, with QUERY_CANCELLED for its client', async () => {
    const server = kind !== 'timescale';
    // A server cancels the statement itself; the embedded database (one statement at a time in
    // this thread) ends the request when it would run its next statement.
    let held = server ? null : await gw.owner.connect();
    const release = () => {
      held?.release();
      held = null;
    };
    if (server) await slowProducts(gw, 20);
    try {
      const started = Date.now();
      const long = gw.graphql(
        'query LongList { products(first: 5) { edges { node { sku } } } }',
        {},
        adminA,
      );
      let running: { id: string; customerId: string } | undefined;
      await waitFor(async () => {
        const answer = await gw.graphql<{
          activeQueries: {
            id: string;
            operation: string;
            customerId: string;
            statement: string | null;
          }[];
        }>('{ activeQueries { id operation customerId statement } }', {}, adminA);
        const found = answer.data?.activeQueries.find((q) => q.operation === 'LongList');
        running = found && (!server || found.statement) ? found : undefined;
        return running !== undefined;
      });
      if (!running) throw new Error('the request was not listed');
      expect(running.customerId).toBe(a.customerId);
      if (server) {
        // Its connection carries the operation and the tenant (application_name).
        const active = (await report()).database.active;
        expect(
          active.some((s) => s.operation === 'LongList' && s.customerId === a.customerId),
        ).toBe(true);
      }
      const seenByB = await gw.graphql<{ activeQueries: { id: string }[] }>(
        '{ activeQueries { id operation } }',
        {},
        adminB,
      );
      expect(seenByB.data?.activeQueries.map((q) => q.id)).not.toContain(running.id);
      const byB = await gw.graphql(
        'mutation($id: String!) { cancelQuery(id: $id) }',
        { id: running.id },
        adminB,
      );
      expect(byB.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const byA = await gw.graphql<{ cancelQuery: boolean }>(
        'mutation($id: String!) { cancelQuery(id: $id) }',
        { id: running.id },
        adminA,
      );
      expect(byA.data?.cancelQuery).toBe(true);
      release();
      const ended = await long;
      expect(ended.errors?.[0]?.extensions?.code).toBe('QUERY_CANCELLED');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      release();
      if (server) await slowProducts(gw, null);
    }
  }, 30_000);

  it.skipIf(kind === 'timescale')(
    'cancels a statement of the gateway by its pid with npm run doctor -- --cancel',
    async () => {
      await slowProducts(gw, 20);
      try {
        const long = gw.graphql(
          'query PidList { products(first: 5) { edges { node { sku } } } }',
          {},
          adminA,
        );
        let pid: number | undefined;
        await waitFor(async () => {
          const { database } = await report();
          pid = database.active.find((s) => s.operation === 'PidList')?.pid;
          return pid !== undefined;
        });
        const { stdout } = await doctor(['--cancel', String(pid)]);
        expect(stdout).toBe(`cancelled ${pid}\n`);
        expect((await long).errors?.[0]?.extensions?.code).toBe('QUERY_CANCELLED');
        await expect(doctor(['--cancel', String(pid)])).rejects.toThrow(/no running request/);
      } finally {
        await slowProducts(gw, null);
      }
    },
    60_000,
  );

  it('adds pg_stat_statements figures where the server preloads it', async (context) => {
    const { rows } = await gw.owner.query<{ loaded: boolean }>(
      `SELECT current_setting('shared_preload_libraries') ~ 'pg_stat_statements' AS loaded`,
    );
    if (!rows[0]?.loaded) {
      expect((await report()).database.statements).toBeNull();
      context.skip('the server does not preload pg_stat_statements');
    }
    await gw.owner.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    expect((await gw.graphql(LIST, {}, adminA)).errors).toBeUndefined();
    const statements = present((await report()).database.statements);
    expect(statements.some((s) => s.query.includes('listProducts') && s.calls >= 1)).toBe(true);
  });

  it('lists an index created and never used, with its size', async () => {
    await gw.owner.query(
      'CREATE INDEX operator_probe_unused_idx ON products (customer_id, unit_price)',
    );
    const { database } = await report();
    const index = present(
      database.unusedIndexes.find((i) => i.index === 'public.operator_probe_unused_idx'),
    );
    expect(index).toMatchObject({ table: 'public.products' });
    expect(index.bytes).toBeGreaterThan(0);
    expect(database.sizes.some((s) => s.name === 'public.transactions' && s.bytes > 0)).toBe(true);
    // Its numbers in /metrics too.
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(Number(/^shelfops_database_unused_indexes (\d+)$/m.exec(metrics)?.[1])).toBe(
      database.unusedIndexes.length,
    );
    expect(Number(/^shelfops_slow_statements (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^shelfops_database_relation_bytes\{kind="table"\} \d+/m);
    const usage = database.tenants.find((t) => t.customerId === a.customerId);
    expect(usage).toMatchObject({ lines: 4, lines7d: 2, lines30d: 3 });
    expect(present(usage).bytes).toBeGreaterThan(0);
  });

  it('runs the operator as a role that reads no tenant row', async () => {
    const tenantIds = [a.customerId, b.customerId];
    await asOperator(gw.owner, async (client) => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND has_table_privilege(c.oid, 'SELECT') AND has_schema_privilege(n.oid, 'USAGE')`,
      );
      for (const { name } of rows) {
        const { rows: all } = await client.query(`SELECT * FROM ${name}`);
        const text = JSON.stringify(all);
        for (const id of tenantIds) expect(text, name).not.toContain(id);
      }
      expect(rows.map((r) => r.name)).not.toContain('public.transactions');
    });
    for (const table of [
      'customers',
      'stores',
      'products',
      'transactions',
      'gateway.transactions',
    ]) {
      await expect(
        asOperator(gw.owner, (client) => client.query(`SELECT * FROM ${table}`)),
        table,
      ).rejects.toThrow(/permission denied/);
    }
    // Through the gateway: the operator's tenant queries are refused, never answered.
    const answer = await gw.graphql<{ products: unknown }>(LIST, {}, operator);
    expect(answer.data?.products ?? null).toBeNull();
    expect(JSON.stringify(answer)).not.toContain('SKU');
    // And a tenant's admin does not get the operator's report.
    const refused = await gw.graphql('{ operatorReport }', {}, adminA);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('prints the report with npm run doctor', async () => {
    const { stdout } = await doctor([]);
    expect(stdout).toMatch(/^ShelfOps doctor, /);
    expect(stdout).toMatch(new RegExp(`database: ${kind === 'postgres' ? 'native' : 'timescale'}`));
    expect(stdout).toMatch(/Slowest operations since start[\s\S]*ListProducts\s+\d+/);
    expect(stdout).toMatch(/Slow statements \(>= 150 ms\): [1-9]/);
    expect(stdout).toMatch(/-> \w+/);
    expect(stdout).toContain('public.operator_probe_unused_idx');
    expect(stdout).toMatch(new RegExp(`${a.customerId}\\s+Tenant A\\s+4\\s+\\d+ \\w?B\\s+2\\s+3`));
  }, 60_000);
});
