import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const QUERY = '{ viewer { role } }';
const CAPACITY = 100_000;

/** A JSON body of exactly `bytes` bytes: the query, padded with a variable it does not use. */
function body(bytes: number, query = QUERY): string {
  const bare = JSON.stringify({ query, variables: { pad: '' } });
  return JSON.stringify({ query, variables: { pad: 'x'.repeat(bytes - bare.length) } });
}

interface Answer {
  status: number;
  retryAfter: string | null;
  code: unknown;
}

describe('request bodies held at once (MAX_BODIES_IN_FLIGHT_BYTES)', () => {
  let gw: TestGateway;
  let token = '';
  const [tenant] = twinTenants();

  /** Sends `text` with its length announced, half of it, then the rest after `pauseMs`. */
  const post = (text: string, pauseMs = 0, abort = false) =>
    new Promise<Answer>((resolve, reject) => {
      const url = new URL(`${gw.url}/graphql`);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          let data = '';
          res.on('data', (chunk: Buffer) => (data += chunk.toString()));
          res.on('end', () => {
            const parsed = JSON.parse(data || '{}') as {
              errors?: { extensions?: { code?: unknown } }[];
            };
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'] ?? null,
              code: parsed.errors?.[0]?.extensions?.code ?? null,
            });
          });
        },
      );
      req.on('error', (error) =>
        abort ? resolve({ status: 0, retryAfter: null, code: null }) : reject(error),
      );
      const half = Math.floor(text.length / 2);
      req.write(text.slice(0, half));
      void sleep(pauseMs).then(() => (abort ? req.destroy() : req.end(text.slice(half))));
    });

  beforeAll(async () => {
    gw = await startTestGateway('postgres', {
      MAX_BODY_BYTES: '60000',
      MAX_BODIES_IN_FLIGHT_BYTES: String(CAPACITY),
      DB_POOL_WAIT_MS: '1500',
    });
    await insertTenant(gw.owner, tenant);
    token = await gw.token(tenant.customerId, 'analyst');
  });
  afterAll(() => gw?.close());

  it('makes a body wait for room, refuses it with 503 OVERLOADED when none comes in time, and lets one that fits through', async () => {
    const slow = post(body(55_000), 4000);
    await sleep(300);
    const started = Date.now();
    const refused = await post(body(55_000));
    expect(refused).toEqual({ status: 503, retryAfter: '1', code: 'OVERLOADED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(await post(body(40_000))).toMatchObject({ status: 200 });
    expect(await slow).toMatchObject({ status: 200 });
  });

  it('gives back the bytes of every request, whatever became of it', async () => {
    const outcomes = await Promise.all([
      post(`{"query": "${'x'.repeat(30_000)}`),
      post(body(30_000, '{ nope }')),
      post(body(30_000)),
      post(body(30_000, 'mutation { recordSales(sales: []) { accepted } }')),
    ]);
    // Unreadable JSON, a document the schema refuses, an answer, a refused mutation.
    expect(outcomes.map((o) => o.status)).toEqual([400, 200, 200, 200]);
    expect(outcomes[1]?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(outcomes[2]?.code).toBeNull();
    expect(outcomes[3]?.code).not.toBeNull();
    await post(body(30_000), 200, true);
    await sleep(500);
    // Had any of them kept its 30 000 bytes, this pair (95 000 of 100 000) could not be held
    // at once, and the second would wait out DB_POOL_WAIT_MS behind the slow first.
    const slow = post(body(55_000), 2500);
    await sleep(300);
    expect(await post(body(40_000))).toMatchObject({ status: 200 });
    expect(await slow).toMatchObject({ status: 200 });
  });
});
