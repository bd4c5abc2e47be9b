import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

describe.each([...BACKENDS, ...CLUSTER])('catalog on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
    await gw.owner.query(
      `UPDATE stores SET name = 'B-only name' WHERE customer_id = $1 AND code = 'S1'`,
      [b.customerId],
    );
  });
  afterAll(() => gw?.close());

  it('lists only the caller’s stores, paginated by code', async () => {
    const token = await gw.token(a.customerId);
    const first = await gw.graphql<{
      stores: {
        edges: { node: { code: string; name: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    }>(
      `query($after: String) { stores(first: 2, after: $after) { edges { node { code name } } pageInfo { hasNextPage endCursor } } }`,
      {},
      token,
    );
    expect(first.errors).toBeUndefined();
    expect(first.data?.stores.edges.map((e) => e.node.code)).toEqual(['S1', 'S2']);
    expect(first.data?.stores.edges[0]?.node.name).toBe('Store 1');
    expect(first.data?.stores.pageInfo.hasNextPage).toBe(true);
    const second = await gw.graphql<{
      stores: { edges: { node: { code: string } }[]; pageInfo: { hasNextPage: boolean } };
    }>(
      `query($after: String) { stores(first: 2, after: $after) { edges { node { code } } pageInfo { hasNextPage } } }`,
      { after: first.data?.stores.pageInfo.endCursor },
      token,
    );
    expect(second.data?.stores.edges.map((e) => e.node.code)).toEqual(['S3']);
    expect(second.data?.stores.pageInfo.hasNextPage).toBe(false);
  });

  it('finds a store and a product by id within the tenant only', async () => {
    const tokenB = await gw.token(b.customerId);
    const res = await gw.graphql<{
      store: { name: string };
      product: { sku: string; unitPrice: string };
    }>(
      `query($s: UUID!, $p: UUID!) { store(id: $s) { name } product(id: $p) { sku unitPrice } }`,
      { s: uuid(1, 1), p: uuid(2, 3) },
      tokenB,
    );
    expect(res.data).toEqual({
      store: { name: 'B-only name' },
      product: { sku: 'SKU-3', unitPrice: '3.25' },
    });
  });

  it('limits a store-scoped caller to its stores', async () => {
    const token = await gw.token(a.customerId, 'analyst', [uuid(1, 2)]);
    const res = await gw.graphql<{ stores: { edges: { node: { code: string } }[] }; store: null }>(
      `query($s: UUID!) { stores { edges { node { code } } } store(id: $s) { code } }`,
      { s: uuid(1, 1) },
      token,
    );
    expect(res.data?.stores.edges.map((e) => e.node.code)).toEqual(['S2']);
    expect(res.data?.store).toBeNull();
  });

  it('searches products and filters by category', async () => {
    const token = await gw.token(a.customerId);
    const res = await gw.graphql<{ products: { edges: { node: { sku: string } }[] } }>(
      `{ products(search: "duct 4", category: "Bakery") { edges { node { sku } } } }`,
      {},
      token,
    );
    expect(res.data?.products.edges.map((e) => e.node.sku)).toEqual(['SKU-4']);
  });

  it('answers viewer from the token', async () => {
    const token = await gw.token(b.customerId, 'admin');
    const res = await gw.graphql<{ viewer: unknown }>(
      `{ viewer { customerId customerName role storeIds } }`,
      {},
      token,
    );
    expect(res.data?.viewer).toEqual({
      customerId: b.customerId,
      customerName: 'Tenant B',
      role: 'ADMIN',
      storeIds: null,
    });
  });

  it('refuses a request without a token with 401', async () => {
    const res = await gw.graphql(`{ viewer { customerId } }`);
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.message).toMatch(/Authorization/);
  });

  it('rejects a forged cursor and an oversized page', async () => {
    const token = await gw.token(a.customerId);
    const forged = await gw.graphql(`{ stores(after: "bm9wZQ") { edges { cursor } } }`, {}, token);
    expect(forged.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const wrongShape = Buffer.from(JSON.stringify(['stores', 'S1', 'not-a-uuid'])).toString(
      'base64url',
    );
    const shaped = await gw.graphql(
      `query($after: String) { stores(after: $after) { edges { cursor } } }`,
      { after: wrongShape },
      token,
    );
    expect(shaped.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const big = await gw.graphql(`{ products(first: 100000) { edges { cursor } } }`, {}, token);
    expect(big.errors?.[0]?.message).toMatch(/first must be between 1 and 500/);
  });
});
