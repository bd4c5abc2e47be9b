import type { Sql } from 'sql-template-tag';
import type { Backend } from '../src/db/migrate.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTrend, ROUTE } from '../src/sales/sales-store.js';
import { seedDatabase, type SeedOptions, type SeedResult } from '../src/seed/index.js';
import { BACKENDS } from './support/backends.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  baseTrend,
  bestSeller,
  explainAsTenant,
  hypertableCatalog,
  planNodes,
  salesPlanStatements,
  seedCatalog,
  storeInZone,
  type PlanNode,
} from './support/sales-plans.js';

/** The seed generator's data set, small enough to load in seconds on both backends. */
const SEED: SeedOptions = {
  tenants: 2,
  storesPerTenant: 8,
  productsPerTenant: 60,
  days: 120,
  seed: 42,
  endDate: new Date('2026-06-01T00:00:00Z'),
};
const catalog = seedCatalog(SEED, 0);
const statements = (routing: Backend | 'raw') => salesPlanStatements(catalog, routing);

/** Statement text and parameters with ids and instants normalised, for review. */
function render(statement: Sql): string {
  const params = JSON.stringify(statement.values, (_key, value: unknown) => {
    if (typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(value)) return '<uuid>';
    return value;
  });
  const text = statement.text.replace(/[ \t]+$/gm, '').replace(/\n{2,}/g, '\n');
  return `${text.trim()}\n-- parameters: ${params}\n`;
}

describe('sales SQL snapshots', () => {
  for (const backend of ['timescale', 'native'] as const) {
    for (const [name, statement] of Object.entries(statements(backend))) {
      it(`${name} on ${backend}`, async () => {
        await expect(render(statement)).toMatchFileSnapshot(
          `__snapshots__/sales-sql/${name}.${backend}.sql`,
        );
      });
    }
  }
});

