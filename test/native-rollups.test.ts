import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRetention } from '../src/db/rollups.js';
import { GATEWAY_ROLE } from '../src/db/request-db.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  CATEGORIES,
  expectedTrend,
  generateSales,
  insertSales,
  insertTenants,
  salesTenant,
  type SaleRow,
  type TrendQuestion,
} from './support/sales-data.js';
import { askTrend } from './support/sales-trend.js';
import { planNodes, type PlanNode } from './support/sales-plans.js';

const TABLES = [
  'sales_hourly_totals',
  'sales_daily_totals',
  'store_sales_hourly',
  'store_sales_daily',
] as const;

// Each table's totals recomputed from the raw rows, under the shared row contract.
const KEYS: Record<(typeof TABLES)[number], { keys: string; unit: string }> = {
  sales_hourly_totals: { keys: 'customer_id, store_id, product_id', unit: 'hour' },
  sales_daily_totals: { keys: 'customer_id, store_id, product_id', unit: 'day' },
  store_sales_hourly: { keys: 'customer_id, store_id', unit: 'hour' },
  store_sales_daily: { keys: 'customer_id, store_id', unit: 'day' },
};

function fromRaw(table: (typeof TABLES)[number]): string {
  const { keys, unit } = KEYS[table];
  return `SELECT ${keys}, date_trunc('${unit}', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
            sum(quantity)::bigint AS units, sum(revenue) AS revenue, count(*) AS transactions,
            coalesce(sum(-quantity) FILTER (WHERE quantity < 0), 0)::bigint AS returned_units,
            coalesce(sum(-revenue) FILTER (WHERE quantity < 0), 0) AS returned_revenue,
            coalesce(sum(quantity * unit_cost), 0) AS cost,
            count(*) FILTER (WHERE unit_cost IS NULL) AS uncosted_lines,
            count(*) FILTER (WHERE opens_receipt) AS receipts,
            count(*) FILTER (WHERE opens_product) AS product_receipts,
            coalesce(sum(quantity) FILTER (WHERE receipt_id IS NOT NULL AND quantity > 0), 0)::bigint AS receipt_units,
            coalesce(sum(revenue) FILTER (WHERE receipt_id IS NOT NULL), 0) AS receipt_revenue
     FROM transactions GROUP BY ${keys}, bucket`;
}

const categoryOf = (productId: string) =>
  CATEGORIES[Number.parseInt(productId.slice(-2), 16) - 1] ?? 'Dairy';

