import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequestFacts } from '../src/analytics/data-freshness.js';
import { archiveRowsBefore } from '../src/db/archive.js';
import { RequestDb } from '../src/db/request-db.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { ROUTE, salesTrend } from '../src/sales/sales-store.js';
import { WITH_SERVER, type BackendKind } from './support/backends.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { askTrend } from './support/sales-trend.js';
import {
  CATEGORIES,
  expectedTrend,
  generateSales,
  insertSales,
  insertTenants,
  salesTenant,
  type TrendQuestion,
} from './support/sales-data.js';
import { storeDayTrend } from './support/trend-input.js';

const WEEK = 7 * 86_400_000;
// Archiving rounds down to a chunk boundary (whole weeks since the epoch): Thursday 19 March.
const CUT = '2026-03-21T00:00:00Z';
const BOUNDARY = Math.floor(Date.parse(CUT) / WEEK) * WEEK;

const tenant = salesTenant(0x5a, 'Snapshot', 3);
const rows = generateSales(tenant, 0x5b, [{ from: '2026-03-01T00:00:00Z', days: 40 }], 3, 60, 0);
const category = (id: string) => CATEGORIES[tenant.products.findIndex((p) => p.id === id)] ?? '';

// Over the horizon (archived rollups, late-line archive share, live rollups), and after it only.
const SPANNING: TrendQuestion = {
  from: '2026-03-02T05:17:31Z',
  to: '2026-04-08T13:45:02Z',
  granularity: 'DAY',
  groupBy: ['STORE'],
};
const AFTER: TrendQuestion = {
  from: '2026-03-23T05:17:31Z',
  to: '2026-04-08T13:45:02Z',
  granularity: 'DAY',
  groupBy: ['STORE'],
};
const afterInput = storeDayTrend({ from: new Date(AFTER.from), to: new Date(AFTER.to) });

/** A request's database as the gateway opens it, for a query (`snapshot`) or a mutation. */
function requestDb(gw: TestGateway, snapshot: boolean): RequestDb {
  const db = new RequestDb(gw.database.pool, {
    customerId: tenant.customerId,
    role: 'analyst',
    storeIds: null,
    statementTimeoutMs: 60_000,
  });
  db.readsOneSnapshot = snapshot;
  return db;
}

async function isolationOf(gw: TestGateway, snapshot: boolean) {
  const db = requestDb(gw, snapshot);
  try {
    const [row] = await db.query<{ level: string; readOnly: string }>(
      sql`SELECT current_setting('transaction_isolation') AS level,
                 current_setting('transaction_read_only') AS "readOnly"`,
    );
    return row;
  } finally {
    await db.finish('rollback');
  }
}

const KINDS = WITH_SERVER.filter((kind): kind is Exclude<BackendKind, 'citus'> => kind !== 'citus');

// A query reads one snapshot, so the archive horizon its facts read holds for every statement
// of it, and its sales statements read only the rollup views that hold their buckets.
describe.each(KINDS)('one snapshot per query on %s', (kind) => {
  let gw: TestGateway;
  let token: string;

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [tenant]);
    await insertSales(gw.owner, rows);
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    if (kind !== 'postgres') await archiveRowsBefore(gw.owner, new Date(CUT));
    token = await gw.token(tenant.customerId);
  });
  afterAll(() => gw?.close());

  it('opens a query’s transaction as one read-only snapshot, a mutation’s as read committed', async () => {
    expect(await isolationOf(gw, true)).toEqual({ level: 'repeatable read', readOnly: 'on' });
    expect(await isolationOf(gw, false)).toEqual({ level: 'read committed', readOnly: 'off' });
  });

  it('notes the archive horizon its snapshot read, and only in a snapshot', async () => {
    for (const snapshot of [true, false]) {
      const db = requestDb(gw, snapshot);
      try {
        await readRequestFacts(db, gw.database.backend);
        const expected = kind === 'postgres' ? null : new Date(BOUNDARY);
        expect(db.archiveHorizon).toEqual(snapshot ? { before: expected } : undefined);
      } finally {
        await db.finish('rollback');
      }
    }
  });

  it('answers trends over and after the archive horizon exactly', async () => {
    for (const q of [SPANNING, AFTER]) {
      expect(await askTrend(gw, token, q), JSON.stringify(q)).toEqual(
        expectedTrend(rows, tenant.customerId, category, q),
      );
    }
  });

  // The archived rollups locked away: a statement that names them waits for the lock while it
  // is planned; a query after the horizon does not name them at all.
  it.runIf(kind === 'timescale-server')(
    'reads no archived rollup for a range after the horizon',
    async () => {
      const expected = expectedTrend(rows, tenant.customerId, category, AFTER);
      const gated = requestDb(gw, false);
      const locker = await gw.owner.connect();
      let gatedRows: Promise<unknown>;
      try {
        await locker.query('BEGIN');
        await locker.query(
          'LOCK TABLE archive.sales_daily, archive.sales_hourly IN ACCESS EXCLUSIVE MODE',
        );
        expect(await askTrend(gw, token, AFTER)).toEqual(expected);

        gatedRows = salesTrend(gated, afterInput, ROUTE);
        const waited = await Promise.race([
          gatedRows.then(() => 'answered'),
          new Promise((resolve) => setTimeout(() => resolve('waiting'), 1500)),
        ]);
        expect(waited).toBe('waiting');
      } finally {
        await locker.query('ROLLBACK');
        locker.release();
      }
      const snapshot = requestDb(gw, true);
      try {
        await readRequestFacts(snapshot, gw.database.backend);
        expect(await gatedRows).toEqual(await salesTrend(snapshot, afterInput, ROUTE));
      } finally {
        await snapshot.finish('rollback');
        await gated.finish('rollback');
      }
    },
  );
});
