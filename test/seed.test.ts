import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_TENANTS,
  seedDatabase,
  type SeedOptions,
  type SeedResult,
} from '../src/seed/index.js';
import type { SaleInput } from '../src/sales/ingest.js';
import { BACKENDS } from './support/backends.js';
import {
  asGateway,
  openMigratedDatabase,
  seedChecksums,
  type FoundationDb,
} from './support/foundation-db.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

// Spans both DST changes of 2025 in the US (9 March) and Europe (30 March).
const OPTIONS: SeedOptions = {
  tenants: 2,
  storesPerTenant: 6,
  productsPerTenant: 10,
  days: 35,
  seed: 42,
  endDate: new Date('2025-04-05T00:00:00Z'),
  // Many small batches, several in flight at once: the reported counts must still add up.
  batchRows: 500,
};
const START = '2025-03-01T00:00:00Z';
const END = '2025-04-05T00:00:00Z';

interface Totals {
  customerId: string;
  units: string;
  revenue: string;
  lines: string;
}

describe.each(BACKENDS)('seed on %s', (kind) => {
  let db: FoundationDb;
  let result: SeedResult;
  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    result = await seedDatabase(db.owner, db.backend, OPTIONS);
  });
  afterAll(() => db?.close());

  it('loads the demo tenants with their stores and products, and reports what it wrote', async () => {
    expect(result.tenants.map((t) => t.customerId)).toEqual(DEMO_TENANTS.map((t) => t.customerId));
    expect(result.tenants.map((t) => [t.storeIds.length, t.productIds.length])).toEqual([
      [6, 10],
      [6, 10],
    ]);
    const { rows } = await db.owner.query<{ transactions: string; inventory: string }>(
      `SELECT (SELECT count(*) FROM transactions)::text AS transactions,
              (SELECT count(*) FROM inventory_levels)::text AS inventory`,
    );
    expect(rows[0]).toEqual({
      transactions: String(result.transactions),
      inventory: String(result.inventoryRows),
    });
    expect(result.transactions).toBeGreaterThan(1000);
    // One opening snapshot per store, product and day.
    expect(result.inventoryRows).toBe(2 * 6 * 10 * 35);
    const { rows: zones } = await db.owner.query<{ timeZone: string }>(
      `SELECT DISTINCT time_zone AS "timeZone" FROM stores ORDER BY 1`,
    );
    expect(zones.map((z) => z.timeZone)).toEqual(
      expect.arrayContaining(['America/New_York', 'Asia/Kolkata', 'Europe/Berlin', 'UTC']),
    );
  });

  it('keeps every line inside the period and every revenue exactly quantity × unit price', async () => {
    const { rows } = await db.owner.query<{
      outside: string;
      wrong: string;
      revenue: string;
      computed: string;
    }>(
      `SELECT count(*) FILTER (WHERE time < $1 OR time >= $2)::text AS outside,
              count(*) FILTER (WHERE revenue <> quantity * unit_price)::text AS wrong,
              sum(revenue)::text AS revenue, sum(quantity * unit_price)::text AS computed
       FROM transactions`,
      [START, END],
    );
    expect(rows[0]?.outside).toBe('0');
    expect(rows[0]?.wrong).toBe('0');
    expect(rows[0]?.revenue).toBe(rows[0]?.computed);
  });

  it('sells only while a store is open, in its local time', async () => {
    const { rows } = await db.owner.query<{
      zone: string;
      earliest: number;
      latest: number;
      sundays: string;
    }>(
      `SELECT s.time_zone AS zone,
              min(extract(hour FROM t.time AT TIME ZONE s.time_zone))::int AS earliest,
              max(extract(hour FROM t.time AT TIME ZONE s.time_zone))::int AS latest,
              count(*) FILTER (WHERE extract(isodow FROM t.time AT TIME ZONE s.time_zone) = 7)::text AS sundays
       FROM transactions t JOIN stores s ON s.customer_id = t.customer_id AND s.id = t.store_id
       GROUP BY 1 ORDER BY 1`,
    );
    const berlin = rows.find((r) => r.zone === 'Europe/Berlin');
    expect(berlin).toMatchObject({ sundays: '0' });
    expect(berlin?.earliest).toBeGreaterThanOrEqual(8);
    expect(berlin?.latest).toBeLessThan(20);
    const kolkata = rows.find((r) => r.zone === 'Asia/Kolkata');
    expect(kolkata?.earliest).toBeGreaterThanOrEqual(9);
    expect(kolkata?.latest).toBeLessThan(22);
  });

  it('refreshes the rollups: daily rollup totals equal the raw totals per tenant', async () => {
    const raw = await db.owner.query<Totals>(
      `SELECT customer_id::text AS "customerId", sum(quantity)::text AS units,
              sum(revenue)::text AS revenue, count(*)::text AS lines
       FROM transactions GROUP BY 1 ORDER BY 1`,
    );
    const rollup = await db.owner.query<Totals>(
      `SELECT customer_id::text AS "customerId", sum(units)::text AS units,
              sum(revenue)::text AS revenue, sum(transactions)::text AS lines
       FROM rollup.sales_daily GROUP BY 1 ORDER BY 1`,
    );
    expect(raw.rows).toHaveLength(2);
    expect(rollup.rows).toEqual(raw.rows);
    for (const tenant of raw.rows) {
      const viaView = await asGateway(
        db.owner,
        { 'app.customer_id': tenant.customerId, 'app.store_ids': '*', 'app.role': 'analyst' },
        (query) =>
          query<Totals>(
            `SELECT customer_id::text AS "customerId", sum(units)::text AS units,
                    sum(revenue)::text AS revenue, sum(transactions)::text AS lines
             FROM sales_daily GROUP BY 1`,
          ),
      );
      expect(viaView).toEqual([tenant]);
    }
    if (db.backend === 'timescale') {
      // Materialized, not only answered by real-time aggregation.
      const { rows } = await db.owner.query<{ units: string }>(
        `SELECT coalesce(sum(units), 0)::text AS units FROM rollup.sales_hourly
         WHERE bucket < (SELECT max(time) FROM transactions) - interval '2 hours'`,
      );
      expect(BigInt(rows[0]?.units ?? '0')).toBeGreaterThan(0n);
    }
  });

  it('moves stock only through sales and deliveries, never below zero, with stockouts', async () => {
    // Between two opening snapshots stock falls by exactly the units sold, unless a delivery
    // arrived (then it rises by a positive amount).
    const { rows } = await db.owner.query<{
      negative: string;
      overAllocated: string;
      oversold: string;
      deliveries: string;
      emptyShelves: string;
      soldFromEmpty: string;
    }>(
      `WITH snap AS (
         SELECT i.customer_id, i.store_id, i.product_id, i.time, i.on_hand, i.allocated,
                lead(i.time) OVER w AS next_time, lead(i.on_hand) OVER w AS next_on_hand
         FROM inventory_levels i
         WINDOW w AS (PARTITION BY i.customer_id, i.store_id, i.product_id ORDER BY i.time)
       ), moved AS (
         SELECT snap.*, coalesce((
           SELECT sum(t.quantity) FROM transactions t
           WHERE t.customer_id = snap.customer_id AND t.store_id = snap.store_id
             AND t.product_id = snap.product_id AND t.time >= snap.time AND t.time < snap.next_time
         ), 0) AS sold
         FROM snap WHERE next_time IS NOT NULL
       )
       SELECT count(*) FILTER (WHERE on_hand < 0)::text AS negative,
              count(*) FILTER (WHERE allocated > on_hand)::text AS "overAllocated",
              count(*) FILTER (WHERE sold > on_hand)::text AS oversold,
              count(*) FILTER (WHERE next_on_hand - on_hand + sold > 0)::text AS deliveries,
              count(*) FILTER (WHERE next_on_hand - on_hand + sold < 0)::text AS vanished,
              count(*) FILTER (WHERE on_hand = 0)::text AS "emptyShelves",
              count(*) FILTER (WHERE on_hand = 0 AND sold > 0)::text AS "soldFromEmpty"
       FROM moved`,
    );
    expect(rows[0]).toMatchObject({
      negative: '0',
      overAllocated: '0',
      oversold: '0',
      vanished: '0',
      soldFromEmpty: '0',
    });
    expect(Number(rows[0]?.deliveries)).toBeGreaterThan(0);
    expect(Number(rows[0]?.emptyShelves)).toBeGreaterThan(0);
  });

  it('writes lifecycle rows: reorder points, alerts, anomalies and forecasts', async () => {
    const { rows } = await db.owner.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM reorder_points WHERE valid_to IS NULL)::text AS current,
              (SELECT count(*) FROM reorder_points WHERE valid_to IS NOT NULL)::text AS closed,
              (SELECT count(DISTINCT status) FROM alerts)::text AS statuses,
              (SELECT count(*) FROM anomalies WHERE metadata ? 'detector')::text AS anomalies,
              (SELECT count(*) FROM forecasts
                WHERE units_lower <= units AND units <= units_upper AND model_version <> '')::text AS forecasts,
              (SELECT count(*) FROM forecasts WHERE time >= $1)::text AS ahead`,
      [END],
    );
    expect(rows[0]?.current).toBe(String(2 * 6 * 10));
    expect(Number(rows[0]?.closed)).toBeGreaterThan(0);
    expect(Number(rows[0]?.statuses)).toBeGreaterThanOrEqual(2);
    expect(Number(rows[0]?.anomalies)).toBeGreaterThan(0);
    expect(Number(rows[0]?.ahead)).toBe(2 * 6 * 10 * 14);
    expect(Number(rows[0]?.forecasts)).toBe(2 * 6 * 10 * 28);
  });

  it('refuses to seed tenants that already exist', async () => {
    await expect(seedDatabase(db.owner, db.backend, OPTIONS)).rejects.toThrow(/already exist/);
  });
});

describe('seed determinism', () => {
  const loaded: { db: FoundationDb; sums: Record<string, string | null> }[] = [];
  const load = async (kind: 'postgres' | 'timescale', seed: number) => {
    const db = await openMigratedDatabase(kind);
    await seedDatabase(db.owner, db.backend, { ...OPTIONS, seed });
    const sums = await seedChecksums(db.owner);
    loaded.push({ db, sums });
    return sums;
  };
  afterAll(async () => {
    for (const { db } of loaded) await db.close();
  });

  it('yields identical rows for the same seed, on either backend, and other rows for another seed', async () => {
    const first = await load('postgres', 42);
    const again = await load('postgres', 42);
    const embedded = await load('timescale', 42);
    const other = await load('postgres', 7);
    expect(Object.values(first).every((sum) => sum !== null)).toBe(true);
    expect(again).toEqual(first);
    expect(embedded).toEqual(first);
    expect(other.transactions).not.toBe(first.transactions);
    expect(other.inventory).not.toBe(first.inventory);
    expect(other.alerts).not.toBe(first.alerts);
  });
});

describe.each(BACKENDS)('seeded sale lines through recordSales on %s', (kind) => {
  let gw: TestGateway;
  const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;
  type Line = SaleInput & { customerId: string };
  const stored = async () =>
    (await gw.owner.query<{ n: string }>(`SELECT count(*)::text AS n FROM transactions`)).rows[0]
      ?.n;

  beforeAll(async () => {
    // The seed's period is fixed; keep all of it inside the retention horizon.
    gw = await startTestGateway(kind, { RETENTION: '30 years' });
    await seedDatabase(gw.owner, gw.database.backend, { ...OPTIONS, tenants: 1, days: 7 });
  }, 120_000);
  afterAll(() => gw?.close());

  it('writes the idempotency key of every seeded line, as recordSales would', async () => {
    const { rows } = await gw.owner.query<{ lines: string; keys: string; matching: string }>(
      `SELECT (SELECT count(*) FROM transactions)::text AS lines,
              (SELECT count(*) FROM sale_keys)::text AS keys,
              (SELECT count(*) FROM transactions t
               JOIN sale_keys k ON k.customer_id = t.customer_id
                AND k.transaction_id = t.transaction_id AND k.time = t.time
                AND k.content = app.sale_content(t.store_id, t.product_id, t.quantity, t.unit_price, t.receipt_id)
              )::text AS matching`,
    );
    expect(Number(rows[0]?.lines)).toBeGreaterThan(100);
    expect(rows[0]?.keys).toBe(rows[0]?.lines);
    expect(rows[0]?.matching).toBe(rows[0]?.lines);
  });

  it('a seeded transaction sent again is a duplicate, with other content a CONFLICT', async () => {
    const { rows } = await gw.owner.query<Line>(
      `SELECT customer_id AS "customerId", transaction_id AS "transactionId", time,
              store_id AS "storeId", product_id AS "productId", quantity,
              unit_price::text AS "unitPrice", receipt_id AS "receiptId"
       FROM transactions ORDER BY transaction_id LIMIT 1`,
    );
    const [line] = rows;
    if (!line) throw new Error('the seed wrote no lines');
    const { customerId, ...sale } = line;
    const admin = await gw.token(customerId, 'admin');
    const before = await stored();
    const same = await gw.graphql(RECORD, { s: [sale] }, admin);
    expect(same.errors).toBeUndefined();
    expect(same.data).toEqual({ recordSales: { accepted: 0, duplicates: 1 } });
    for (const changed of [
      { ...sale, quantity: sale.quantity + 1 },
      { ...sale, time: new Date(sale.time.getTime() + 1000) },
      { ...sale, unitPrice: sale.unitPrice === '0.01' ? '0.02' : '0.01' },
      { ...sale, receiptId: `${sale.receiptId}-other` },
      { ...sale, receiptId: null },
    ]) {
      const res = await gw.graphql(RECORD, { s: [changed] }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    }
    expect(await stored()).toBe(before);
  });
});
