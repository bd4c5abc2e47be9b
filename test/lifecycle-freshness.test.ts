import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { createLogger } from '../src/logger.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { asGateway } from './support/foundation-db.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;
const TREND = `query($r: TimeRange!) { salesTrend(granularity: DAY, range: $r) { units } }`;
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;

/** Sale lines on one day `daysAgo` days back, `count` of them with quantity 3. */
function sales(group: number, daysAgo: number, count: number, storeId: string, productId: string) {
  return Array.from({ length: count }, (_, i) => ({
    transactionId: uuid(group, i + 1),
    time: new Date(today - daysAgo * DAY + 3_600_000 + i * 60_000).toISOString(),
    storeId,
    productId,
    quantity: 3,
    unitPrice: '2.00',
  }));
}
const dayRange = (daysAgo: number) => ({
  from: new Date(today - daysAgo * DAY).toISOString(),
  to: new Date(today - (daysAgo - 1) * DAY).toISOString(),
});

describe.each(BACKENDS)('the rollup freshness ledger on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();
  const store = a.stores[0]?.id ?? '';
  const product = a.products[0]?.id ?? '';

  const ledger = async () =>
    (await gw.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM stale_rollup_ranges'))
      .rows[0]?.n;
  const trendUnits = async (token: string, daysAgo: number) => {
    const r = await gw.graphql<{ salesTrend: { units: string }[] }>(
      TREND,
      { r: dayRange(daysAgo) },
      token,
    );
    expect(r.errors).toBeUndefined();
    return (r.data?.salesTrend ?? []).reduce((sum, x) => sum + Number(x.units), 0);
  };
  // Makes the next refresh of the hourly rollup fail, as an outage between commit and refresh would.
  const breakRefresh = () =>
    gw.owner.query('ALTER MATERIALIZED VIEW rollup.sales_hourly RENAME TO sales_hourly_moved');
  const repairRefresh = () =>
    gw.owner.query('ALTER MATERIALIZED VIEW rollup.sales_hourly_moved RENAME TO sales_hourly');

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    for (const t of [a, b]) await insertTenant(gw.owner, t);
    // A sale today, refreshed: the rollups are materialized up to now, so a back-dated write
    // stays invisible to them until its range is refreshed.
    await gw.owner.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
       VALUES ($1, $2, now() - interval '1 minute', $3, $4, 1, 1.00, 1.00)`,
      [a.customerId, uuid(0xf0, 1), store, product],
    );
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
  });
  afterAll(() => gw?.close());

  it('lets the gateway role add and see entries of its own tenant only, never erase them', async () => {
    await gw.owner.query(
      `INSERT INTO stale_rollup_ranges (customer_id, id, range_start, range_end)
       VALUES ($1, gen_random_uuid(), now() - interval '1 hour', now())`,
      [b.customerId],
    );
    const settings = { 'app.customer_id': a.customerId, 'app.role': 'admin', 'app.store_ids': '*' };
    const outcome = await asGateway(gw.owner, settings, async (query) => {
      const attempt = (statement: string) =>
        query(statement).then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        );
      return {
        own: await attempt(
          `INSERT INTO stale_rollup_ranges (customer_id, id, range_start, range_end)
           VALUES (app.current_customer_id(), gen_random_uuid(), now() - interval '1 hour', now())`,
        ),
        other: await attempt(
          `INSERT INTO stale_rollup_ranges (customer_id, id, range_start, range_end)
           VALUES ('${b.customerId}', gen_random_uuid(), now() - interval '1 hour', now())`,
        ),
        erase: await attempt('DELETE FROM stale_rollup_ranges'),
        seen: await query<{ customer: string }>(
          'SELECT customer_id::text AS customer FROM stale_rollup_ranges',
        ),
      };
    });
    await gw.owner.query('DELETE FROM stale_rollup_ranges');
    expect(outcome).toEqual({
      own: 'ok',
      other: '42501',
      erase: '42501',
      seen: [{ customer: a.customerId }],
    });
  });

  it.runIf(kind === 'timescale')(
    'reports a write whose refresh failed as accepted; its retry leaves the rollup fresh',
    async () => {
      const token = await gw.token(a.customerId, 'admin');
      const lines = sales(0xf1, 200, 5, store, product);
      await breakRefresh();
      let first;
      try {
        first = await gw.graphql(RECORD, { s: lines }, token);
      } finally {
        await repairRefresh();
      }
      expect(first.errors).toBeUndefined();
      expect(first.data).toEqual({ recordSales: { accepted: 5, duplicates: 0 } });
      expect(await ledger()).toBe(1);
      expect(await trendUnits(token, 200)).toBe(0);

      const retry = await gw.graphql(RECORD, { s: lines }, token);
      expect(retry.data).toEqual({ recordSales: { accepted: 0, duplicates: 5 } });
      expect(await trendUnits(token, 200)).toBe(15);
      expect(await ledger()).toBe(0);
    },
  );

  it.runIf(kind === 'timescale')(
    'refreshes what a failed refresh left stale on the next maintenance run',
    async () => {
      const token = await gw.token(a.customerId, 'admin');
      await breakRefresh();
      try {
        const r = await gw.graphql(RECORD, { s: sales(0xf2, 150, 4, store, product) }, token);
        expect(r.data).toEqual({ recordSales: { accepted: 4, duplicates: 0 } });
      } finally {
        await repairRefresh();
      }
      expect(await trendUnits(token, 150)).toBe(0);
      await gw.database.runMaintenance();
      expect(await ledger()).toBe(0);
      expect(await trendUnits(token, 150)).toBe(12);
    },
  );

  it.runIf(kind === 'postgres')(
    'drains at start what a process stopped between commit and refresh left behind',
    async () => {
      await gw.owner.query(
        `INSERT INTO stale_rollup_ranges (customer_id, id, range_start, range_end)
         VALUES ($1, gen_random_uuid(), now() - interval '2 days', now() - interval '1 day')`,
        [a.customerId],
      );
      expect(await ledger()).toBe(1);
      const restarted = await openDatabase(gw.config, createLogger('silent'));
      await restarted.close();
      expect(await ledger()).toBe(0);
    },
  );

  it('leaves no entry behind after a write whose refresh succeeded', async () => {
    const token = await gw.token(a.customerId, 'admin');
    const r = await gw.graphql(RECORD, { s: sales(0xf3, 100, 2, store, product) }, token);
    expect(r.data).toEqual({ recordSales: { accepted: 2, duplicates: 0 } });
    expect(await ledger()).toBe(0);
    expect(await trendUnits(token, 100)).toBe(6);
  });
});
