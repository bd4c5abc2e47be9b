import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitArrayLiteral } from '../src/sales/chunked-insert.js';
import { arrayLiteral, quoted } from '../src/sales/ingest.js';
import { BACKENDS } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { insertTenants, salesTenant } from './support/sales-data.js';

const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;
const ALERTS = '{ alerts(first: 5) { edges { node { id } } } }';
const CHUNK = 500;
// Small chunks: a lone upload inserts four chunks a statement, and these batches still take several.
const SMALL_CHUNK = 100;

interface Line {
  transactionId: string;
  time: string;
  storeId: string;
  productId: string;
  quantity: number;
  unitPrice: string;
  receiptId: string | null;
}

// Receipt ids with the characters an array literal escapes or splits on.
const RECEIPTS = [null, 'R,1', 'R"2', 'R\\3', 'R{4}', 'NULL', ' R 6 '];

const line = (batch: number, n: number): Line => ({
  transactionId: uuid(0xb000 + batch, n),
  time: new Date(Date.parse('2026-06-01T08:00:00Z') + n * 17_000).toISOString(),
  storeId: uuid(1, 1 + (n % 2)),
  productId: uuid(2, 1 + (n % 4)),
  quantity: n % 7 === 0 ? -1 : 1 + (n % 5),
  unitPrice: `${n % 90}.${String(n % 100).padStart(2, '0')}`,
  receiptId: RECEIPTS[n % RECEIPTS.length] ?? null,
});

/** The revenue of `lines` in cents, computed here from what was sent. */
const revenueCents = (lines: readonly Line[]) =>
  lines.reduce(
    (sum, l) => sum + BigInt(l.quantity) * BigInt(Math.round(Number(l.unitPrice) * 100)),
    0n,
  );

type Recorded = { recordSales: { accepted: number; duplicates: number } };

describe('splitArrayLiteral', () => {
  it('cuts a literal into literals of n elements, whatever the elements hold', () => {
    const elements = Array.from({ length: 23 }, (_, n) =>
      n % 5 === 0 ? 'NULL' : quoted(`${RECEIPTS[n % RECEIPTS.length] ?? ''}\\"${n}`),
    );
    const literal = arrayLiteral(elements);
    for (const size of [1, 4, 5, 23, 40]) {
      const parts = splitArrayLiteral(literal, size);
      expect(parts).toHaveLength(Math.ceil(elements.length / size));
      const expected = Array.from({ length: parts.length }, (_, k) =>
        arrayLiteral(elements.slice(k * size, (k + 1) * size)),
      );
      expect(parts).toEqual(expected);
    }
  });
});

