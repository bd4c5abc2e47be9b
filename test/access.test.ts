import { randomUUID } from 'node:crypto';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestDb } from '../src/db/request-db.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const RECORD_SALES = `mutation($sales: [SaleInput!]!) { recordSales(sales: $sales) { accepted } }`;

function sale(storeId: string, quantity = 2) {
  return {
    transactionId: randomUUID(),
    time: new Date(Date.now() - 7_200_000).toISOString(),
    storeId,
    productId: uuid(2, 1),
    quantity,
    unitPrice: '1.25',
  };
}

describe.each(BACKENDS)('roles on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
  });
  afterAll(() => gw?.close());

  const transactionsOf = async (customerId: string) =>
    Number(
      (
        await gw.owner.query<{ n: string }>(
          'SELECT count(*) AS n FROM transactions WHERE customer_id = $1',
          [customerId],
        )
      ).rows[0]?.n,
    );

  it('lets analysts run any query and introspect', async () => {
    const token = await gw.token(a.customerId, 'analyst');
    const query = await gw.graphql<{ stores: { edges: unknown[] } }>(
      '{ stores { edges { node { id code } } } categories }',
      {},
      token,
    );
    expect(query.errors).toBeUndefined();
    expect(query.data?.stores.edges).toHaveLength(3);
    const schema = await gw.graphql<{ __schema: { types: { name: string }[] } }>(
      '{ __schema { types { name } } }',
      {},
      token,
    );
    expect(schema.data?.__schema.types.map((t) => t.name)).toContain('Store');
  });

  it('serves GraphiQL in the browser', async () => {
    const response = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/ShelfOps Gateway/);
  });

  it('refuses writes to analysts in the schema, with a clear error', async () => {
    const before = await transactionsOf(a.customerId);
    const token = await gw.token(a.customerId, 'analyst');
    const res = await gw.graphql(RECORD_SALES, { sales: [sale(uuid(1, 1))] }, token);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0]?.message).toBe('your role may not use Mutation.recordSales');
    expect(await transactionsOf(a.customerId)).toBe(before);
  });

  it('lets admins write for their own tenant only', async () => {
    const beforeA = await transactionsOf(a.customerId);
    const beforeB = await transactionsOf(b.customerId);
    const token = await gw.token(a.customerId, 'admin');
    const res = await gw.graphql(
      RECORD_SALES,
      { sales: [sale(uuid(1, 1)), sale(uuid(1, 2))] },
      token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ recordSales: { accepted: 2 } });
    expect(await transactionsOf(a.customerId)).toBe(beforeA + 2);
    expect(await transactionsOf(b.customerId)).toBe(beforeB);
  });

  it('keeps a store-scoped admin to its stores, by the database’s policy', async () => {
    const before = await transactionsOf(a.customerId);
    const token = await gw.token(a.customerId, 'admin', [uuid(1, 1)]);
    const res = await gw.graphql(
      RECORD_SALES,
      { sales: [sale(uuid(1, 1)), sale(uuid(1, 2))] },
      token,
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0]?.message).toMatch(/store scope does not allow this change/);
    // The whole batch was rolled back, its allowed line included.
    expect(await transactionsOf(a.customerId)).toBe(before);
  });

  it('guards writes in the database even if the schema let them through', async () => {
    // The request transaction exactly as the gateway opens it, without any schema check.
    const attempt = async (
      settings: { customerId: string; role: string; storeIds: string[] | null },
      rowCustomer: string,
      storeId: string,
    ) => {
      const db = new RequestDb(gw.owner, { ...settings, statementTimeoutMs: 5000 });
      try {
        await db.query(sql`/* guardProbe */
          INSERT INTO gateway.transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
          VALUES (${rowCustomer}::uuid, ${randomUUID()}::uuid, now() - interval '1 hour', ${storeId}::uuid, ${uuid(2, 1)}::uuid, 1, 1, 1)`);
        await db.finish('rollback');
        return 'inserted';
      } catch (error) {
        await db.finish('rollback');
        return (error as { extensions?: { code?: string } }).extensions?.code ?? String(error);
      }
    };
    const admin = { customerId: a.customerId, role: 'admin', storeIds: null };
    expect(await attempt(admin, a.customerId, uuid(1, 1))).toBe('inserted');
    expect(await attempt({ ...admin, role: 'analyst' }, a.customerId, uuid(1, 1))).toBe(
      'FORBIDDEN',
    );
    expect(await attempt(admin, b.customerId, uuid(1, 1))).toBe('FORBIDDEN');
    expect(await attempt({ ...admin, storeIds: [uuid(1, 2)] }, a.customerId, uuid(1, 1))).toBe(
      'FORBIDDEN',
    );
    const partnerAlert = new RequestDb(gw.owner, {
      customerId: a.customerId,
      role: 'partner',
      storeIds: null,
      statementTimeoutMs: 5000,
    });
    await expect(
      partnerAlert.query(sql`/* guardProbe */
        INSERT INTO alerts (customer_id, store_id, product_id, type, severity, message)
        VALUES (${a.customerId}::uuid, ${uuid(1, 1)}::uuid, ${uuid(2, 1)}::uuid, 'STOCKOUT', 'INFO', 'x')`),
    ).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    await partnerAlert.finish('rollback');
  });
});