describe('exact sales rollup tables on plain PostgreSQL', () => {
  let gw: TestGateway;
  const a = salesTenant(0xa, 'Tenant A', 3);
  const b = salesTenant(0xb, 'Tenant B', 3);
  const periods = [{ from: '2026-03-01T00:00:00Z', days: 60 }];
  let rowsA = generateSales(a, 31, periods, 3, 20);
  const rowsB = generateSales(b, 32, periods, 3, 9);

  /** Rows of each rollup table that differ from the raw recomputation (both directions). */
  const differences = async () => {
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      const { rows } = await gw.owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (
           (${fromRaw(table)} EXCEPT ALL SELECT * FROM rollup.${table})
           UNION ALL
           (SELECT * FROM rollup.${table} EXCEPT ALL ${fromRaw(table)})) d`,
      );
      out[table] = rows[0]?.n ?? -1;
    }
    return out;
  };
  const exact = Object.fromEntries(TABLES.map((t) => [t, 0]));
  const rollupRows = async () => {
    const { rows } = await gw.owner.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM rollup.sales_hourly_totals)::int AS n`,
    );
    return rows[0]?.n ?? 0;
  };

  beforeAll(async () => {
    gw = await startTestGateway('postgres');
    await insertTenants(gw.owner, [a, b]);
    await insertSales(gw.owner, [...rowsA, ...rowsB]);
  });
  afterAll(() => gw?.close());

  it('keeps every table equal to the raw aggregate through inserts, updates and deletes', async () => {
    expect(await rollupRows()).toBeGreaterThan(1000);
    expect(await differences()).toEqual(exact);
    // Move lines across hours and days, change quantities, then delete some: each statement
    // touches many buckets at once.
    await gw.owner.query(
      `UPDATE transactions SET time = time + interval '20 hours',
              quantity = quantity + sign(quantity)::integer,
              revenue = revenue + sign(quantity) * unit_price
       WHERE customer_id = $1 AND store_id = $2`,
      [a.customerId, uuid(1, 1)],
    );
    expect(await differences()).toEqual(exact);
    await gw.owner.query(
      `DELETE FROM transactions WHERE customer_id = $1 AND product_id = $2 AND time < $3`,
      [a.customerId, uuid(2, 3), '2026-04-01T00:00:00Z'],
    );
    expect(await differences()).toEqual(exact);
    const { rows: empty } = await gw.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM rollup.sales_hourly_totals WHERE transactions = 0`,
    );
    expect(empty).toEqual([{ n: 0 }]);
  });

  it('answers trends through the tables exactly as the independent oracle says', async () => {
    const { rows } = await gw.owner.query<{
      transactionId: string;
      time: Date;
      storeId: string;
      productId: string;
      quantity: number;
      cents: string;
      costCents: string | null;
    }>(
      `SELECT transaction_id AS "transactionId", time, store_id AS "storeId",
              product_id AS "productId", quantity, (unit_price * 100)::bigint::text AS cents,
              (unit_cost * 100)::bigint::text AS "costCents"
       FROM transactions WHERE customer_id = $1`,
      [a.customerId],
    );
    rowsA = rows.map((r): SaleRow => ({
      customerId: a.customerId,
      transactionId: r.transactionId,
      time: r.time.getTime(),
      storeId: r.storeId,
      productId: r.productId,
      quantity: r.quantity,
      priceCents: BigInt(r.cents),
      costCents: r.costCents === null ? null : BigInt(r.costCents),
    }));
    const token = await gw.token(a.customerId);
    const questions: TrendQuestion[] = [
      // Per-store tables: whole days, hours at the edges, raw minutes.
      {
        from: '2026-03-03T05:17:00Z',
        to: '2026-04-20T21:47:00Z',
        granularity: 'DAY',
        groupBy: ['STORE'],
      },
      { from: '2026-03-01T00:00:00Z', to: '2026-05-01T00:00:00Z', granularity: 'MONTH' },
      // Per-product tables: a product split, a category filter, HOUR buckets in a zone.
      {
        from: '2026-03-10T00:30:00Z',
        to: '2026-03-24T00:00:00Z',
        granularity: 'WEEK',
        groupBy: ['PRODUCT'],
      },
      {
        from: '2026-03-10T00:00:00Z',
        to: '2026-03-12T00:00:00Z',
        granularity: 'HOUR',
        timeZone: 'Europe/Berlin',
        categories: ['Bakery'],
        groupBy: ['STORE'],
      },
    ];
    for (const q of questions) {
      const expected = expectedTrend(rowsA, a.customerId, categoryOf, q);
      expect(expected.length, JSON.stringify(q)).toBeGreaterThan(0);
      expect(await askTrend(gw, token, q), JSON.stringify(q)).toEqual(expected);
    }
  });

  it('keeps returns (negative quantities) in the net and returned columns', async () => {
    const client = await gw.owner.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
         SELECT $1, gen_random_uuid(), $2::timestamptz + g * interval '41 minutes', $3, $4, -(1 + g % 3), 2.50, -(1 + g % 3) * 2.50
         FROM generate_series(1, 40) g`,
        [b.customerId, '2026-03-05T10:00:00Z', uuid(1, 2), uuid(2, 1)],
      );
      await client.query(
        `UPDATE transactions SET quantity = -quantity, revenue = -revenue
         WHERE customer_id = $1 AND store_id = $2 AND time >= '2026-03-20' AND time < '2026-03-21'`,
        [b.customerId, uuid(1, 3)],
      );
      const { rows } = await client.query<{ returned: string; net: string }>(
        `SELECT sum(returned_units)::text AS returned, sum(units)::text AS net
         FROM rollup.store_sales_daily WHERE customer_id = $1`,
        [b.customerId],
      );
      const { rows: raw } = await client.query<{ returned: string; net: string }>(
        `SELECT sum(-quantity) FILTER (WHERE quantity < 0)::text AS returned,
                sum(quantity)::text AS net
         FROM transactions WHERE customer_id = $1`,
        [b.customerId],
      );
      expect(Number(rows[0]?.returned)).toBeGreaterThan(40);
      expect(rows).toEqual(raw);
      // Checked inside the transaction, which is rolled back.
      for (const table of TABLES) {
        const { rows: diff } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (
             (${fromRaw(table)} EXCEPT ALL SELECT * FROM rollup.${table})
             UNION ALL
             (SELECT * FROM rollup.${table} EXCEPT ALL ${fromRaw(table)})) d`,
        );
        expect(diff, table).toEqual([{ n: 0 }]);
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('stays exact under concurrent writers of the same buckets', async () => {
    const writers = Array.from({ length: 4 }, (_, w) =>
      insertSales(
        gw.owner,
        Array.from({ length: 300 }, (_, n) => ({
          customerId: b.customerId,
          transactionId: uuid(0xc0c0 + w, n + 1),
          time: Date.parse('2026-04-10T09:00:00Z') + ((n * 7919) % 7_200_000),
          storeId: uuid(1, 1 + (n % 2)),
          productId: uuid(2, 1 + (n % 4)),
          quantity: 1 + (n % 4),
          priceCents: 199n,
        })),
      ),
    );
    await Promise.all(writers);
    expect(await differences()).toEqual(exact);
  });

  it('closes the tables to the gateway; its per-store views fail closed and keep to the scope', async () => {
    const asGateway = async (statement: string, customerId: string, stores = '*') => {
      const client = await gw.owner.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `SELECT set_config('role', $1, true), set_config('app.customer_id', $2, true),
                  set_config('app.store_ids', $3, true)`,
          [GATEWAY_ROLE, customerId, stores],
        );
        return (await client.query(statement)).rows;
      } catch (error) {
        return (error as { code?: string }).code;
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    };
    for (const table of TABLES) {
      expect(await asGateway(`SELECT * FROM rollup.${table} LIMIT 1`, a.customerId)).toBe('42501');
    }
    for (const view of ['store_sales_daily', 'store_sales_hourly']) {
      expect(await asGateway(`SELECT count(*)::int AS n FROM ${view}`, 'garbage')).toEqual([
        { n: 0 },
      ]);
      expect(
        await asGateway(
          `SELECT DISTINCT customer_id AS c, store_id AS s FROM ${view}`,
          a.customerId,
          uuid(1, 2),
        ),
      ).toEqual([{ c: a.customerId, s: uuid(1, 2) }]);
    }
    const { rows } = await gw.owner.query<{ options: string[] }>(
      `SELECT reloptions AS options FROM pg_class WHERE relname = 'store_sales_daily' AND relkind = 'v'`,
    );
    expect(rows[0]?.options).toContain('security_barrier=true');
  });

  it('applies retention by index and keeps the rollups’ history, as TimescaleDB does', async () => {
    const history = `SELECT sum(units)::text AS units FROM rollup.store_sales_daily WHERE bucket < '2026-03-08'`;
    const before = await gw.owner.query<{ units: string }>(history);
    const retentionDays = Math.floor(
      (Date.now() - Date.parse('2026-03-08T00:00:00Z')) / 86_400_000,
    );
    const retention = `${retentionDays} days`;
    await gw.owner.query(`UPDATE customers SET retention = $1`, [retention]);
    await applyRetention(gw.owner, retention);
    const { rows: left } = await gw.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions WHERE time < '2026-03-07T23:00:00Z'`,
    );
    expect(left).toEqual([{ n: 0 }]);
    expect(Number(before.rows[0]?.units)).toBeGreaterThan(0);
    expect((await gw.owner.query(history)).rows).toEqual(before.rows);
    // The run of every minute after that finds next to nothing to delete: by index, no scan.
    await gw.owner.query('ANALYZE transactions');
    // The statement app.apply_retention runs for each tenant (sql/0016_tenant_retention).
    for (const statement of [
      `DELETE FROM public.transactions x WHERE x.customer_id = $1 AND x.time < $2`,
    ]) {
      const client = await gw.owner.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
          `EXPLAIN (FORMAT JSON) ${statement}`,
          [a.customerId, new Date(Date.now() - retentionDays * 86_400_000)],
        );
        const nodes = planNodes(rows[0]?.['QUERY PLAN'][0]?.Plan ?? {});
        const table = /DELETE FROM public\.(\w+)/.exec(statement)?.[1];
        expect(
          nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === table),
          statement,
        ).toEqual([]);
        expect(nodes.some((n) => n['Index Name']?.startsWith(`${table}_`))).toBe(true);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    }
  });

  it('empties the rollups with the table on TRUNCATE', async () => {
    await gw.owner.query('TRUNCATE transactions');
    for (const table of TABLES) {
      const { rows } = await gw.owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM rollup.${table}`,
      );
      expect(rows, table).toEqual([{ n: 0 }]);
    }
  });
});
