import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestDb } from '../src/db/request-db.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { ROUTE, salesTrend, type TrendInput } from '../src/sales/sales-store.js';
import { BACKENDS } from './support/backends.js';
import { openMigratedDatabase, type FoundationDb } from './support/foundation-db.js';
import {
  generateSales,
  insertSales,
  insertTenants,
  onReceipts,
  salesTenant,
} from './support/sales-data.js';
import { storeDayTrend } from './support/trend-input.js';

const tenant = salesTenant(0x7a, 'Answers', 3);
const rows = onReceipts(
  generateSales(tenant, 0x7b, [{ from: '2026-03-01T00:00:00Z', days: 30 }], 3, 40, 9),
);

const base = storeDayTrend(
  { from: new Date('2026-03-15T05:17:31Z'), to: new Date('2026-03-30T13:45:02Z') },
  {
    zone: { kind: 'fixed', zone: 'Europe/Berlin' },
    groupBy: { store: true, product: false, category: true },
    fillGaps: true,
  },
);
// Plain, windowed and compared trends: every kind of column an answer carries (instants,
// integers, decimals as text, booleans, nulls, dotted names), and the order of the rows.
const QUESTIONS: Record<string, TrendInput> = {
  plain: base,
  windowed: { ...base, window: { rolling: 7, cumulative: true } },
  compared: {
    ...base,
    fillGaps: false,
    compare: { to: 'PREVIOUS_PERIOD', horizon: new Date('2026-03-01T00:00:00Z') },
  },
};

// On the embedded database an answer of many rows comes as one JSON text per row; it must be
// the very rows pg reads from the plain statement.
describe.each(BACKENDS)('answers as JSON rows on %s', (kind) => {
  let db: FoundationDb;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    await insertTenants(db.owner, [tenant]);
    await insertSales(db.owner, rows);
    await refreshSalesRollups(db.owner, db.backend, null, null);
  });
  afterAll(() => db?.close());

  const trend = async (input: TrendInput, answersAsJson: boolean) => {
    const request = new RequestDb(db.owner, {
      customerId: tenant.customerId,
      role: 'analyst',
      storeIds: null,
      statementTimeoutMs: 60_000,
      answersAsJson,
    });
    try {
      return await salesTrend(request, input, ROUTE);
    } finally {
      await request.finish('rollback');
    }
  };

  for (const [name, input] of Object.entries(QUESTIONS)) {
    it(`reads the ${name} trend’s rows alike either way`, async () => {
      const plain = await trend(input, false);
      expect(plain.length).toBeGreaterThan(20);
      expect(plain[0]?.bucket).toBeInstanceOf(Date);
      expect(await trend(input, true)).toEqual(plain);
    });
  }
});
