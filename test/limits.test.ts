import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentHash } from '../src/server/trusted-documents.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid, type TenantFixture } from './support/fixtures.js';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './support/access-gateway.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const PARTNER_STORES =
  'query PartnerStores($first: Int) { stores(first: $first) { edges { node { id code name } } pageInfo { endCursor } } }';

function tenant(group: number, name: string): TenantFixture {
  return {
    customerId: uuid(group, 0),
    name,
    stores: [{ id: uuid(1, 1), code: 'S1', name: 'Store 1' }],
    products: [
      { id: uuid(2, 1), sku: 'SKU-1', name: 'Product 1', category: 'Dairy', unitPrice: '1.00' },
    ],
  };
}

describe.each(BACKENDS)('operation limits on %s', (kind) => {
  let gw: TestGateway;
  const [a] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(
      kind,
      {
        MAX_DEPTH: '4',
        MAX_ALIASES: '3',
        MAX_DIRECTIVES: '3',
        MAX_TOKENS: '300',
        MAX_COST_ANALYST: '500',
        MAX_COST_ADMIN: '1000',
        MAX_COST_PARTNER: '100',
      },
      { trustedDocuments: new Map([[documentHash(PARTNER_STORES), PARTNER_STORES]]) },
    );
    await insertTenant(gw.owner, a);
  });
  afterAll(() => gw?.close());

  const analyst = () => gw.token(a.customerId, 'analyst');

  it('refuses documents too deep, with too many aliases, directives or tokens', async () => {
    const token = await analyst();
    const ok = await gw.graphql('{ stores { edges { node { id } } } }', {}, token);
    expect(ok.errors).toBeUndefined();
    const cases: [string, RegExp][] = [
      [
        '{ __type(name: "Store") { fields { type { ofType { name } } } } }',
        /depth limit of 4 exceeded, found 5/,
      ],
      [
        '{ a: viewer { role } b: viewer { role } c: viewer { role } d: viewer { role } }',
        /Aliases limit of 3 exceeded, found 4/,
      ],
      [
        '{ viewer @include(if: true) { role @include(if: true) customerId @include(if: true) storeIds @include(if: true) } }',
        /Directives limit of 3 exceeded, found 4/,
      ],
      [`{ ${'viewer { role } '.repeat(80)}}`, /Token limit of 300 exceeded/],
    ];
    for (const [query, message] of cases) {
      const res = await gw.graphql(query, {}, token);
      expect(res.data ?? null, query).toBeNull();
      expect(res.errors?.[0]?.message, query).toMatch(message);
    }
  });

  it('prices connections by page size and refuses over each role’s limit', async () => {
    const query = (first: number) =>
      `{ stores(first: ${first}) { edges { node { id code name } } } }`;
    // cost = 1 (stores) + first × (1 (node) + 3 scalar fields): 401 and 801
    const asAnalyst = await gw.graphql(query(100), {}, await analyst());
    expect(asAnalyst.errors).toBeUndefined();
    const over = await gw.graphql(query(200), {}, await analyst());
    expect(over.data ?? null).toBeNull();
    expect(over.status).toBe(400);
    expect(over.errors?.[0]?.extensions).toMatchObject({
      code: 'COST_LIMIT',
      cost: 801,
      maxCost: 500,
    });
    expect(over.errors?.[0]?.message).toMatch(/costs 801, over your limit of 500/);
    expect(over.extensions?.sqlStatements).toBe(0);
    const asAdmin = await gw.graphql(query(200), {}, await gw.token(a.customerId, 'admin'));
    expect(asAdmin.errors).toBeUndefined();

    // Partners: the page multiplies all the connection's children, pageInfo (1 + 1) included:
    // cost = 1 + first × (4 + 2): 61 for 10, 241 for 40
    const partner = await gw.token(a.customerId, 'partner');
    const id = documentHash(PARTNER_STORES);
    const small = await gw.post({ documentId: id, variables: { first: 10 } }, partner);
    expect(small.errors).toBeUndefined();
    const big = await gw.post({ documentId: id, variables: { first: 40 } }, partner);
    expect(big.errors?.[0]?.extensions).toMatchObject({ cost: 241, maxCost: 100 });
  });

  it('prices sales trends by bucket count × groups', async () => {
    const to = new Date(Date.UTC(2026, 0, 31));
    const range = {
      from: new Date(to.getTime() - 7 * 86_400_000).toISOString(),
      to: to.toISOString(),
    };
    const trend = (granularity: string, groupBy: string) =>
      gw.graphql(
        `query($range: TimeRange!) { salesTrend(range: $range, granularity: ${granularity}, groupBy: [${groupBy}]) { bucket units } }`,
        { range },
        analystToken,
      );
    const analystToken = await analyst();
    expect((await trend('DAY', 'STORE')).errors).toBeUndefined();
    const daily = await trend('DAY', 'STORE, PRODUCT');
    const hourly = await trend('HOUR', 'STORE, PRODUCT');
    for (const res of [daily, hourly]) {
      expect(res.errors?.[0]?.message).toMatch(/over your limit of 500/);
    }
    // 7 days: about 24 times more hourly buckets than daily ones.
    expect(Number(hourly.errors?.[0]?.extensions?.cost)).toBeGreaterThan(
      5 * Number(daily.errors?.[0]?.extensions?.cost),
    );
  });

  it('caps page sizes, literal or in variables, before anything runs', async () => {
    const token = await analyst();
    const literal = await gw.graphql('{ products(first: 100000) { edges { cursor } } }', {}, token);
    expect(literal.errors?.[0]?.message).toBe('first must be between 1 and 500');
    const variable = await gw.graphql(
      'query($n: Int) { stores(first: $n) { edges { cursor } } }',
      { n: 501 },
      token,
    );
    expect(variable.errors?.[0]?.message).toBe('first must be between 1 and 500');
    expect(variable.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', max: 500 });
    expect(variable.extensions?.sqlStatements ?? 0).toBe(0);
  });

  it('refuses batched requests', async () => {
    const token = await analyst();
    const res = await gw.post(
      [{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }],
      token,
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.data ?? null).toBeNull();
  });

  it('needs a CSRF header on GET and form requests, not on JSON posts', async () => {
    const token = await analyst();
    const url = `${gw.url}/graphql?query=${encodeURIComponent('{ viewer { role } }')}`;
    const auth = { authorization: `Bearer ${token}` };
    const bare = await fetch(url, { headers: { ...auth, accept: 'application/json' } });
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as { errors: { message: string }[] }).errors[0]?.message).toMatch(
      /CSRF/,
    );
    const withHeader = await fetch(url, {
      headers: { ...auth, accept: 'application/json', 'x-graphql-csrf': '1' },
    });
    expect(withHeader.status).toBe(200);
    expect(await withHeader.json()).toMatchObject({ data: { viewer: { role: 'ANALYST' } } });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const form = await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { ...auth, 'content-type': contentType },
        body:
          contentType === 'text/plain'
            ? '{ viewer { role } }'
            : 'query=%7B%20viewer%20%7B%20role%20%7D%20%7D',
      });
      expect(form.status, contentType).toBe(403);
    }
  });

  it('masks unexpected errors outside development', async () => {
    const token = await analyst();
    await gw.owner.query('ALTER TABLE stores RENAME COLUMN region TO region_moved');
    try {
      const res = await gw.graphql('{ stores { edges { node { id region } } } }', {}, token);
      expect(res.errors?.[0]?.message).toBe('Unexpected error.');
      expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const told = JSON.stringify(res.errors?.map((error) => [error.message, error.extensions]));
      expect(told).not.toMatch(/region|column|relation|SELECT/i);
    } finally {
      await gw.owner.query('ALTER TABLE stores RENAME COLUMN region_moved TO region');
    }
  });
});

