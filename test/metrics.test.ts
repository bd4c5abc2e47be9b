import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const PROMTOOL = '/usr/bin/promtool';
const METRICS_TOKEN = 'metrics-token-for-the-test';

/** The value of one sample of the exposition `text`, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe.each(BACKENDS)('metrics on %s', (kind) => {
  let gw: TestGateway;
  const [a] = twinTenants();
  const scrape = async (token = METRICS_TOKEN) => {
    const response = await fetch(`${gw.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, text: await response.text() };
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind, { METRICS_TOKEN, RATE_LIMIT_REQUESTS: '4' });
    await insertTenant(gw.owner, a);
  });
  afterAll(() => gw?.close());

  it('needs METRICS_TOKEN when it is set', async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect((await scrape('wrong-token-wrong-token-wrong-token')).status).toBe(401);
    expect((await scrape()).status).toBe(200);
  });

  it('labels operations by name, never by URL or variables, and counts refusals', async () => {
    const token = await gw.token(a.customerId);
    const secret = 'variable-value-that-must-not-leak';
    const query =
      'query StoreByCode($search: String) { products(search: $search) { edges { cursor } } }';
    const url = `${gw.url}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ search: secret }))}`;
    const get = await fetch(url, {
      headers: {
        authorization: `Bearer ${token}`,
        'x-graphql-csrf': '1',
        accept: 'application/json',
      },
    });
    expect(get.status).toBe(200);
    // Refused tokens, by reason.
    expect((await gw.graphql('{ viewer { role } }', {})).status).toBe(401);
    expect((await gw.graphql('{ viewer { role } }', {}, `${token}x`)).status).toBe(401);
    // Over the rate limit of 4 requests: the GET above and these three pass, the fifth is refused.
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push((await gw.graphql('query Me { viewer { role } }', {}, token)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);

    const { text } = await scrape();
    expect(text).not.toContain(secret);
    expect(text).not.toContain('/graphql?');
    expect(
      sample(
        text,
        'shelfops_graphql_operation_duration_seconds_count{operation="StoreByCode",kind="query",outcome="ok"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'shelfops_graphql_operation_duration_seconds_count{operation="Me",kind="query",outcome="ok"}',
      ),
    ).toBe(3);
    expect(sample(text, 'shelfops_auth_failures_total{reason="missing"}')).toBe(1);
    expect(sample(text, 'shelfops_auth_failures_total{reason="signature"}')).toBe(1);
    expect(sample(text, 'shelfops_rate_limit_refusals_total')).toBe(1);
    expect(sample(text, 'shelfops_graphql_errors_total{code="RATE_LIMITED"}')).toBe(1);
  });

  it('reports Node process figures and the pool', async () => {
    const { text } = await scrape();
    expect(sample(text, 'shelfops_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'shelfops_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    const total = sample(text, 'shelfops_db_pool_connections{state="total"}');
    const idle = sample(text, 'shelfops_db_pool_connections{state="idle"}');
    expect(total).toBeGreaterThanOrEqual(1);
    expect(idle).toBeLessThanOrEqual(total);
    expect(text).toMatch(/^shelfops_db_pool_connections\{state="waiting"\} \d+$/m);
  });

  it.skipIf(!existsSync(PROMTOOL) && process.env.CI !== 'true')(
    'passes promtool check metrics',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'shelfops-metrics-'));
      try {
        const file = join(dir, 'metrics.txt');
        await writeFile(file, (await scrape()).text);
        const run = promisify(execFile);
        // promtool reads the exposition from standard input.
        const result = await run('sh', ['-c', `${PROMTOOL} check metrics < "${file}"`]).then(
          ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
          (error: { code: number; stdout: string; stderr: string }) => ({
            code: error.code,
            output: error.stdout + error.stderr,
          }),
        );
        expect(result.output).toBe('');
        expect(result.code).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('operation labels and cache hits in the duration histogram', () => {
  let gw: TestGateway;
  const [a] = twinTenants();
  const series = (operation: string, outcome: string) =>
    `shelfops_graphql_operation_duration_seconds_count{operation="${operation}",kind="query",outcome="${outcome}"}`;
  const scrape = async () => (await fetch(`${gw.url}/metrics`)).text();

  beforeAll(async () => {
    gw = await startTestGateway('postgres', {
      RESPONSE_CACHE_TTL_SECONDS: '60',
      RATE_LIMIT_REQUESTS: '0',
    });
    await insertTenant(gw.owner, a);
  });
  afterAll(() => gw?.close());

  it('records answers of the response cache as hits', async () => {
    const token = await gw.token(a.customerId);
    const query = 'query Dashboard { stores(first: 5) { edges { node { code } } } }';
    const cache = [];
    for (let i = 0; i < 3; i += 1) {
      cache.push((await gw.graphql(query, {}, token)).headers.get('x-shelfops-cache'));
    }
    expect(cache).toEqual(['MISS', 'HIT', 'HIT']);
    const text = await scrape();
    expect(sample(text, series('Dashboard', 'ok'))).toBe(1);
    expect(sample(text, series('Dashboard', 'hit'))).toBe(2);
  });

  it('labels only names that have succeeded, so made-up names cannot take the place of real ones', async () => {
    const token = await gw.token(a.customerId);
    expect((await gw.graphql('query Known { viewer { role } }', {}, token)).status).toBe(200);
    // More made-up names than there are label slots, each failing in its resolver.
    for (let i = 0; i < 260; i += 1) {
      const junk = await gw.graphql(`query Junk${i} { store { code } }`, {}, token);
      expect(junk.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect((await gw.graphql('query Fresh { viewer { role } }', {}, token)).status).toBe(200);
    expect((await gw.graphql('query Known { viewer { role } }', {}, token)).status).toBe(200);
    const text = await scrape();
    expect(text).not.toMatch(/operation="Junk\d+"/);
    expect(sample(text, series('other', 'error'))).toBe(260);
    expect(sample(text, series('Fresh', 'ok'))).toBe(1);
    // Its second answer came from the response cache.
    expect(sample(text, series('Known', 'ok')) + sample(text, series('Known', 'hit'))).toBe(2);
  });

  it('serves GraphQL at the configured path only', async () => {
    const token = await gw.token(a.customerId);
    const body = JSON.stringify({ query: '{ viewer { role } }' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    for (const path of ['/foo/graphql', '/foo/graphql/', '/x?y=/graphql', '/api/v1/graphql']) {
      const response = await fetch(`${gw.url}${path}`, { method: 'POST', headers, body });
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
    const served = await fetch(`${gw.url}/graphql`, { method: 'POST', headers, body });
    expect(served.status).toBe(200);
  });
});
