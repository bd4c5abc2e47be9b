import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/tokens.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { createScratchDatabase, type ScratchDatabase } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startGatewayProcess, type GatewayProcess } from './support/foundation-process.js';
import { activeStatements, lockTable, waitFor } from './support/lifecycle.js';
import { filledEmbeddedCopy } from './support/templates.js';

const SECRET = 'lifecycle-secret-lifecycle-secret-0042';
const STORES = '{ stores(first: 10) { edges { node { id } } } }';
const PRODUCTS = '{ products(first: 10) { edges { node { id } } } }';
const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;
const TREND = `query($r: TimeRange!, $s: [UUID!]) { salesTrend(granularity: DAY, range: $r, storeIds: $s) { units } }`;
const LINES_PER_BATCH = 20;
const DAY = 86_400_000;
// Whole UTC days well before the demo data (120 days) and within retention.
const RANGE_FROM = new Date(Math.floor(Date.now() / DAY) * DAY - 200 * DAY);
const RANGE = { from: RANGE_FROM.toISOString(), to: new Date(+RANGE_FROM + 2 * DAY).toISOString() };

interface Body<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function graphql<T>(url: string, token: string, query: string, variables = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Body<T> };
}

const serverToken = (customerId: string) =>
  mintToken({
    secret: SECRET,
    issuer: 'shelfops-dev',
    audience: 'shelfops-gateway',
    customerId,
    role: 'admin',
  });

describe('SIGTERM with requests in flight (PostgreSQL server)', () => {
  let scratch: ScratchDatabase;
  let owner: Pool;
  let gateway: GatewayProcess | null = null;
  const [tenant] = twinTenants();

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    owner = createPool(scratch.url, 2);
  });
  afterAll(async () => {
    await gateway?.kill();
    await owner?.end();
    await scratch?.drop();
  });

  it('finishes every request, refuses new connections and exits 0 within a second of the last', async () => {
    const started = await startGatewayProcess({ DATABASE_URL: scratch.url, JWT_SECRET: SECRET });
    gateway = started;
    await insertTenant(owner, tenant);
    const token = await serverToken(tenant.customerId);
    // A kept-alive connection that is idle when the signal comes.
    expect((await fetch(`${started.url}/health`)).status).toBe(200);
    const lock = await lockTable(scratch.url, 'stores');
    const inFlight = Array.from({ length: 5 }, async () => {
      const result = await graphql<{ stores: { edges: unknown[] } }>(started.url, token, STORES);
      return { ...result, at: performance.now() };
    });
    await waitFor(async () => (await activeStatements(scratch.url, 'listStores')).length === 5);
    const exit = started.stop().then((code) => ({ code, at: performance.now() }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(fetch(`${started.url}/health`)).rejects.toThrow();
    await lock.release();
    const answers = await Promise.all(inFlight);
    const { code, at } = await exit;
    gateway = null;
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.data?.stores.edges).toHaveLength(tenant.stores.length);
    }
    expect(code).toBe(0);
    expect(at - Math.max(...answers.map((a) => a.at))).toBeLessThan(1000);
  });

  it('closes kept-alive connections cleanly: answers in flight say Connection: close, the next request is refused, never reset', async () => {
    const started = await startGatewayProcess({ DATABASE_URL: scratch.url, JWT_SECRET: SECRET });
    gateway = started;
    const token = await serverToken(tenant.customerId);
    const agent = new Agent({ keepAlive: true, maxSockets: 5 });
    const { port } = new URL(started.url);
    const post = (query: string) =>
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const body = JSON.stringify({ query });
        const req = request(
          {
            agent,
            host: '127.0.0.1',
            port,
            path: '/graphql',
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              authorization: `Bearer ${token}`,
            },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      // Five kept-alive connections, each then busy with a request held by a lock at SIGTERM;
      // each client sends its next request as soon as its answer is in.
      const warm = await Promise.all(Array.from({ length: 5 }, () => post(PRODUCTS)));
      expect(warm.map((w) => w.connection)).toEqual(Array(5).fill('keep-alive'));
      const lock = await lockTable(scratch.url, 'stores');
      const clients = Array.from({ length: 5 }, async () => {
        const answer = await post(STORES);
        const next = await post(PRODUCTS).then(
          () => 'answered',
          (error: NodeJS.ErrnoException) => error.code ?? error.message,
        );
        return { ...answer, next };
      });
      await waitFor(async () => (await activeStatements(scratch.url, 'listStores')).length === 5);
      const exit = started.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await lock.release();
      const outcomes = await Promise.all(clients);
      expect(await exit).toBe(0);
      gateway = null;
      for (const outcome of outcomes) {
        expect(outcome).toEqual({ status: 200, connection: 'close', next: 'ECONNREFUSED' });
      }
    } finally {
      agent.destroy();
    }
  });
});

interface Batch {
  n: number;
  lines: Array<Record<string, unknown>>;
}

function batch(n: number, storeId: string, productId: string): Batch {
  return {
    n,
    lines: Array.from({ length: LINES_PER_BATCH }, (_, i) => ({
      transactionId: uuid(0x9e11, n * 100 + i),
      time: new Date(+RANGE_FROM + 3_600_000 + n * 60_000 + i * 1000).toISOString(),
      storeId,
      productId,
      quantity: 1,
      unitPrice: '1.25',
    })),
  };
}