describe.each(BACKENDS)('chunked uploads on %s', (kind) => {
  let gw: TestGateway;
  let token = '';
  const tenant = salesTenant(0xd, 'Tenant D', 2);

  const stored = async () => {
    const { rows } = await gw.owner.query<{ n: string; cents: string | null }>(
      `SELECT count(*) AS n, (sum(revenue) * 100)::bigint::text AS cents
       FROM transactions WHERE customer_id = $1`,
      [tenant.customerId],
    );
    return { n: Number(rows[0]?.n), cents: BigInt(rows[0]?.cents ?? '0') };
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind, {
      UPLOAD_CHUNK_LINES: String(SMALL_CHUNK),
      // Large: a chunk here waits for the queries in flight to end, never for the bound.
      UPLOAD_YIELD_MS: '60000',
    });
    await insertTenants(gw.owner, [tenant]);
    token = await gw.token(tenant.customerId, 'admin');
  });
  afterAll(() => gw?.close());

  it('stores a batch of several chunks as one statement would, duplicates across chunks included', async () => {
    const lines = Array.from({ length: 2100 }, (_, n) => line(1, n));
    // Line 1700 (a later statement: repeated ids go last) repeats line 100: a duplicate of it.
    lines[1700] = { ...(lines[100] as Line) };
    const before = await stored();
    const first = await gw.graphql<Recorded>(RECORD, { s: lines }, token);
    expect(first.errors).toBeUndefined();
    expect(first.data?.recordSales).toEqual({ accepted: 2099, duplicates: 1 });
    const unique = lines.filter((_, n) => n !== 1700);
    const after = await stored();
    expect(after.n - before.n).toBe(unique.length);
    expect(after.cents - before.cents).toBe(revenueCents(unique));
    const { rows } = await gw.owner.query<{ transaction_id: string; receipt_id: string | null }>(
      `SELECT transaction_id, receipt_id FROM transactions WHERE customer_id = $1`,
      [tenant.customerId],
    );
    const receipts = new Map(rows.map((r) => [r.transaction_id, r.receipt_id]));
    for (const l of unique) expect(receipts.get(l.transactionId)).toBe(l.receiptId);

    const retry = await gw.graphql<Recorded>(RECORD, { s: lines }, token);
    expect(retry.data?.recordSales).toEqual({ accepted: 0, duplicates: 2100 });
    expect(await stored()).toEqual(after);
  });

  it('keeps nothing of earlier chunks when a later chunk conflicts', async () => {
    const taken = line(2, 9999);
    const small = await gw.graphql<Recorded>(RECORD, { s: [taken] }, token);
    expect(small.data?.recordSales.accepted).toBe(1);
    const before = await stored();
    const lines = Array.from({ length: 1800 }, (_, n) => line(3, n));
    // Line 1650 (a later chunk) reuses a stored transaction id with another quantity.
    lines[1650] = { ...(lines[1650] as Line), transactionId: taken.transactionId };
    const answer = await gw.graphql<Recorded>(RECORD, { s: lines }, token);
    expect(answer.data).toBeNull();
    expect(answer.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(answer.errors?.[0]?.message).toContain(`sales[1650].transactionId`);
    expect(await stored()).toEqual(before);
    // The same lines without the conflict are all new: the earlier chunks left nothing.
    lines[1650] = line(3, 1650);
    const again = await gw.graphql<Recorded>(RECORD, { s: lines }, token);
    expect(again.data?.recordSales).toEqual({ accepted: 1800, duplicates: 0 });
  });

  it('opens a receipt at its first line in the batch, whichever chunk its lines fall in', async () => {
    const lines: Line[] = Array.from({ length: 1200 }, (_, n) => ({
      ...line(5, n),
      receiptId: null,
    }));
    const receipt = { receiptId: 'OPEN-1', storeId: uuid(1, 1), productId: uuid(2, 3) };
    // The receipt's first line is a day later than its second, which sorts earlier.
    lines[100] = { ...(lines[100] as Line), ...receipt, time: '2026-06-02T09:00:00.000Z' };
    lines[900] = { ...(lines[900] as Line), ...receipt, time: '2026-06-01T07:00:00.000Z' };
    const answer = await gw.graphql<Recorded>(RECORD, { s: lines }, token);
    expect(answer.data?.recordSales).toEqual({ accepted: 1200, duplicates: 0 });
    const { rows } = await gw.owner.query<{ id: string; receipt: boolean; product: boolean }>(
      `SELECT transaction_id AS id, opens_receipt AS receipt, opens_product AS product
       FROM transactions WHERE customer_id = $1 AND receipt_id = 'OPEN-1'`,
      [tenant.customerId],
    );
    const opened = new Map(rows.map((r) => [r.id, [r.receipt, r.product]]));
    expect(opened.get(lines[100]?.transactionId ?? '')).toEqual([true, true]);
    expect(opened.get(lines[900]?.transactionId ?? '')).toEqual([false, false]);
  });

  it('reports the lowest conflicting line of a batch whose conflicts fall in different chunks', async () => {
    const taken = [line(6, 5000), line(6, 5001)] as const;
    const small = await gw.graphql<Recorded>(RECORD, { s: taken }, token);
    expect(small.data?.recordSales.accepted).toBe(2);
    const before = await stored();
    const lines = Array.from({ length: 1200 }, (_, n) => line(7, n));
    // Line 1100 sorts into the first chunk (store 1, an early day), line 40 into the last.
    lines[1100] = {
      ...(lines[1100] as Line),
      transactionId: taken[0].transactionId,
      storeId: uuid(1, 1),
      time: '2026-05-20T08:00:00.000Z',
    };
    lines[40] = {
      ...(lines[40] as Line),
      transactionId: taken[1].transactionId,
      storeId: uuid(1, 2),
      time: '2026-06-03T08:00:00.000Z',
    };
    // Line 30 repeats line 20's id with another quantity: the batch's first conflict.
    lines[30] = { ...(lines[20] as Line), quantity: (lines[20]?.quantity ?? 1) + 1 };
    const conflicts: string[] = [];
    for (const s of [lines, lines.map((l, n) => (n === 30 ? line(7, 30) : l))]) {
      const answer = await gw.graphql<Recorded>(RECORD, { s }, token);
      expect(answer.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      conflicts.push(answer.errors?.[0]?.message ?? '');
    }
    expect(conflicts[0]).toContain('sales[30].transactionId');
    expect(conflicts[1]).toContain('sales[40].transactionId');
    expect(await stored()).toEqual(before);
  });

  it.runIf(kind === 'timescale')(
    'never waits on the embedded database, whose one connection the upload holds',
    async () => {
      const lines = Array.from({ length: 1200 }, (_, n) => line(4, n));
      const [upload, ...queries] = await Promise.all([
        gw.graphql<Recorded>(RECORD, { s: lines }, token),
        ...Array.from({ length: 4 }, () => gw.graphql(ALERTS, {}, token)),
      ]);
      expect(upload.data?.recordSales).toEqual({ accepted: 1200, duplicates: 0 });
      for (const q of queries) expect(q.errors).toBeUndefined();
      expect(await metric(gw, 'shelfops_upload_chunk_waits_total')).toBe(0);
    },
  );
});

