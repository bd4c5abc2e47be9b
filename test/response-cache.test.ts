import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { memoryResponseStore } from '../src/cache/response-store.js';
import { CSRF_HEADER } from '../src/server/app.js';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './support/access-gateway.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, uuid } from './support/fixtures.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';
import {
  CATEGORIES,
  expectedTrend,
  generateSales,
  insertSales,
  insertTenants,
  salesTenant,
  type SaleRow,
  type TrendQuestion,
} from './support/sales-data.js';
import { askTrend, TREND } from './support/sales-trend.js';
import { runCli } from './support/cli.js';

const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;
const CACHE_ON = { RESPONSE_CACHE_TTL_SECONDS: '300' };

// Twin tenants: the same store and product ids, different sales.
const a = salesTenant(0xa, 'Tenant A', 2);
const b = salesTenant(0xb, 'Tenant B', 2);
const categoryOf = (productId: string) =>
  CATEGORIES[Number.parseInt(productId.slice(-2), 16) - 1] ?? 'Dairy';
const periods = [{ from: '2026-05-01T00:00:00Z', days: 30 }];
const question: TrendQuestion = {
  from: '2026-05-01T00:00:00Z',
  to: '2026-06-01T00:00:00Z',
  granularity: 'DAY',
  groupBy: ['STORE'],
};
const variables = {
  range: { from: question.from, to: question.to },
  g: 'DAY',
  groupBy: ['STORE'],
  fill: false,
};

/** A sale line as recordSales takes it, and as the oracle counts it. */
function newLine(customerId: string, n: number) {
  const input = {
    transactionId: uuid(0xcafe, n),
    time: new Date(Date.parse('2026-05-10T12:00:00Z') + n * 60_000).toISOString(),
    storeId: uuid(1, 1),
    productId: uuid(2, 2),
    quantity: 3,
    unitPrice: '2.50',
  };
  const row: SaleRow = {
    customerId,
    transactionId: input.transactionId,
    time: Date.parse(input.time),
    storeId: input.storeId,
    productId: input.productId,
    quantity: 3,
    priceCents: 250n,
  };
  return { input, row };
}

const cacheStatus = (res: { headers: Headers; extensions?: Record<string, unknown> }) => ({
  header: res.headers.get('x-shelfops-cache'),
  hit: (res.extensions?.['responseCache'] as { hit?: boolean } | undefined)?.hit,
  statements: res.extensions?.['sqlStatements'],
});

