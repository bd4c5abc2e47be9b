import { createHash, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTenant, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { runImportCommand } from './support/import-command.js';
import { waitFor } from './support/lifecycle.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';

const STORE = `query { store(code: "R-1") { code name } }`;
const RENAME = `mutation($name: String!) {
  upsertStores(stores: [{ code: "R-1", name: $name, region: "UK", timeZone: "Europe/London" }]) { updated } }`;
// Each request waits for Redis at most REDIS_TIMEOUT_MS per call, and not at all once the
// circuit is open: well under this bound, which the whole stall (forever) would exceed.
const ANSWER_WITHIN_MS = 1500;

// Redis is the same for both backends: the database only answers what the cache cannot.
describe('a stalled Redis (SIGSTOP) on the postgres backend', () => {
  let redis: PrivateRedis;
  let gw: TestGateway;
  const tenant = uuid(0x2e, 0);
  let token = '';

  /** POSTs to /graphql, failing instead of waiting past `ANSWER_WITHIN_MS` × 2. */
  const post = async (body: Record<string, unknown>) => {
    const started = performance.now();
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS * 2),
    });
    const json = (await res.json()) as { data?: unknown; errors?: unknown[] };
    return {
      status: res.status,
      ...json,
      cache: res.headers.get('x-shelfops-cache'),
      ms: performance.now() - started,
    };
  };
  const ready = async () => {
    const res = await fetch(`${gw.url}/ready`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
    return { status: res.status, ...((await res.json()) as { ready: boolean; cache?: string }) };
  };

  beforeAll(async () => {
    redis = await startPrivateRedis();
    gw = await startTestGateway('postgres', {
      REDIS_URL: redis.url,
      REDIS_TIMEOUT_MS: '50',
      REDIS_PROBE_MS: '200',
      RESPONSE_CACHE_TTL_SECONDS: '300',
    });
    await insertTenant(gw.owner, {
      customerId: tenant,
      name: 'Stalled cache',
      stores: [{ id: uuid(0x2e, 1), code: 'R-1', name: 'Before', timeZone: 'Europe/London' }],
      products: [],
    });
    token = await gw.token(tenant, 'admin');
  });
  afterAll(async () => {
    await gw?.close();
    await redis?.destroy();
  });

  it('answers every request within the deadline from the database, reports cache: degraded, and recovers', async () => {
    expect(await ready()).toMatchObject({ status: 200, ready: true, cache: 'ok' });
    expect(await post({ query: STORE })).toMatchObject({ status: 200, cache: 'MISS' });
    expect(await post({ query: STORE })).toMatchObject({
      status: 200,
      cache: 'HIT',
      data: { store: { code: 'R-1', name: 'Before' } },
    });

    redis.freeze();
    try {
      // Queries (rate limit, data version, cached answer), a mutation (its version bump) and an
      // automatic persisted query (its store) all answer, each within the bound.
      const during = [];
      for (let i = 0; i < 5; i += 1) during.push(await post({ query: STORE }));
      const renamed = await post({ query: RENAME, variables: { name: 'During' } });
      const document = `query Named { store(code: "R-1") { name } }`;
      const apq = await post({
        query: document,
        extensions: {
          persistedQuery: {
            version: 1,
            sha256Hash: createHash('sha256').update(document).digest('hex'),
          },
        },
      });
      const after = await post({ query: STORE });
      for (const answer of [...during, renamed, apq, after]) {
        expect(answer.status).toBe(200);
        expect(answer.errors).toBeUndefined();
        expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
      }
      expect(during.map((a) => a.data)).toEqual(
        during.map(() => ({ store: { code: 'R-1', name: 'Before' } })),
      );
      expect(renamed.data).toEqual({ upsertStores: { updated: 1 } });
      expect(apq.data).toEqual({ store: { name: 'During' } });
      expect(after.data).toEqual({ store: { code: 'R-1', name: 'During' } });
      // Once the circuit is open, a request does not wait for Redis at all.
      expect(after.ms).toBeLessThan(500);
      expect(await ready()).toMatchObject({ status: 200, ready: true, cache: 'degraded' });
    } finally {
      redis.thaw();
    }

    await waitFor(async () => (await ready()).cache === 'ok', 5000);
    // The write made while Redis stalled moved the version on once Redis answered again: the
    // answer cached before it is not served.
    const fresh = await post({ query: STORE });
    expect(fresh).toMatchObject({ status: 200, data: { store: { code: 'R-1', name: 'During' } } });
    expect(await post({ query: STORE })).toMatchObject({
      cache: 'HIT',
      data: { store: { code: 'R-1', name: 'During' } },
    });
  });

  it('runs an import to its end while Redis stalls, and says the gateways were not told', async () => {
    const other = uuid(0x2f, 0);
    await insertTenant(gw.owner, { customerId: other, name: 'Import', stores: [], products: [] });
    const fixtures = join(import.meta.dirname, 'fixtures/import');
    const refused = join(tmpdir(), `shelfops-redis-stall-${randomUUID()}.tsv`);
    redis.freeze();
    try {
      const { stdout } = await runImportCommand(
        gw,
        [
          'sales',
          join(fixtures, 'column-count.csv'),
          '--tenant',
          other,
          '--mapping',
          join(import.meta.dirname, '../examples/import/online-retail.json'),
          '--refused',
          refused,
        ],
        { REDIS_URL: redis.url, RETENTION: '30 years', REDIS_TIMEOUT_MS: '50' },
      );
      expect(stdout).toMatch(/^4 lines read in [\d.]+ s: 2 stored, 0 already stored, 2 refused$/m);
      expect(stdout).toMatch(/Redis \(REDIS_URL\) did not answer/);
    } finally {
      redis.thaw();
      await rm(refused, { force: true });
    }
  });
});
