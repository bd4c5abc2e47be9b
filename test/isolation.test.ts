import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { schema } from '../src/schema.js';
import { mintToken } from '../src/auth/tokens.js';
import { NO_TENANT, OPERATOR } from '../src/auth/viewer.js';
import { WITH_CLUSTER } from './support/backends.js';
import { insertTenant, twinTenants, uuid, type TenantFixture } from './support/fixtures.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';
import {
  deleteTenant,
  fixtureWindow,
  insertSeries,
  isConnectionField,
  operationFor,
  rootFields,
  tenantDigest,
  type ArgumentValues,
} from './support/access-isolation.js';
import type { GraphQLResponse } from './support/gateway.js';

// Every query and mutation of the schema, with every nested field (to a depth), is generated
// from the schema itself, so fields added later are covered without editing this file.

const [a, twinB] = twinTenants();
// B shares A's ids and names, and also has a store and a product A does not have.
const b: TenantFixture = {
  ...twinB,
  stores: [
    ...twinB.stores,
    { id: uuid(1, 9), code: 'S9', name: 'Exclusive store', region: 'B-East' },
  ],
  products: [
    ...twinB.products,
    {
      id: uuid(2, 9),
      sku: 'SKU-9',
      name: 'Exclusive product',
      category: 'B-Frozen',
      unitPrice: '9.99',
    },
  ],
};
// C is A cut down to A's store 1: what a caller of A limited to store 1 must see.
const c: TenantFixture = {
  customerId: uuid(0xc, 0),
  name: 'Tenant C',
  stores: a.stores.slice(0, 1),
  products: a.products,
};
const idOf = (group: number, storeIndex: number, productIndex: number) =>
  uuid(group, storeIndex * 100 + productIndex);

function values(kind: 'shared' | 'bOnly' | 'unfiltered', cursors = {}): ArgumentValues {
  const window = fixtureWindow();
  const range = { from: window.from.toISOString(), to: window.to.toISOString() };
  if (kind === 'bOnly') {
    return {
      storeIds: [uuid(1, 9)],
      productIds: [uuid(2, 9)],
      alertIds: [idOf(0x9001, 3, 4)],
      anomalyIds: [idOf(0xa001, 3, 4)],
      category: 'B-Frozen',
      region: 'B-East',
      search: 'Exclusive',
      metadataKey: 'factor7',
      range,
      cursors,
      filters: true,
    };
  }
  return {
    storeIds: [uuid(1, 1), uuid(1, 2)],
    productIds: [uuid(2, 1), uuid(2, 2)],
    alertIds: [idOf(0x9001, 0, 0)],
    anomalyIds: [idOf(0xa001, 0, 0)],
    category: 'Dairy',
    region: 'North',
    search: 'Product',
    metadataKey: 'source',
    range,
    cursors,
    filters: kind === 'shared',
  };
}

const comparable = (res: GraphQLResponse) => ({
  data: res.data ?? null,
  errors: res.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })) ?? [],
});