/** Sends batches from two loops until `acknowledged` reach `count`, then kills the gateway. */
async function recordUntilKilled(
  gateway: GatewayProcess,
  token: string,
  make: (n: number) => Batch,
  count: number,
): Promise<{ sent: Batch[]; acknowledged: Batch[] }> {
  const sent: Batch[] = [];
  const acknowledged: Batch[] = [];
  let next = 0;
  let killed = false;
  const loop = async () => {
    while (!killed) {
      const b = make(next++);
      sent.push(b);
      try {
        const r = await graphql<{ recordSales: { accepted: number } }>(gateway.url, token, RECORD, {
          s: b.lines,
        });
        if (r.status === 200 && r.body.data?.recordSales.accepted === LINES_PER_BATCH) {
          acknowledged.push(b);
        }
      } catch {
        // The connection died with the process: not acknowledged.
      }
      if (acknowledged.length >= count && !killed) {
        killed = true;
        await gateway.kill();
      }
    }
  };
  await Promise.all([loop(), loop()]);
  return { sent, acknowledged };
}

async function units(url: string, token: string, storeId: string): Promise<number> {
  const r = await graphql<{ salesTrend: { units: string }[] }>(url, token, TREND, {
    r: RANGE,
    s: [storeId],
  });
  expect(r.body.errors).toBeUndefined();
  return (r.body.data?.salesTrend ?? []).reduce((sum, b) => sum + Number(b.units), 0);
}

describe.each(['postgres', 'timescale'] as const)(
  'kill -9 during a recordSales loop (%s)',
  (kind) => {
    let scratch: ScratchDatabase | null = null;
    let embedded: Awaited<ReturnType<typeof filledEmbeddedCopy>> | null = null;
    let owner: Pool | null = null;
    let gateway: GatewayProcess | null = null;
    const [tenant] = twinTenants();

    beforeAll(async () => {
      if (kind === 'postgres') {
        scratch = await createScratchDatabase();
        owner = createPool(scratch.url, 2);
        return;
      }
      // A migrated data directory with the test's tenant, written before the gateway opens it:
      // with a tenant there, it loads no demo data set (minutes on a loaded machine), which
      // the batches, dated before it, never needed.
      embedded = await filledEmbeddedCopy((pool) => insertTenant(pool, tenant));
    });
    afterAll(async () => {
      await gateway?.kill();
      await owner?.end();
      await scratch?.drop();
      await embedded?.remove();
    });

    it('keeps every acknowledged batch exactly once after a restart', async () => {
      const env = {
        JWT_SECRET: SECRET,
        // No maintenance run in the test's window: only the ledger keeps the rollups fresh.
        ROLLUP_REFRESH_SECONDS: '3600',
        ...(scratch
          ? { DATABASE_URL: scratch.url }
          : { EMBEDDED_DATA_DIR: embedded?.dataDir ?? '' }),
      };
      gateway = await startGatewayProcess(env, 240_000);
      const { customerId } = tenant;
      if (owner) await insertTenant(owner, tenant);
      const token = await serverToken(customerId);
      const first = async (query: string, field: 'stores' | 'products') => {
        const r = await graphql<Record<string, { edges: { node: { id: string } }[] }>>(
          gateway?.url ?? '',
          token,
          query,
        );
        return r.body.data?.[field]?.edges[0]?.node.id ?? '';
      };
      const storeId = await first(STORES, 'stores');
      const productId = await first(PRODUCTS, 'products');
      expect(storeId).not.toBe('');
      expect(await units(gateway.url, token, storeId)).toBe(0);

      const { sent, acknowledged } = await recordUntilKilled(
        gateway,
        token,
        (n) => batch(n, storeId, productId),
        8,
      );
      gateway = await startGatewayProcess(env, 240_000);

      // Each batch is one transaction: present whole (every acknowledged one) or not at all.
      const present = await units(gateway.url, token, storeId);
      expect(present % LINES_PER_BATCH).toBe(0);
      expect(present).toBeGreaterThanOrEqual(acknowledged.length * LINES_PER_BATCH);
      expect(present).toBeLessThanOrEqual(sent.length * LINES_PER_BATCH);

      for (const b of sent) {
        const retry = await graphql<{ recordSales: { accepted: number; duplicates: number } }>(
          gateway.url,
          token,
          RECORD,
          { s: b.lines },
        );
        const outcome = retry.body.data?.recordSales;
        if (acknowledged.includes(b)) {
          expect(outcome).toEqual({ accepted: 0, duplicates: LINES_PER_BATCH });
        } else {
          expect([0, LINES_PER_BATCH]).toContain(outcome?.accepted);
          expect((outcome?.accepted ?? 0) + (outcome?.duplicates ?? 0)).toBe(LINES_PER_BATCH);
        }
      }
      expect(await units(gateway.url, token, storeId)).toBe(sent.length * LINES_PER_BATCH);
      if (owner) {
        const { rows } = await owner.query<{ lines: number; ids: number }>(
          `SELECT count(*)::int AS lines, count(DISTINCT transaction_id)::int AS ids
           FROM transactions WHERE customer_id = $1 AND time >= $2 AND time < $3`,
          [customerId, RANGE.from, RANGE.to],
        );
        expect(rows).toEqual([
          { lines: sent.length * LINES_PER_BATCH, ids: sent.length * LINES_PER_BATCH },
        ]);
      }
      expect(await gateway.stop()).toBe(0);
      gateway = null;
    }, 480_000);
  },
);
