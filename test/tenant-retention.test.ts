import { Writable } from 'node:stream';
import { pino } from 'pino';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Maintenance } from '../src/db/maintenance.js';
import { RequestDb } from '../src/db/request-db.js';
import { BACKENDS } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { centsText, insertSales, insertTenants, salesTenant } from './support/sales-data.js';
import type { SaleRow } from './support/sales-data.js';

// Each tenant keeps its sale lines for its own horizon (customers.retention): the gateway
// refuses what that horizon would delete, and the retention run deletes each tenant's lines
// and keys at its own cutoff, saying what it deleted in the log and on /metrics.

const DAY = 86_400_000;
const VIEWER = '{ viewer { retention } }';
const SET = `mutation($r: String!, $c: Boolean) {
  setRetention(retention: $r, confirm: $c) { retention horizon linesToDelete } }`;
const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;

describe.each(BACKENDS)('retention per tenant on %s', (kind) => {
  let gw: TestGateway;
  const long = salesTenant(0x7a, 'Long memory', 2);
  const short = salesTenant(0x7b, 'Short memory', 2);
  const now = Date.now();
  const sale = (tenant: string, n: number, ageDays: number): SaleRow => ({
    customerId: tenant,
    transactionId: uuid(0x7a0, n),
    time: now - ageDays * DAY,
    storeId: uuid(1, 1 + (n % 2)),
    productId: uuid(2, 1 + (n % 4)),
    quantity: n,
    priceCents: 250n,
  });
  const ages = [400, 120, 45, 5];
  const longSales = ages.map((age, i) => sale(long.customerId, i + 1, age));
  const shortSales = ages.map((age, i) => sale(short.customerId, i + 11, age));

  // What the tenant itself sees, hot and archived lines alike, and its idempotency keys.
  const storedAs = async (customerId: string) => {
    const db = new RequestDb(gw.owner, {
      customerId,
      role: 'admin',
      storeIds: null,
      statementTimeoutMs: 10_000,
    });
    try {
      const [row] = await db.query<{ lines: number; keys: number }>(sql`
        SELECT (SELECT count(*)::int FROM sale_lines) AS lines,
               (SELECT count(*)::int FROM sale_keys) AS keys`);
      return row;
    } finally {
      await db.finish('rollback');
    }
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind, { RETENTION: '30 days' });
    await insertTenants(gw.owner, [long, short]);
    await gw.owner.query(`UPDATE customers SET retention = '20 years' WHERE id = $1`, [
      long.customerId,
    ]);
    await insertSales(gw.owner, [...longSales, ...shortSales]);
  }, 120_000);
  afterAll(() => gw?.close());

  it('shows each tenant its own horizon; one without takes RETENTION', async () => {
    const as = async (id: string) =>
      (await gw.graphql(VIEWER, {}, await gw.token(id, 'analyst'))).data;
    expect(await as(long.customerId)).toEqual({ viewer: { retention: '20 years' } });
    expect(await as(short.customerId)).toEqual({ viewer: { retention: '30 days' } });
  });

  it('compares with spans as far back as the tenant’s own horizon', async () => {
    // The last 60 days against the same days a year before: the 400-day-old line is there.
    const trend = `query ($from: DateTime!, $to: DateTime!) {
      salesTrend(granularity: MONTH, range: { from: $from, to: $to }, compareTo: PREVIOUS_YEAR) {
        compared { units } } }`;
    const range = {
      from: new Date(now - 60 * DAY).toISOString(),
      to: new Date(now).toISOString(),
    };
    const inRange = (rows: SaleRow[], from: number, to: number) =>
      rows.filter((r) => r.time >= from && r.time < to).reduce((n, r) => n + r.quantity, 0);
    const comparedFrom = new Date(range.from);
    comparedFrom.setUTCFullYear(comparedFrom.getUTCFullYear() - 1);
    const comparedTo = new Date(range.to);
    comparedTo.setUTCFullYear(comparedTo.getUTCFullYear() - 1);
    const expected = inRange(longSales, comparedFrom.getTime(), comparedTo.getTime());
    expect(expected).toBeGreaterThan(0);
    const long_ = await gw.graphql<{ salesTrend: { compared: { units: number } | null }[] }>(
      trend,
      range,
      await gw.token(long.customerId, 'analyst'),
    );
    expect(long_.errors).toBeUndefined();
    const buckets = long_.data?.salesTrend ?? [];
    expect(buckets.length).toBeGreaterThan(0);
    expect(buckets.every((b) => b.compared !== null)).toBe(true);
    expect(buckets.reduce((n, b) => n + (b.compared?.units ?? 0), 0)).toBe(expected);
    const short_ = await gw.graphql<{ salesTrend: { compared: unknown }[] }>(
      trend,
      range,
      await gw.token(short.customerId, 'analyst'),
    );
    expect(short_.errors).toBeUndefined();
    expect(short_.data?.salesTrend.every((b) => b.compared === null)).toBe(true);
  });

  it('refuses at recordSales only what the tenant’s own horizon would delete', async () => {
    const line = (n: number, ageDays: number) => ({
      transactionId: uuid(0x7a1, n),
      time: new Date(now - ageDays * DAY).toISOString(),
      storeId: uuid(1, 1),
      productId: uuid(2, 1),
      quantity: 1,
      unitPrice: centsText(199n),
    });
    const kept = await gw.graphql(
      RECORD,
      { s: [line(1, 300)] },
      await gw.token(long.customerId, 'admin'),
    );
    expect(kept.errors).toBeUndefined();
    expect(kept.data).toEqual({ recordSales: { accepted: 1, duplicates: 0 } });
    const refused = await gw.graphql(
      RECORD,
      { s: [line(2, 40)] },
      await gw.token(short.customerId, 'admin'),
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/\(the tenant keeps "30 days"\)/);
    await gw.owner.query(`DELETE FROM sale_keys WHERE transaction_id = $1`, [uuid(0x7a1, 1)]);
    await gw.owner.query(`DELETE FROM transactions WHERE transaction_id = $1`, [uuid(0x7a1, 1)]);
  });

  it('reads the horizon in the insert: one statement, and a refused batch stores nothing', async () => {
    const token = await gw.token(short.customerId, 'admin');
    const line = (n: number, ageDays: number, own: Record<string, string> = {}) => ({
      transactionId: uuid(0x7a2, n),
      time: new Date(now - ageDays * DAY).toISOString(),
      productId: uuid(2, 1),
      quantity: 1,
      unitPrice: centsText(199n),
      ...(own.storeCode ? {} : { storeId: uuid(1, 1) }),
      ...own,
    });
    const before = await storedAs(short.customerId);
    const refusals: [string, unknown[]][] = [
      // Within the day the gateway's horizon keeps inside the retention run's: the insert
      // stores the line, and the refusal rolls it back.
      ['a day inside the horizon', [line(1, 5), line(2, 29.5)]],
      // A line too old is named before what the insert itself would have refused.
      ['beside a foreign store id', [line(3, 40, { storeId: uuid(9, 9) })]],
      ['beside an unknown code', [line(4, 5, { storeCode: 'NO-SUCH' }), line(5, 40)]],
      ['before a bad line', [line(6, 40), line(7, 5, { unitPrice: '-1' })]],
    ];
    for (const [why, sales] of refusals) {
      const refused = await gw.graphql(RECORD, { s: sales }, token);
      expect(refused.errors?.[0]?.extensions?.code, why).toBe('BAD_USER_INPUT');
      expect(refused.errors?.[0]?.message, why).toMatch(
        /older than the retention horizon .* \(the tenant keeps "30 days"\)/,
      );
    }
    expect(await storedAs(short.customerId)).toEqual(before);
    const kept = await gw.graphql(RECORD, { s: [line(1, 5), line(8, 28)] }, token);
    expect(kept.errors).toBeUndefined();
    expect(kept.data).toEqual({ recordSales: { accepted: 2, duplicates: 0 } });
    // The horizon came with the insert: no statement of its own (TimescaleDB adds the rollup
    // ledger's entry).
    expect(kept.extensions?.sqlStatements).toBe(kind === 'timescale' ? 2 : 1);
    const after = await storedAs(short.customerId);
    expect(after).toEqual({ lines: (before?.lines ?? 0) + 2, keys: (before?.keys ?? 0) + 2 });
    const ids = [uuid(0x7a2, 1), uuid(0x7a2, 8)];
    await gw.owner.query(`DELETE FROM sale_keys WHERE transaction_id = ANY($1::uuid[])`, [ids]);
    await gw.owner.query(`DELETE FROM transactions WHERE transaction_id = ANY($1::uuid[])`, [ids]);
  });

  it('deletes each tenant’s lines and keys at its own cutoff and logs what it deleted', async () => {
    const logged: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    // The gateway's own upkeep, with a logger the test reads; on TimescaleDB the archive moves
    // lines older than 30 days into compressed chunks first, whose rows are then deleted.
    const maintenance = new Maintenance(gw.owner, {
      backend: gw.database.backend,
      embedded: kind === 'timescale',
      mode: 'gateway',
      compressAfter: kind === 'timescale' ? '30 days' : null,
      retention: '30 days',
      logger: pino({ level: 'info' }, sink),
    });
    await maintenance.run();
    expect(maintenance.status.tasks.every((t) => t.consecutiveFailures === 0)).toBe(true);
    expect(await storedAs(long.customerId)).toEqual({ lines: 4, keys: 4 });
    expect(await storedAs(short.customerId)).toEqual({ lines: 1, keys: 1 });
    if (kind === 'timescale') {
      // The short tenant's old lines were deleted out of compressed archive chunks.
      const { rows: archived } = await gw.owner.query<{ lines: number; compressed: number }>(
        `SELECT (SELECT count(*)::int FROM archive.transactions WHERE customer_id = $1) AS lines,
                (SELECT count(*)::int FROM timescaledb_information.chunks
                 WHERE hypertable_schema = 'archive' AND hypertable_name = 'transactions'
                   AND is_compressed) AS compressed`,
        [long.customerId],
      );
      expect(archived[0]?.lines).toBe(3);
      expect(archived[0]?.compressed).toBeGreaterThan(0);
    }
    const deletions = logged.filter((l) => l['msg'] === 'retention deleted old sale lines');
    expect(
      deletions.map(({ tenant, retention, lines, keys }) => ({ tenant, retention, lines, keys })),
    ).toEqual([{ tenant: short.customerId, retention: '30 days', lines: 3, keys: 3 }]);
    const cutoff = Date.parse(String(deletions[0]?.['cutoff']));
    expect(Math.abs(cutoff - (Date.now() - 30 * DAY))).toBeLessThan(60_000);
    expect(maintenance.retentionDeleted).toEqual({ lines: 3, keys: 3 });
    // The tenant without a horizon of its own has now adopted RETENTION.
    const { rows } = await gw.owner.query<{ retention: string }>(
      `SELECT retention FROM customers WHERE id = $1`,
      [short.customerId],
    );
    expect(rows).toEqual([{ retention: '30 days' }]);
  });

  it('shortens a horizon only when confirmed, saying how many lines it deletes', async () => {
    const admin = await gw.token(long.customerId, 'admin');
    const asked = await gw.graphql(SET, { r: '100 days' }, admin);
    expect(asked.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(asked.errors?.[0]?.extensions?.['linesToDelete']).toBe(2);
    expect(asked.errors?.[0]?.message).toMatch(/would delete 2 stored sale lines .* confirm: true/);
    const unchanged = await gw.graphql(VIEWER, {}, admin);
    expect(unchanged.data).toEqual({ viewer: { retention: '20 years' } });

    const confirmed = await gw.graphql<{
      setRetention: { retention: string; horizon: string; linesToDelete: number };
    }>(SET, { r: ' 100 Days', c: true }, admin);
    expect(confirmed.errors).toBeUndefined();
    expect(confirmed.data?.setRetention).toMatchObject({ retention: '100 days', linesToDelete: 2 });
    const horizon = Date.parse(confirmed.data?.setRetention.horizon ?? '');
    expect(Math.abs(horizon - (Date.now() - 99 * DAY))).toBeLessThan(60_000);

    const longer = await gw.graphql(SET, { r: '3 years' }, admin);
    expect(longer.errors).toBeUndefined();
    const back = await gw.graphql(SET, { r: '100 days', c: true }, admin);
    expect(back.errors).toBeUndefined();

    await gw.database.runMaintenance();
    expect(await storedAs(long.customerId)).toEqual({ lines: 2, keys: 2 });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^shelfops_retention_deleted_lines_total 2$/m);
    expect(metrics).toMatch(/^shelfops_retention_deleted_keys_total 2$/m);
  });

  it('lets only an unscoped admin change it, to a horizon it can read', async () => {
    const refusals = [
      [await gw.token(long.customerId, 'analyst'), 'FORBIDDEN'],
      [await gw.token(long.customerId, 'admin', [uuid(1, 1)]), 'FORBIDDEN'],
    ] as const;
    for (const [token, code] of refusals) {
      const res = await gw.graphql(SET, { r: '1 day', c: true }, token);
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
    }
    const admin = await gw.token(long.customerId, 'admin');
    for (const bad of ['forever', '0 days', '2 fortnights', '10000 years', '']) {
      const res = await gw.graphql(SET, { r: bad, c: true }, admin);
      expect(res.errors?.[0]?.extensions?.code, bad).toBe('BAD_USER_INPUT');
    }
    // Nothing changed, for this tenant or the other.
    const { rows } = await gw.owner.query<{ retention: string }>(
      `SELECT retention FROM customers WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [[long.customerId, short.customerId]],
    );
    expect(rows).toEqual([{ retention: '100 days' }, { retention: '30 days' }]);
  });
});