describe.each(BACKENDS)('response cache (in memory) on %s', (kind) => {
  let gw: TestGateway;
  const rowsA = generateSales(a, 11, periods, 2, 12);
  const rowsB = generateSales(b, 12, periods, 2, 7);

  beforeAll(async () => {
    gw = await startTestGateway(kind, CACHE_ON);
    await insertTenants(gw.owner, [a, b]);
    await insertSales(gw.owner, [...rowsA, ...rowsB]);
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
  });
  afterAll(() => gw?.close());

  it('serves a repeated query from the cache, without SQL, and says so', async () => {
    const token = await gw.token(a.customerId);
    const first = await gw.graphql(TREND, variables, token);
    const second = await gw.graphql(TREND, variables, token);
    expect(first.errors).toBeUndefined();
    expect(cacheStatus(first)).toMatchObject({ header: 'MISS', hit: false });
    expect(first.extensions?.['sqlStatements']).toBeGreaterThan(0);
    // A hit stops before execution: the statement counter, an execution hook, never runs.
    expect(cacheStatus(second)).toEqual({ header: 'HIT', hit: true, statements: undefined });
    expect(second.data).toEqual(first.data);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/shelfops_response_cache_lookups_total\{outcome="hit"\} [1-9]/);
    expect(metrics).toMatch(/shelfops_response_cache_lookups_total\{outcome="miss"\} [1-9]/);
  });

  it('sends a hit as the stored bytes, unparsed, never reaching execution', async () => {
    const token = await gw.token(a.customerId, 'admin');
    const query = `{ stores(first: 2) { edges { node { id } } } }`;
    const missed = await gw.graphql(query, {}, token);
    expect(cacheStatus(missed).hit).toBe(false);
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    expect(response.headers.get('x-shelfops-cache')).toBe('HIT');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.text()).toBe(
      JSON.stringify({ data: missed.data, extensions: { responseCache: { hit: true } } }),
    );
  });

  it('answers a hit with the type Accept asks for, and ends a small body that trickles with 408', async () => {
    const slow = await startTestGateway(kind, {
      ...CACHE_ON,
      BODY_GRACE_SECONDS: '1',
      BODY_MIN_BYTES_PER_SECOND: '1000',
    });
    try {
      await insertTenants(slow.owner, [a]);
      const token = await slow.token(a.customerId);
      const body = JSON.stringify({ query: `{ stores(first: 1) { edges { node { id } } } }` });
      const ask = (accept: string) =>
        fetch(`${slow.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, accept },
          body,
        });
      expect((await ask('application/json')).headers.get('x-shelfops-cache')).toBe('MISS');
      const hit = await ask('application/graphql-response+json, application/json;q=0.9');
      expect(hit.headers.get('x-shelfops-cache')).toBe('HIT');
      expect(hit.headers.get('content-type')).toBe(
        'application/graphql-response+json; charset=utf-8',
      );
      // Half the body, then nothing for longer than 1 s + its size at 1 000 bytes/s.
      const { port } = new URL(slow.url);
      const socket = connect(Number(port), '127.0.0.1');
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Authorization: Bearer ${token}\r\nContent-Length: ${body.length}\r\n\r\n` +
          body.slice(0, 10),
      );
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(answer).toContain('"code":"BODY_TOO_SLOW"');
    } finally {
      await slow.close();
    }
  });

  it('checks the token, the rate limit and the persisted-operation policy on hits too', async () => {
    const limited = await startTestGateway(kind, {
      ...CACHE_ON,
      RATE_LIMIT_REQUESTS: '3',
      RATE_LIMIT_WINDOW_SECONDS: '60',
    });
    try {
      await insertTenants(limited.owner, [a]);
      const token = await limited.token(a.customerId);
      const query = `{ stores(first: 1) { edges { node { id } } } }`;
      expect(cacheStatus(await limited.graphql(query, {}, token)).hit).toBe(false);
      expect(cacheStatus(await limited.graphql(query, {}, token)).hit).toBe(true);
      // A token that does not verify gets 401, whatever is cached for the query.
      const forged = await limited.graphql(query, {}, `${token.slice(0, -4)}AAAA`);
      expect(forged.status).toBe(401);
      expect(forged.headers.get('x-shelfops-cache')).toBeNull();
      // A partner of the same tenant may not send the text an analyst has cached.
      const partner = await limited.graphql(
        query,
        {},
        await limited.token(a.customerId, 'partner'),
      );
      expect(partner.status).toBe(403);
      expect(partner.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_ONLY');
      // The tenant's fourth request in the window is refused, not served from the cache.
      const refused = await limited.graphql(query, {}, token);
      expect(refused.status).toBe(429);
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
      expect(refused.headers.get('x-shelfops-cache')).toBeNull();
    } finally {
      await limited.close();
    }
  });

  it('refuses hits of a disabled tenant as soon as its status is read again', async () => {
    const gated = await startTestGateway(kind, { ...CACHE_ON, TENANT_STATUS_INTERVAL_MS: '300' });
    try {
      await insertTenants(gated.owner, [a]);
      const token = await gated.token(a.customerId);
      const query = `{ stores(first: 1) { edges { node { id } } } }`;
      const missed = await gated.graphql(query, {}, token);
      expect(cacheStatus(missed).hit).toBe(false);
      // Hits in a row: from the second on, the token and the tenant are known at once.
      for (let n = 0; n < 3; n += 1) {
        const hit = await gated.graphql(query, {}, token);
        expect(cacheStatus(hit).header).toBe('HIT');
        expect(hit.data).toEqual(missed.data);
      }
      await gated.owner.query(`UPDATE customers SET status = 'disabled' WHERE id = $1`, [
        a.customerId,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const refused = await gated.graphql(query, {}, token);
      expect(refused.status).toBe(401);
      expect(refused.errors?.[0]?.message).toBe('the token’s tenant is disabled');
      expect(refused.headers.get('x-shelfops-cache')).toBeNull();
      await gated.owner.query(`UPDATE customers SET status = 'active' WHERE id = $1`, [
        a.customerId,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(cacheStatus(await gated.graphql(query, {}, token)).header).toBe('HIT');
    } finally {
      await gated.close();
    }
  });

  it('registers an automatic persisted query whose answer came from the cache', async () => {
    const token = await gw.token(a.customerId);
    const query = `{ stores(first: 3) { edges { cursor } } }`;
    const hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    const missed = await gw.graphql(query, {}, token);
    expect(cacheStatus(missed).hit).toBe(false);
    const notYet = await gw.post({ extensions }, token);
    expect(notYet.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registering = await gw.post({ query, extensions }, token);
    expect(cacheStatus(registering)).toMatchObject({ header: 'HIT', hit: true });
    const byHash = await gw.post({ extensions }, token);
    expect(cacheStatus(byHash)).toMatchObject({ header: 'HIT', hit: true });
    expect(byHash.data).toEqual(missed.data);
  });

  it('keeps twin tenants apart: same ids, same query, each its own answer', async () => {
    const tokenA = await gw.token(a.customerId);
    const tokenB = await gw.token(b.customerId);
    await gw.graphql(TREND, variables, tokenA);
    const fromB = await gw.graphql(TREND, variables, tokenB);
    expect(cacheStatus(fromB).hit).toBe(false);
    expect(await askTrend(gw, tokenB, question)).toEqual(
      expectedTrend(rowsB, b.customerId, categoryOf, question),
    );
    expect(await askTrend(gw, tokenA, question)).toEqual(
      expectedTrend(rowsA, a.customerId, categoryOf, question),
    );
    // A narrower store scope of the same tenant is a different key as well.
    const scoped = await gw.token(a.customerId, 'analyst', [uuid(1, 2)]);
    const answer = await askTrend(gw, scoped, question);
    expect(answer).toEqual(
      expectedTrend(rowsA, a.customerId, categoryOf, { ...question, storeIds: [uuid(1, 2)] }),
    );
  });

  it('reads its writes: an acknowledged recordSales shows in the next answer', async () => {
    const reader = await gw.token(a.customerId);
    const writer = await gw.token(a.customerId, 'admin');
    const before = await askTrend(gw, reader, question);
    expect(cacheStatus(await gw.graphql(TREND, variables, reader)).hit).toBe(true);
    const line = newLine(a.customerId, 1);
    const write = await gw.graphql(RECORD, { s: [line.input] }, writer);
    expect(write.data).toEqual({ recordSales: { accepted: 1, duplicates: 0 } });
    const after = await gw.graphql(TREND, variables, reader);
    expect(cacheStatus(after).hit).toBe(false);
    const expected = expectedTrend([...rowsA, line.row], a.customerId, categoryOf, question);
    expect(await askTrend(gw, reader, question)).toEqual(expected);
    expect(expected).not.toEqual(before);
    // The other tenant's cached answer was not touched by A's write.
    const tokenB = await gw.token(b.customerId);
    await gw.graphql(TREND, variables, tokenB);
    expect(cacheStatus(await gw.graphql(TREND, variables, tokenB)).hit).toBe(true);
  });

  it('never caches a mutation: a retried batch reports its duplicates', async () => {
    const writer = await gw.token(a.customerId, 'admin');
    const line = newLine(a.customerId, 2);
    const first = await gw.graphql(RECORD, { s: [line.input] }, writer);
    const retry = await gw.graphql(RECORD, { s: [line.input] }, writer);
    expect(first.data).toEqual({ recordSales: { accepted: 1, duplicates: 0 } });
    expect(retry.data).toEqual({ recordSales: { accepted: 0, duplicates: 1 } });
    expect(retry.headers.get('x-shelfops-cache')).toBeNull();
  });

  it('never caches an answer with an error, even a partial one', async () => {
    const token = await gw.token(a.customerId);
    const query = `query($range: TimeRange!) { viewer { role } salesTrend(range: $range, granularity: DAY) { units } }`;
    const inverted = { range: { from: question.to, to: question.from } };
    for (let i = 0; i < 2; i += 1) {
      const res = await gw.graphql(query, inverted, token);
      expect(res.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(cacheStatus(res)).toMatchObject({ header: null, hit: undefined });
    }
  });

  it('answers a GET persisted query with an ETag, 304 while the data is unchanged', async () => {
    const token = await gw.token(a.customerId);
    const query = `query StoreTotals($range: TimeRange!) { salesTrend(range: $range, granularity: MONTH, groupBy: [STORE]) { store { id } units revenue } }`;
    const hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    const registered = await gw.post(
      { query, variables: { range: variables.range }, extensions },
      token,
    );
    expect(registered.errors).toBeUndefined();
    const url = new URL(`${gw.url}/graphql`);
    url.searchParams.set('extensions', JSON.stringify(extensions));
    url.searchParams.set('variables', JSON.stringify({ range: variables.range }));
    const get = (headers: Record<string, string> = {}) =>
      fetch(url, {
        headers: { authorization: `Bearer ${token}`, [CSRF_HEADER]: '1', ...headers },
      });
    const first = await get();
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const firstBody = (await first.json()) as { data: unknown };
    const unchanged = await get({ 'if-none-match': etag ?? '' });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
    // Another tenant sending the same tag gets its own answer, not a 304 for A's data.
    const other = await fetch(url, {
      headers: {
        authorization: `Bearer ${await gw.token(b.customerId)}`,
        [CSRF_HEADER]: '1',
        'if-none-match': etag ?? '',
      },
    });
    expect(other.status).toBe(200);
    expect(((await other.json()) as { data: unknown }).data).not.toEqual(firstBody.data);
    const writer = await gw.token(a.customerId, 'admin');
    await gw.graphql(RECORD, { s: [newLine(a.customerId, 3).input] }, writer);
    const changed = await get({ 'if-none-match': etag ?? '' });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const changedBody = (await changed.json()) as {
      data: { salesTrend: { store: { id: string }; units: number; revenue: string }[] };
    };
    const store1 = changedBody.data.salesTrend.find((r) => r.store.id === uuid(1, 1));
    const { rows } = await gw.owner.query<{ units: string; revenue: string }>(
      `SELECT sum(quantity)::text AS units, sum(revenue)::text AS revenue FROM transactions
       WHERE customer_id = $1 AND store_id = $2 AND time >= $3 AND time < $4`,
      [a.customerId, uuid(1, 1), question.from, question.to],
    );
    expect(store1).toEqual({
      store: { id: uuid(1, 1) },
      units: Number(rows[0]?.units),
      revenue: rows[0]?.revenue,
    });
  });
});

describe('response cache shared through Redis by two replicas', () => {
  const prefix = uniqueRedisPrefix('response');
  let replicas: TestGateway[] = [];
  let redis: Redis;
  const rows = generateSales(a, 21, periods, 2, 5);

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    const env = { ...CACHE_ON, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    replicas = [await startTestGateway('postgres', env), await startTestGateway('postgres', env)];
    for (const replica of replicas) {
      await insertTenants(replica.owner, [a]);
      await insertSales(replica.owner, rows);
    }
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('hits on one replica what another stored, and a write on either invalidates both', async () => {
    const [first, second] = replicas;
    if (!first || !second) throw new Error('two replicas expected');
    const reader = await first.token(a.customerId);
    const missed = await first.graphql(TREND, variables, reader);
    expect(cacheStatus(missed).hit).toBe(false);
    const hit = await second.graphql(TREND, variables, reader);
    expect(cacheStatus(hit)).toEqual({ header: 'HIT', hit: true, statements: undefined });
    expect(hit.data).toEqual(missed.data);
    const ttl = await redis.ttl((await redis.keys(`${prefix}response:*`))[0] ?? '');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    // Both replicas' databases get the write (each test gateway has a database of its own);
    // the version bumped by the second must invalidate what the first cached.
    const line = newLine(a.customerId, 4);
    await insertSales(first.owner, [line.row]);
    const writer = await second.token(a.customerId, 'admin');
    const write = await second.graphql(RECORD, { s: [line.input] }, writer);
    expect(write.data).toEqual({ recordSales: { accepted: 1, duplicates: 0 } });
    expect(await redis.get(`${prefix}data-version:${a.customerId}`)).toBe('1');
    const after = await first.graphql(TREND, variables, reader);
    expect(cacheStatus(after).hit).toBe(false);
    expect(await askTrend(first, reader, question)).toEqual(
      expectedTrend([...rows, line.row], a.customerId, categoryOf, question),
    );
  });
});

describe('response cache shared through Redis, and the import command', () => {
  const prefix = uniqueRedisPrefix('import');
  const tenant = uuid(0x31, 0);
  const MONTHS = `query($r: TimeRange!) { salesTrend(range: $r, granularity: MONTH) { bucket units } }`;
  const range = { r: { from: '2010-12-01T00:00:00Z', to: '2012-01-01T00:00:00Z' } };
  let gw: TestGateway;
  let redis: Redis;
  let dir = '';

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    gw = await startTestGateway('postgres', {
      ...CACHE_ON,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    });
    await insertTenant(gw.owner, { customerId: tenant, name: 'Import', stores: [], products: [] });
    dir = await mkdtemp(join(tmpdir(), 'shelfops-import-cache-'));
  });
  afterAll(async () => {
    await gw?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves no answer cached before an import after it', async () => {
    const token = await gw.token(tenant);
    const units = (r: { data?: { salesTrend: { units: string }[] } | null }) =>
      (r.data?.salesTrend ?? []).reduce((sum, x) => sum + Number(x.units), 0);
    const before = await gw.graphql<{ salesTrend: { units: string }[] }>(MONTHS, range, token);
    expect(units(before)).toBe(0);
    const cached = await gw.graphql<{ salesTrend: { units: string }[] }>(MONTHS, range, token);
    expect(cacheStatus(cached).hit).toBe(true);

    await runCli(
      'import',
      [
        'sales',
        join(import.meta.dirname, '../examples/import/online-retail-sample.csv'),
        '--tenant',
        tenant,
        '--mapping',
        join(import.meta.dirname, '../examples/import/online-retail.json'),
        '--refused',
        join(dir, 'refused.tsv'),
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: gw.config.databaseUrl,
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          RETENTION: '20 years',
          JWT_SECRET: TEST_SECRET,
          NODE_ENV: 'test',
        },
      },
    );
    expect(Number(await redis.get(`${prefix}data-version:${tenant}`))).toBeGreaterThan(0);
    const after = await gw.graphql<{ salesTrend: { units: string }[] }>(MONTHS, range, token);
    expect(cacheStatus(after).hit).toBe(false);
    const { rows } = await gw.owner.query<{ units: string }>(
      'SELECT coalesce(sum(quantity), 0)::text AS units FROM transactions WHERE customer_id = $1',
      [tenant],
    );
    expect(units(after)).toBe(Number(rows[0]?.units));
    expect(units(after)).not.toBe(0);
  });
});

describe('in-memory response store', () => {
  it('holds at most its byte budget, dropping the least recently used', async () => {
    const store = memoryResponseStore({ ttlSeconds: 60, maxBytes: 100_000 });
    const body = (n: number) => JSON.stringify({ data: { n, pad: 'x'.repeat(2_000) } });
    for (let n = 0; n < 200; n += 1) await store.set(`key-${n}`, body(n));
    const kept: number[] = [];
    for (let n = 0; n < 200; n += 1) if ((await store.get(`key-${n}`)) !== null) kept.push(n);
    // Bodies are held as UTF-8 bytes (ASCII here: one a character), keys as strings.
    const bytes = kept.reduce((sum, n) => sum + body(n).length + 2 * `key-${n}`.length, 0);
    expect(bytes).toBeLessThanOrEqual(100_000);
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.at(-1)).toBe(199);
    expect(kept[0]).toBeGreaterThan(0);
  });
});