describe.each(WITH_CLUSTER)('tenant isolation on %s', (kind) => {
  let gw: TestGateway;
  const queries = rootFields(schema, 'query');
  // The catalog upserts write the caller's own rows by key, echoing the generated (B-marked)
  // names back; catalog-upsert.test.ts checks that they leave other tenants' rows alone.
  const mutations = rootFields(schema, 'mutation').filter(
    (m) => m !== 'upsertStores' && m !== 'upsertProducts',
  );

  beforeAll(async () => {
    gw = await startTestGateway(kind, {
      MAX_DEPTH: '30',
      MAX_TOKENS: '100000',
      MAX_ALIASES: '1000',
      MAX_DIRECTIVES: '1000',
      MAX_COST_ANALYST: '1000000000',
      MAX_COST_ADMIN: '1000000000',
      RATE_LIMIT_REQUESTS: '0',
    });
    for (const tenant of [a, b, c]) await insertTenant(gw.owner, tenant);
    const ids = (t: TenantFixture) => t.stores.map((s) => s.id);
    await insertSeries(gw.owner, { tenant: a, storeIds: ids(a), factor: 1, idGroup: 1 });
    await insertSeries(gw.owner, { tenant: b, storeIds: ids(b), factor: 7, idGroup: 1 });
    await insertSeries(gw.owner, { tenant: c, storeIds: ids(c), factor: 1, idGroup: 1 });
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
  });
  afterAll(() => gw?.close());

  it('generates an operation for every query and mutation of the schema', () => {
    for (const kindOf of ['query', 'mutation'] as const) {
      for (const field of rootFields(schema, kindOf)) {
        expect(operationFor(schema, kindOf, field, values('shared')), field).not.toBeNull();
      }
    }
    expect(queries).toEqual(expect.arrayContaining(['stores', 'store', 'products', 'viewer']));
  });

  it('limits a store-scoped caller to its stores everywhere, rollups included', async () => {
    const scoped = await gw.token(a.customerId, 'analyst', [uuid(1, 1)]);
    const cutDown = await gw.token(c.customerId, 'analyst');
    let rowsSeen = 0;
    for (const field of queries.filter((q) => q !== 'viewer')) {
      for (const variant of ['shared', 'unfiltered'] as const) {
        const query = operationFor(schema, 'query', field, values(variant)) ?? '';
        const asScoped = comparable(await gw.graphql(query, {}, scoped));
        const asC = comparable(await gw.graphql(query, {}, cutDown));
        expect(asScoped, `${field} (${variant})`).toEqual(asC);
        if (JSON.stringify(asScoped.data).includes(uuid(1, 1))) rowsSeen += 1;
        expect(JSON.stringify(asScoped.data), field).not.toContain(uuid(1, 2));
      }
    }
    // The comparison is not vacuous: most fields returned store 1's rows.
    expect(rowsSeen).toBeGreaterThan(queries.length / 2);
  });

  it('changes nothing of B when A’s admin writes with B’s ids', async () => {
    const before = await tenantDigest(gw.owner, b.customerId);
    const admin = await gw.token(a.customerId, 'admin');
    for (const field of mutations) {
      for (const variant of ['bOnly', 'shared'] as const) {
        const mutation = operationFor(schema, 'mutation', field, values(variant)) ?? '';
        const res = await gw.graphql(mutation, {}, admin);
        expect(res.status, field).toBeLessThan(500);
        expect(JSON.stringify(res.data ?? null), field).not.toMatch(/Exclusive|B-Frozen|B-East/);
      }
    }
    expect(await tenantDigest(gw.owner, b.customerId)).toEqual(before);
  });

  it('gives the operator no tenant’s row through any query or mutation', async () => {
    const operator = await mintToken({
      secret: TEST_SECRET,
      issuer: gw.config.jwt.issuer,
      audience: gw.config.jwt.audience,
      customerId: NO_TENANT,
      role: OPERATOR,
    });
    const before = await Promise.all([a, b, c].map((t) => tenantDigest(gw.owner, t.customerId)));
    // Every tenant's ids and values: none may reach the operator's answers.
    const tenantValues = new RegExp(
      [a, b, c]
        .flatMap((t) => [
          t.customerId,
          ...t.stores.map((s) => s.id),
          ...t.products.map((p) => p.id),
        ])
        .concat(['Exclusive', 'B-Frozen', 'B-East', 'factor7', 'Dairy', 'SKU-'])
        .join('|'),
    );
    // operatorReport, activeQueries and cancelQuery are the operator's own (counts per tenant,
    // running requests); the operator test covers them.
    const tenantFields = (kindOf: 'query' | 'mutation') =>
      rootFields(schema, kindOf).filter(
        (f) => !['operatorReport', 'activeQueries', 'cancelQuery'].includes(f),
      );
    let refused = 0;
    for (const kindOf of ['query', 'mutation'] as const) {
      for (const field of tenantFields(kindOf)) {
        for (const variant of ['shared', 'unfiltered', 'bOnly'] as const) {
          const document = operationFor(schema, kindOf, field, values(variant)) ?? '';
          const res = await gw.graphql(document, {}, operator);
          expect(res.status, `${field} (${variant})`).toBeLessThan(500);
          expect(JSON.stringify(res), `${field} (${variant})`).not.toMatch(tenantValues);
          if (res.errors?.some((e) => e.extensions?.code === 'FORBIDDEN')) refused += 1;
        }
      }
    }
    // Not vacuous: the database refused the operator's role on most fields.
    expect(refused).toBeGreaterThan(queries.length);
    expect(await Promise.all([a, b, c].map((t) => tenantDigest(gw.owner, t.customerId)))).toEqual(
      before,
    );
  });

  it('gives a caller of A nothing of B for B’s ids, filters and cursors', async () => {
    const token = await gw.token(a.customerId, 'analyst');
    const tokenB = await gw.token(b.customerId, 'analyst');
    // B's cursors, taken from B's own first pages.
    const cursors: Record<string, string> = {};
    for (const field of queries.filter((q) => isConnectionField(schema, q))) {
      const query = operationFor(schema, 'query', field, { ...values('unfiltered'), first: 2 });
      const res = await gw.graphql<Record<string, { pageInfo: { endCursor: string | null } }>>(
        query ?? '',
        {},
        tokenB,
      );
      const cursor = res.data?.[field]?.pageInfo.endCursor;
      if (cursor) cursors[field] = cursor;
    }
    expect(Object.keys(cursors).length).toBeGreaterThan(3);

    const cases = queries.flatMap((field) =>
      (['bOnly', 'shared', 'unfiltered'] as const).map((variant) => ({
        name: `${field} (${variant})`,
        query: operationFor(schema, 'query', field, values(variant, cursors)) ?? '',
      })),
    );
    const withB = [];
    for (const { query } of cases) withB.push(comparable(await gw.graphql(query, {}, token)));
    for (const [i, res] of withB.entries()) {
      expect(JSON.stringify(res), cases[i]?.name).not.toMatch(/Exclusive|B-Frozen|B-East|factor7/);
    }

    // The same requests once B is gone: anything of B in the first answers would differ.
    await deleteTenant(gw.owner, b.customerId);
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    for (const [i, { name, query }] of cases.entries()) {
      expect(withB[i], name).toEqual(comparable(await gw.graphql(query, {}, token)));
    }
    const answered = withB.filter((res) => JSON.stringify(res.data).includes(uuid(1, 1)));
    // Not vacuous: a good part of the answers carried A's own rows.
    expect(answered.length).toBeGreaterThan(queries.length / 2);
  });
});