describe.each(BACKENDS)('sales query plans on %s', (kind) => {
  let gw: TestGateway;
  let seeded: SeedResult;
  let transactionChunks: string[] = [];
  let materialized: Record<string, string> = {};

  /**
   * EXPLAIN (ANALYZE, FORMAT JSON) under the seeded tenant's settings: the plan nodes that ran,
   * flattened. The views' archived part reads hot chunks only for rows older than the archive
   * horizon, which TimescaleDB excludes when the statement starts.
   */
  const explain = async (statement: Sql): Promise<PlanNode[]> =>
    planNodes(
      (
        await explainAsTenant(gw.owner, gw.database.backend, catalog.customerId, statement, {
          analyze: true,
        })
      ).Plan,
    ).filter((n) => n['Actual Loops'] !== 0);

  const relations = (nodes: PlanNode[]) =>
    nodes.map((n) => n['Relation Name']).filter((r): r is string => !!r);
  const indexes = (nodes: PlanNode[]) =>
    nodes.map((n) => n['Index Name']).filter((r): r is string => !!r);
  const rawChunks = (nodes: PlanNode[]) =>
    new Set(relations(nodes).filter((r) => transactionChunks.includes(r)));

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    seeded = await seedDatabase(gw.owner, gw.database.backend, SEED);
    // The seed analyzes the tables it fills; the rollups' materializations need statistics too.
    await gw.owner.query('ANALYZE');
    if (kind === 'timescale') {
      const hypertables = await hypertableCatalog(gw.owner);
      transactionChunks = [...hypertables.chunkOf]
        .filter(([, hypertable]) => hypertable === 'transactions')
        .map(([chunk]) => chunk);
      materialized = hypertables.materialized;
    }
  });
  afterAll(() => gw?.close());

  it('explains the statements over the seeded catalog of the first tenant', async () => {
    const [first] = seeded.tenants;
    expect(first?.customerId).toBe(catalog.customerId);
    expect(first?.storeIds).toEqual(catalog.stores.map((s) => s.id));
    expect(first?.productIds).toEqual(catalog.products.map((p) => p.id));
    expect(new Set(catalog.stores.map((s) => s.timeZone)).size).toBeGreaterThanOrEqual(4);
    // The statements' ranges lie in the seeded period: the trend range holds sales, also for
    // the one store/product pair the filtered statements ask about.
    const { range } = baseTrend(catalog);
    const { rows } = await gw.owner.query<{ lines: string; pairLines: string }>(
      `SELECT count(*) AS lines,
              count(*) FILTER (WHERE store_id = $4 AND product_id = $5) AS "pairLines"
       FROM transactions WHERE customer_id = $1 AND time >= $2 AND time < $3`,
      [
        catalog.customerId,
        range.from,
        range.to,
        storeInZone(catalog, 'Asia/Kolkata').id,
        bestSeller(catalog).id,
      ],
    );
    expect(Number(rows[0]?.lines)).toBeGreaterThan(10_000);
    expect(Number(rows[0]?.pairLines)).toBeGreaterThan(0);
  });

  it('routes the statements as intended for this backend', () => {
    const route = ROUTE;
    const sources = planTrend(baseTrend(catalog), route).map((s) => s.source);
    expect(sources).toEqual(['raw', 'hourly', 'daily']);
  });

  if (kind === 'timescale') {
    it('reads salesTrend DAY (UTC) from both per-store materializations and only the edge chunk raw', async () => {
      const nodes = await explain(statements('timescale')['sales-trend-day-utc'] as Sql);
      // It asks about no product: the per-store aggregates answer, the per-product ones are unread.
      expect(relations(nodes)).toContain(materialized.store_sales_daily);
      expect(relations(nodes)).toContain(materialized.store_sales_hourly);
      expect(relations(nodes)).not.toContain(materialized.sales_daily);
      expect(transactionChunks.length).toBeGreaterThan(8);
      expect(rawChunks(nodes).size).toBeLessThanOrEqual(1);
      expect(indexes(nodes).some((i) => /transactions_time_idx/.test(i))).toBe(true);
    });

    it('reads HOUR buckets in Europe/Berlin from the hourly materialization, edges raw', async () => {
      const nodes = await explain(statements('timescale')['sales-trend-hour-berlin-filled'] as Sql);
      expect(relations(nodes)).toContain(materialized.sales_hourly);
      expect(relations(nodes)).not.toContain(materialized.sales_daily);
      expect(rawChunks(nodes).size).toBeLessThanOrEqual(2);
    });

    it('reads Asia/Kolkata from raw chunks of the range only, by index', async () => {
      const nodes = await explain(
        statements('timescale')['sales-trend-day-kolkata-store-product'] as Sql,
      );
      expect(relations(nodes)).not.toContain(materialized.sales_daily);
      expect(relations(nodes)).not.toContain(materialized.sales_hourly);
      expect(rawChunks(nodes).size).toBeGreaterThan(0);
      expect(rawChunks(nodes).size).toBeLessThanOrEqual(3);
      expect(indexes(nodes).length).toBeGreaterThan(0);
      expect(indexes(nodes).every((i) => /_chunk_transactions_/.test(i))).toBe(true);
    });

    it('serves topProducts, dailySales and salesVelocity from the daily materialization', async () => {
      const all = statements('timescale');
      const top = await explain(all['top-products'] as Sql);
      expect(relations(top)).toContain(materialized.sales_daily);
      expect(rawChunks(top).size).toBeLessThanOrEqual(1);
      for (const name of ['daily-sales', 'sales-velocity', 'velocity-loader']) {
        const nodes = await explain(all[name] as Sql);
        expect(relations(nodes), name).toContain(materialized.sales_daily);
        expect(rawChunks(nodes).size, name).toBe(0);
      }
    });
  } else {
    const rollupTables = [
      'sales_hourly_totals',
      'sales_daily_totals',
      'store_sales_hourly',
      'store_sales_daily',
    ];
    const seqScans = (nodes: PlanNode[], relation: string) =>
      nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === relation);

    it('reads a store trend from the per-store rollup tables, edges raw by index', async () => {
      const nodes = await explain(statements('native')['sales-trend-day-utc'] as Sql);
      expect(relations(nodes)).toContain('store_sales_daily');
      expect(relations(nodes)).toContain('store_sales_hourly');
      expect(relations(nodes)).not.toContain('sales_daily_totals');
      expect(indexes(nodes).some((i) => i.startsWith('transactions_'))).toBe(true);
      expect(seqScans(nodes, 'transactions')).toEqual([]);
    });

    it('reads product trends, topProducts, dailySales and velocity from the rollup tables', async () => {
      const all = statements('native');
      for (const name of [
        'sales-trend-hour-berlin-filled',
        'top-products',
        'daily-sales',
        'sales-velocity',
        'velocity-loader',
      ]) {
        const nodes = await explain(all[name] as Sql);
        expect(
          relations(nodes).some((r) => rollupTables.includes(r)),
          name,
        ).toBe(true);
        expect(seqScans(nodes, 'transactions'), name).toEqual([]);
        for (const table of rollupTables) expect(seqScans(nodes, table), name).toEqual([]);
      }
    });

    it('reads Asia/Kolkata raw, by the (customer_id, store_id, product_id, time) index', async () => {
      const nodes = await explain(
        statements('native')['sales-trend-day-kolkata-store-product'] as Sql,
      );
      expect(indexes(nodes)).toContain('transactions_store_product_time_idx');
      expect(relations(nodes).some((r) => rollupTables.includes(r))).toBe(false);
    });
  }
});
