import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WITH_CLUSTER } from './support/backends.js';
import { insertTenant, uuid, type TenantFixture } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { gatewayRelation, tenantTables } from './support/access-isolation.js';

function tenant(index: number): TenantFixture {
  const tag = `T${String(index).padStart(2, '0')}`;
  return {
    customerId: uuid(0x100 + index, 0),
    name: `${tag} Retail`,
    // Every tenant has the same store and product ids; only names tell them apart.
    stores: [1, 2].map((n) => ({ id: uuid(1, n), code: `S${n}`, name: `${tag} Store ${n}` })),
    products: [
      {
        id: uuid(2, 1),
        sku: 'SKU-1',
        name: `${tag} Product`,
        category: 'Dairy',
        unitPrice: '1.00',
      },
    ],
  };
}

const WHO = '{ viewer { customerName storeIds } stores { edges { node { id name } } } }';
const RECORD_SALES = 'mutation($sales: [SaleInput!]!) { recordSales(sales: $sales) { accepted } }';

function sale(productId: string) {
  return {
    transactionId: randomUUID(),
    time: new Date(Date.now() - 3_600_000).toISOString(),
    storeId: uuid(1, 1),
    productId,
    quantity: 1,
    unitPrice: '1.00',
  };
}

describe.each(WITH_CLUSTER)('request context on a pool of one connection on %s', (kind) => {
  let gw: TestGateway;
  const a = tenant(1);
  const empty = tenant(2);

  beforeAll(async () => {
    gw = await startTestGateway(kind, { DB_POOL_MAX: '1', RATE_LIMIT_REQUESTS: '0' });
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, { ...empty, stores: [], products: [] });
  });
  afterAll(() => gw?.close());

  /** What the pool's one connection carries now, read on that same connection. */
  async function leftovers() {
    const { rows } = await gw.owner.query<Record<string, string | null>>(
      `SELECT current_user = session_user AS "ownRole",
              coalesce(current_setting('app.customer_id', true), '') AS customer,
              coalesce(current_setting('app.role', true), '') AS role,
              coalesce(current_setting('app.store_ids', true), '') AS stores,
              current_setting('statement_timeout') AS timeout`,
    );
    const visible: Record<string, number> = {};
    // The relations the gateway's role may read at all (receipt_openers, say, only its
    // triggers write and read).
    const tables: string[] = [];
    for (const table of [
      ...(await tenantTables(gw.owner)).map(gatewayRelation),
      'sales_hourly',
      'sales_daily',
    ]) {
      const { rows: grant } = await gw.owner.query<{ readable: boolean }>(
        `SELECT has_table_privilege('shelfops_gateway', $1, 'SELECT') AS readable`,
        [table],
      );
      if (grant[0]?.readable) tables.push(table);
    }
    const client = await gw.owner.connect();
    try {
      // A statement with no tenant of its own, as the gateway's role, on the same connection.
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE shelfops_gateway');
      for (const table of tables) {
        const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        visible[table] = Number(result.rows[0]?.n);
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    return { settings: rows[0], visible };
  }

  const clean = (visible: Record<string, number>) =>
    Object.fromEntries(Object.keys(visible).map((table) => [table, 0]));

  it('leaves nothing behind after a request that fails mid-way', async () => {
    const admin = await gw.token(a.customerId, 'admin', [uuid(1, 1)]);
    // The constraint fails after the context was set and the first statement ran.
    const failed = await gw.graphql(
      RECORD_SALES,
      { sales: [sale(uuid(2, 1)), sale(uuid(2, 99))] },
      admin,
    );
    expect(failed.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const after = await leftovers();
    expect(after.settings).toEqual({
      ownRole: true,
      customer: '',
      role: '',
      stores: '',
      timeout: '0',
    });
    expect(after.visible).toEqual(clean(after.visible));
    // The next request, of a tenant without rows, sees nothing either.
    const next = await gw.graphql(WHO, {}, await gw.token(empty.customerId));
    expect(next.data).toEqual({
      viewer: { customerName: 'T02 Retail', storeIds: null },
      stores: { edges: [] },
    });
    const { rows } = await gw.owner.query('SELECT count(*)::int AS n FROM transactions');
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('leaves nothing behind after a query that fails half-way through a request', async () => {
    await gw.owner.query('ALTER TABLE customers RENAME COLUMN name TO name_moved');
    try {
      const res = await gw.graphql(WHO, {}, await gw.token(a.customerId, 'analyst'));
      expect(res.errors?.[0]?.message).toBe('Unexpected error.');
    } finally {
      await gw.owner.query('ALTER TABLE customers RENAME COLUMN name_moved TO name');
    }
    const after = await leftovers();
    expect(after.settings?.customer).toBe('');
    expect(after.visible).toEqual(clean(after.visible));
  });

  it('does not let a dropped connection hand its transaction to the next request', async () => {
    const orphan = randomUUID();
    const client = await gw.owner.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO customers (id, name) VALUES ($1, 'orphan')`, [orphan]);
    await client.query(`SELECT set_config('app.customer_id', $1, true)`, [empty.customerId]);
    // Dropped mid-transaction, as the pool does with a connection in an unknown state.
    client.release(true);
    const res = await gw.graphql(WHO, {}, await gw.token(a.customerId));
    expect(res.errors ?? []).toEqual([]);
    expect(res.data?.['viewer']).toEqual({ customerName: 'T01 Retail', storeIds: null });
    // Schema-qualified: the embedded session's search_path does not survive a reconnection.
    const { rows } = await gw.owner.query(
      'SELECT count(*)::int AS n FROM public.customers WHERE id = $1',
      [orphan],
    );
    expect(rows[0]).toEqual({ n: 0 });
  });
});

describe.each(WITH_CLUSTER)('concurrent tenants on a small pool on %s', (kind) => {
  let gw: TestGateway;
  const tenants = Array.from({ length: 12 }, (_, i) => tenant(i + 10));

  beforeAll(async () => {
    gw = await startTestGateway(kind, { DB_POOL_MAX: '3', RATE_LIMIT_REQUESTS: '0' });
    for (const t of tenants) await insertTenant(gw.owner, t);
  });
  afterAll(() => gw?.close());

  it('never mixes rows of concurrent requests, failing ones among them', async () => {
    const work = [];
    for (let round = 0; round < 5; round += 1) {
      for (const [i, t] of tenants.entries()) {
        const scope = (i + round) % 3 === 0 ? [uuid(1, 2)] : undefined;
        work.push(
          (async () => {
            if ((i + round) % 4 === 0) {
              const admin = await gw.token(t.customerId, 'admin');
              const failed = await gw.graphql(RECORD_SALES, { sales: [sale(uuid(2, 99))] }, admin);
              return { t, scope: null, failed };
            }
            const token = await gw.token(t.customerId, 'analyst', scope);
            return { t, scope: scope ?? null, res: await gw.graphql(WHO, {}, token) };
          })(),
        );
      }
    }
    const results = await Promise.all(work);
    let checked = 0;
    for (const result of results) {
      if ('failed' in result) {
        expect(result.failed?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        continue;
      }
      const { t, scope, res } = result;
      const data = res.data as {
        viewer: { customerName: string; storeIds: string[] | null };
        stores: { edges: { node: { id: string; name: string } }[] };
      };
      expect(data.viewer).toEqual({ customerName: t.name, storeIds: scope });
      const expected = t.stores
        .filter((s) => scope === null || scope.includes(s.id))
        .map((s) => ({ id: s.id, name: s.name }));
      expect(data.stores.edges.map((e) => e.node)).toEqual(expected);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(40);
    const { rows } = await gw.owner.query('SELECT count(*)::int AS n FROM transactions');
    expect(rows[0]).toEqual({ n: 0 });
  });
});