/** A value of the gateway's /metrics. */
async function metric(gw: TestGateway, name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

describe('uploads give way to queries on postgres', () => {
  const tenant = salesTenant(0xe, 'Tenant E', 2);

  /**
   * Holds a query in execution: the owner locks the alerts table, the query blocks on it in
   * PostgreSQL until `release`. Sessions are watched on a connection of its own: the gateway's
   * pool may be taken by work the lock holds up.
   */
  async function blockedQuery(gw: TestGateway, token: string) {
    const client = async () => {
      const c = new pg.Client({ connectionString: gw.config.databaseUrl ?? '' });
      // The scratch database is dropped with its connections if a test fails before release.
      c.on('error', () => undefined);
      await c.connect();
      return c;
    };
    const locker = await client();
    const watcher = await client();
    const sessions = async (condition: string) => {
      const { rows } = await watcher.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND ${condition}`,
      );
      return Number(rows[0]?.n);
    };
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE');
    const answer = gw.graphql(ALERTS, {}, token).then((a) => ({ ...a, at: performance.now() }));
    // The query is executing once its statement waits for the lock.
    for (
      let tries = 0;
      tries < 200 &&
      (await sessions(`query LIKE '%listAlerts%' AND wait_event_type = 'Lock'`)) === 0;
      tries += 1
    ) {
      await sleep(50);
    }
    return {
      answer,
      release: async () => {
        await locker.query('COMMIT');
        await locker.end();
      },
      end: () => watcher.end(),
    };
  }

  it('starts no chunk while a query executes, and goes on as soon as it has ended', async () => {
    const gw = await startTestGateway('postgres', {
      UPLOAD_CHUNK_LINES: String(CHUNK),
      UPLOAD_YIELD_MS: '60000',
      // The blocked query must outlast the upload's start on a busy machine.
      STATEMENT_TIMEOUT_MS: '120000',
    });
    try {
      await insertTenants(gw.owner, [tenant]);
      const token = await gw.token(tenant.customerId, 'admin');
      const query = await blockedQuery(gw, token);
      const lines = Array.from({ length: 1500 }, (_, n) => line(5, n));
      let answered = false;
      const upload = gw.graphql<Recorded>(RECORD, { s: lines }, token).then((a) => {
        answered = true;
        return { ...a, at: performance.now() };
      });
      let waiting = 0;
      for (let tries = 0; tries < 200 && waiting === 0; tries += 1) {
        waiting = await metric(gw, 'shelfops_upload_chunks_waiting');
        if (waiting === 0) await sleep(50);
      }
      expect(waiting).toBe(1);
      // Held for a while: the upload is still waiting, and its request has not been answered.
      await sleep(1000);
      expect(await metric(gw, 'shelfops_upload_chunks_waiting')).toBe(1);
      expect(answered).toBe(false);
      const released = performance.now();
      await query.release();
      const [q, u] = await Promise.all([query.answer, upload]);
      expect(q.errors).toBeUndefined();
      expect(u.data?.recordSales).toEqual({ accepted: 1500, duplicates: 0 });
      expect(u.at).toBeGreaterThan(q.at);
      // Far below the 60 s bound: the wait ended with the query.
      expect(u.at - released).toBeLessThan(15_000);
      expect(await metric(gw, 'shelfops_upload_chunk_waits_total')).toBeGreaterThanOrEqual(1);
      await query.end();
    } finally {
      await gw.close();
    }
  });

  it('waits at most UPLOAD_YIELD_MS a chunk, so uploads progress under queries that never end', async () => {
    const yieldMs = 300;
    const gw = await startTestGateway('postgres', {
      UPLOAD_CHUNK_LINES: String(CHUNK),
      UPLOAD_YIELD_MS: String(yieldMs),
      STATEMENT_TIMEOUT_MS: '120000',
    });
    try {
      await insertTenants(gw.owner, [tenant]);
      const token = await gw.token(tenant.customerId, 'admin');
      const query = await blockedQuery(gw, token);
      const lines = Array.from({ length: 1500 }, (_, n) => line(6, n));
      const started = performance.now();
      const upload = await gw.graphql<Recorded>(RECORD, { s: lines }, token);
      const tookMs = performance.now() - started;
      expect(upload.data?.recordSales).toEqual({ accepted: 1500, duplicates: 0 });
      // Three chunks, each waited the whole bound for the query, which still runs.
      expect(await metric(gw, 'shelfops_upload_chunk_waits_total')).toBe(3);
      const waited = await metric(gw, 'shelfops_upload_chunk_wait_seconds_total');
      expect(waited).toBeGreaterThanOrEqual((3 * yieldMs * 0.95) / 1000);
      expect(tookMs).toBeGreaterThanOrEqual(3 * yieldMs * 0.95);
      await query.release();
      expect((await query.answer).errors).toBeUndefined();
      await query.end();
    } finally {
      await gw.close();
    }
  });
});