describe.each(BACKENDS)('rate limits and statement timeout on %s', (kind) => {
  let gw: TestGateway;
  const c = tenant(0xc, 'Tenant C');
  const d = tenant(0xd, 'Tenant D');
  const e = tenant(0xe, 'Tenant E');

  beforeAll(async () => {
    gw = await startTestGateway(kind, {
      RATE_LIMIT_REQUESTS: '3',
      RATE_LIMIT_WINDOW_SECONDS: '60',
      STATEMENT_TIMEOUT_MS: '20',
    });
    for (const t of [c, d, e]) await insertTenant(gw.owner, t);
  });
  afterAll(() => gw?.close());

  it('limits requests per tenant with 429 and Retry-After', async () => {
    const tokenC = await gw.token(c.customerId);
    const tokenD = await gw.token(d.customerId);
    // Refused tokens cost nothing.
    for (let i = 0; i < 4; i += 1) {
      expect((await gw.graphql('{ viewer { role } }', {}, `${tokenD}x`)).status).toBe(401);
    }
    for (let i = 0; i < 3; i += 1) {
      expect((await gw.graphql('{ viewer { role } }', {}, tokenC)).status).toBe(200);
    }
    const limited = await gw.graphql('{ viewer { role } }', {}, tokenC);
    expect(limited.status).toBe(429);
    expect(limited.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(limited.errors?.[0]?.message).toMatch(/more than 3 requests in 60 s/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await gw.graphql('{ viewer { role } }', {}, tokenD)).status).toBe(200);
  });

  it('sets the statement timeout for the request transaction only', async () => {
    const token = await gw.token(e.customerId);
    expect((await gw.graphql('{ stores { edges { node { id } } } }', {}, token)).status).toBe(200);
    const { rows } = await gw.owner.query<{ statement_timeout: string }>('SHOW statement_timeout');
    expect(rows[0]?.statement_timeout).toBe('0');
  });

  // The embedded build (WASM) has no timer signal, so PostgreSQL's statement_timeout only
  // fires on a PostgreSQL server.
  it.runIf(kind === 'postgres')(
    'cancels a statement over the timeout with a TIMEOUT error',
    async () => {
      await gw.owner.query(
        `INSERT INTO products (customer_id, id, sku, name, category, unit_price)
       SELECT $1, gen_random_uuid(), 'BULK-' || n, 'Bulk product ' || n, 'Bulk', 1
       FROM generate_series(1, 300000) n`,
        [e.customerId],
      );
      const token = await gw.token(e.customerId);
      const res = await gw.graphql(
        '{ products(search: "no such product") { edges { cursor } } }',
        {},
        token,
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('TIMEOUT');
      expect(res.errors?.[0]?.message).toMatch(/statement timeout/);
    },
  );
});

describe.each(BACKENDS)('rate limits shared through Redis on %s', (kind) => {
  const prefix = uniqueRedisPrefix('rate');
  let replicas: TestGateway[] = [];
  const c = tenant(0xc, 'Tenant C');

  beforeAll(async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_REQUESTS: '3' };
    replicas = [await startTestGateway(kind, env), await startTestGateway(kind, env)];
    for (const replica of replicas) await insertTenant(replica.owner, c);
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
  });

  it('counts a tenant’s requests across replicas', async () => {
    const [first, second] = replicas;
    if (!first || !second) throw new Error('two replicas expected');
    const token = await first.token(c.customerId);
    const statuses = [];
    for (const replica of [first, second, first, second]) {
      statuses.push((await replica.graphql('{ viewer { role } }', {}, token)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
