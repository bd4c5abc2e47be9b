import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

// Admins mint tokens from GraphiQL: any role of their own tenant, never wider than their own
// store scope, for at most 90 days.

const ISSUE = `mutation($role: Role!, $stores: [UUID!], $expiresIn: String) {
  issueToken(role: $role, stores: $stores, expiresIn: $expiresIn) { token expiresAt storeIds } }`;
const VIEWER = '{ viewer { customerId role storeIds } }';

interface Issued {
  issueToken: { token: string; expiresAt: string; storeIds: string[] | null };
}

describe('issueToken on postgres', () => {
  let gw: TestGateway;
  const [a, b] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway('postgres');
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
  });
  afterAll(() => gw?.close());

  it('issues a working token of the admin’s tenant with the role and lifetime asked', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const res = await gw.graphql<Issued>(ISSUE, { role: 'ANALYST', expiresIn: '30d' }, admin);
    expect(res.errors).toBeUndefined();
    const issued = res.data?.issueToken;
    expect(issued?.storeIds).toBeNull();
    const claims = decodeJwt(issued?.token ?? '');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(30 * 86_400);
    expect(Math.abs(Date.parse(issued?.expiresAt ?? '') / 1000 - (claims.exp ?? 0))).toBeLessThan(
      2,
    );
    const me = await gw.graphql(VIEWER, {}, issued?.token);
    expect(me.data).toEqual({
      viewer: { customerId: a.customerId, role: 'ANALYST', storeIds: null },
    });
    // An analyst token may not issue tokens.
    const refused = await gw.graphql(ISSUE, { role: 'ADMIN' }, issued?.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps a store-scoped admin’s tokens within its stores', async () => {
    const scoped = await gw.token(a.customerId, 'admin', [uuid(1, 1), uuid(1, 2)]);
    const inherited = await gw.graphql<Issued>(ISSUE, { role: 'PARTNER' }, scoped);
    expect(inherited.data?.issueToken.storeIds).toEqual([uuid(1, 1), uuid(1, 2)]);
    const narrower = await gw.graphql<Issued>(
      ISSUE,
      { role: 'ANALYST', stores: [uuid(1, 2)] },
      scoped,
    );
    const me = await gw.graphql(VIEWER, {}, narrower.data?.issueToken.token);
    expect(me.data).toEqual({
      viewer: { customerId: a.customerId, role: 'ANALYST', storeIds: [uuid(1, 2)] },
    });
    const wider = await gw.graphql(ISSUE, { role: 'ANALYST', stores: [uuid(1, 3)] }, scoped);
    expect(wider.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(wider.errors?.[0]?.message).toContain(uuid(1, 3));
  });

  it('refuses lifetimes over 90 days and stores of no store, issuing nothing', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    for (const expiresIn of ['91d', '13w', 'forever', '0h', '']) {
      const res = await gw.graphql(ISSUE, { role: 'ANALYST', expiresIn }, admin);
      expect(res.errors?.[0]?.extensions?.code, expiresIn).toBe('BAD_USER_INPUT');
      expect(res.data).toBeNull();
    }
    const ninety = await gw.graphql<Issued>(ISSUE, { role: 'ADMIN', expiresIn: '90 days' }, admin);
    expect(ninety.errors).toBeUndefined();
    const unknown = await gw.graphql(ISSUE, { role: 'ANALYST', stores: [uuid(1, 9)] }, admin);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const none = await gw.graphql(ISSUE, { role: 'ANALYST', stores: [] }, admin);
    expect(none.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
