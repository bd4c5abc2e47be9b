import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { createLogger } from '../src/logger.js';
import { variantOf, WITH_SERVER, type BackendKind } from './support/backends.js';
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

/** A gateway over two tenants whose rollups are materialized up to now, and probes of it. */
function freshnessFixture(kind: BackendKind, env: Record<string, string>) {
  const fixture = {
    gw: undefined as unknown as TestGateway,
    tenants: twinTenants(),
    ledger: async () =>
      (
        await fixture.gw.owner.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM stale_rollup_ranges',
        )
      ).rows[0]?.n,
    trendUnits: async (token: string, daysAgo: number) => {
      const r = await fixture.gw.graphql<{ salesTrend: { units: string }[] }>(
        TREND,
        { r: dayRange(daysAgo) },
        token,
      );
      expect(r.errors).toBeUndefined();
      return (r.data?.salesTrend ?? []).reduce((sum, x) => sum + Number(x.units), 0);
    },
    // Makes the next refresh of the hourly rollup fail, as an outage would.
    breakRefresh: () =>
      fixture.gw.owner.query(
        'ALTER MATERIALIZED VIEW rollup.sales_hourly RENAME TO sales_hourly_moved',
      ),
    repairRefresh: () =>
      fixture.gw.owner.query(
        'ALTER MATERIALIZED VIEW rollup.sales_hourly_moved RENAME TO sales_hourly',
      ),
  };
  const [a] = fixture.tenants;
  beforeAll(async () => {
    fixture.gw = await startTestGateway(kind, env);
    for (const t of fixture.tenants) await insertTenant(fixture.gw.owner, t);
    // A sale today, refreshed: the rollups are materialized up to now, so a back-dated write
    // stays invisible to them until its range is refreshed.
    await fixture.gw.owner.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
       VALUES ($1, $2, now() - interval '1 minute', $3, $4, 1, 1.00, 1.00)`,
      [a.customerId, uuid(0xf0, 1), a.stores[0]?.id, a.products[0]?.id],
    );
    await refreshSalesRollups(fixture.gw.owner, fixture.gw.database.backend, null, null);
  });
  afterAll(() => fixture.gw?.close());
  return fixture;
}

describe.each(WITH_SERVER)(
  'the rollup freshness ledger on %s, refreshed after each write',
  (kind) => {
    const fixture = freshnessFixture(kind, { ROLLUP_REFRESH: 'after-write' });
    const { ledger, trendUnits, breakRefresh, repairRefresh } = fixture;
    const [a, b] = fixture.tenants;
    const store = a.stores[0]?.id ?? '';
    const product = a.products[0]?.id ?? '';

    it('lets the gateway role add and see entries of its own tenant only, never erase them', async () => {
      await fixture.gw.owner.query(
        `INSERT INTO stale_rollup_ranges (customer_id, id, range_start, range_end)
       VALUES ($1, gen_random_uuid(), now() - interval '1 hour', now())`,
        [b.customerId],
      );
      const settings = {
        'app.customer_id': a.customerId,
        'app.role': 'admin',
        'app.store_ids': '*',
      };
      const outcome = await asGateway(fixture.gw.owner, settings, async (query) => {
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
      await fixture.gw.owner.query('DELETE FROM stale_rollup_ranges');
      expect(outcome).toEqual({
        own: 'ok',
        other: '42501',
        erase: '42501',
        seen: [{ customer: a.customerId }],
      });
    });

    it.runIf(variantOf(kind) === 'timescale')(
      'reports a write whose refresh failed as accepted; its retry leaves the rollup fresh',
      async () => {
        const token = await fixture.gw.token(a.customerId, 'admin');
        const lines = sales(0xf1, 200, 5, store, product);
        await breakRefresh();
        let first;
        try {
          first = await fixture.gw.graphql(RECORD, { s: lines }, token);
        } finally {
          await repairRefresh();
        }
        expect(first.errors).toBeUndefined();
        expect(first.data).toEqual({ recordSales: { accepted: 5, duplicates: 0 } });
        expect(await ledger()).toBe(1);
        expect(await trendUnits(token, 200)).toBe(0);

        const retry = await fixture.gw.graphql(RECORD, { s: lines }, token);
        expect(retry.data).toEqual({ recordSales: { accepted: 0, duplicates: 5 } });
        expect(await trendUnits(token, 200)).toBe(15);
        expect(await ledger()).toBe(0);
      },
    );

    it.runIf(variantOf(kind) === 'timescale')(
      'refreshes what a failed refresh left stale on the next maintenance run',
      async () => {
        const token = await fixture.gw.token(a.customerId, 'admin');
        await breakRefresh();
        try {
          const r = await fixture.gw.graphql(
            RECORD,
            { s: sales(0xf2, 150, 4, store, product) },
            token,
          );
          expect(r.data).toEqual({ recordSales: { accepted: 4, duplicates: 0 } });
        } finally {
          await repairRefresh();
        }
        expect(await trendUnits(token, 150)).toBe(0);
        await fixture.gw.database.runMaintenance();
        expect(await ledger()).toBe(0);
        expect(await trendUnits(token, 150)).toBe(12);
      },
    );

    it.runIf(kind !== 'timescale')(
      'drains at start what a process stopped between commit and refresh left behind',
      async () => {
        await fixture.gw.owner.query(
          `INSERT INTO stale_rollup_ranges (customer_id, id, range_start, range_end)
         VALUES ($1, gen_random_uuid(), now() - interval '2 days', now() - interval '1 day')`,
          [a.customerId],
        );
        expect(await ledger()).toBe(1);
        const restarted = await openDatabase(fixture.gw.config, createLogger('silent'));
        await restarted.close();
        expect(await ledger()).toBe(0);
      },
    );

    it('leaves no entry behind after a write whose refresh succeeded', async () => {
      const token = await fixture.gw.token(a.customerId, 'admin');
      const r = await fixture.gw.graphql(RECORD, { s: sales(0xf3, 100, 2, store, product) }, token);
      expect(r.data).toEqual({ recordSales: { accepted: 2, duplicates: 0 } });
      expect(await ledger()).toBe(0);
      expect(await trendUnits(token, 100)).toBe(6);
    });
  },
);

describe('the rollup freshness ledger on timescale, refreshed before the next read', () => {
  const fixture = freshnessFixture('timescale', { ROLLUP_REFRESH: 'before-read' });
  const { ledger, trendUnits, breakRefresh, repairRefresh } = fixture;
  const [a] = fixture.tenants;
  const store = a.stores[0]?.id ?? '';
  const product = a.products[0]?.id ?? '';

  it('leaves what writes made stale for the next read, which includes every one of them', async () => {
    const token = await fixture.gw.token(a.customerId, 'admin');
    for (const [group, count] of [
      [0xe1, 3],
      [0xe2, 4],
      [0xe3, 5],
    ] as const) {
      const r = await fixture.gw.graphql(
        RECORD,
        { s: sales(group, 90, count, store, product) },
        token,
      );
      expect(r.data).toEqual({ recordSales: { accepted: count, duplicates: 0 } });
    }
    expect(await ledger()).toBe(3);
    const [first, second] = await Promise.all([trendUnits(token, 90), trendUnits(token, 90)]);
    expect([first, second]).toEqual([36, 36]);
    expect(await ledger()).toBe(0);
  });

  it('answers while the refresh fails and refreshes on the first read after it works again', async () => {
    const token = await fixture.gw.token(a.customerId, 'admin');
    const r = await fixture.gw.graphql(RECORD, { s: sales(0xe4, 80, 2, store, product) }, token);
    expect(r.data).toEqual({ recordSales: { accepted: 2, duplicates: 0 } });
    await breakRefresh();
    try {
      expect(await trendUnits(token, 80)).toBe(0);
    } finally {
      await repairRefresh();
    }
    expect(await ledger()).toBe(1);
    expect(await trendUnits(token, 80)).toBe(6);
    expect(await ledger()).toBe(0);
  });
});
