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
