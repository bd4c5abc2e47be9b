import sql, { type Sql } from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { GATEWAY_ROLE } from '../src/db/request-db.js';
import {
  dailySalesSql,
  salesTrendSql,
  salesVelocitySql,
  topProductsSql,
  type TrendStatement,
} from '../src/sales/sales-sql.js';
import { planTotals, planTrend, routeFor, type TrendInput } from '../src/sales/sales-store.js';
import { velocityForPairsSql, velocityWindow } from '../src/sales/velocity-store.js';
import { BACKENDS } from './support/backends.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { insertTenants, salesTenant } from './support/sales-data.js';
import { loadBulkSales } from './support/sales-load.js';

const END = new Date('2026-06-01T00:00:00Z');
const tenant = salesTenant(0xa, 'Tenant A', 8);
const other = salesTenant(0xb, 'Tenant B', 8);
const noFilters = { storeIds: null, productIds: null, categories: null };

const trend = (over: Partial<TrendInput> = {}): TrendInput => ({
  range: { from: new Date('2026-05-01T05:30:00Z'), to: new Date('2026-05-15T00:00:00Z') },
  granularity: 'DAY',
  zone: { kind: 'fixed', zone: 'UTC' },
  filters: noFilters,
  groupBy: { store: true, product: false, category: false },
  fillGaps: false,
  gapGroups: { kind: 'present' },
  ...over,
});

/** The main statements, built by the same pure functions the resolvers use. */
function statements(rollups: boolean): Record<string, Sql> {
  const route = { forceRaw: !rollups };
  const build = (input: TrendInput): Sql =>
    salesTrendSql({
      ...input,
      segments: planTrend(input, route),
      limit: 10_001,
    } satisfies TrendStatement);
  const window = velocityWindow('2026-05-20', 7);
  return {
    'sales-trend-day-utc': build(trend()),
    'sales-trend-hour-berlin-filled': build(
      trend({
        granularity: 'HOUR',
        zone: { kind: 'fixed', zone: 'Europe/Berlin' },
        range: { from: new Date('2026-05-10T05:17:00Z'), to: new Date('2026-05-12T20:45:00Z') },
        groupBy: { store: false, product: true, category: false },
        fillGaps: true,
      }),
    ),
    'sales-trend-day-kolkata-store-product': build(
      trend({
        zone: { kind: 'fixed', zone: 'Asia/Kolkata' },
        filters: {
          storeIds: [tenant.stores[0]?.id ?? ''],
          productIds: [tenant.products[0]?.id ?? ''],
          categories: null,
        },
      }),
    ),
    'sales-trend-store-nested': build(
      trend({
        zone: {
          kind: 'perStore',
          stores: tenant.stores.map((s) => ({ storeId: s.id, zone: 'Europe/Berlin' })),
        },
        filters: { storeIds: tenant.stores.map((s) => s.id), productIds: null, categories: null },
        fillGaps: true,
        gapGroups: { kind: 'stores', storeIds: tenant.stores.map((s) => s.id) },
      }),
    ),
    'top-products': topProductsSql(planTotals(trend().range, route), noFilters, 'REVENUE', 10),
    'daily-sales': dailySalesSql({
      rollups,
      range: { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-05-08T00:00:00Z') },
      filters: noFilters,
      after: null,
      limit: 50,
    }),
    'sales-velocity': salesVelocitySql({
      rollups,
      window,
      windowDays: 7,
      filters: noFilters,
      after: null,
      limit: 50,
    }),
    'velocity-loader': velocityForPairsSql(
      rollups,
      [{ storeId: tenant.stores[0]?.id ?? '', productId: tenant.products[0]?.id ?? '' }],
      window,
      7,
    ),
  };
}

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
    for (const [name, statement] of Object.entries(statements(backend === 'timescale'))) {
      it(`${name} on ${backend}`, async () => {
        await expect(render(statement)).toMatchFileSnapshot(
          `__snapshots__/sales-sql/${name}.${backend}.sql`,
        );
      });
    }
  }
});

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(node);
  for (const child of node.Plans ?? []) walk(child, out);
  return out;
}

describe.each(BACKENDS)('sales query plans on %s', (kind) => {
  let gw: TestGateway;
  let transactionChunks: string[] = [];
  let materialized: Record<string, string> = {};

  /** EXPLAIN (FORMAT JSON) under the tenant's settings; every plan node, flattened. */
  async function explain(statement: Sql): Promise<PlanNode[]> {
    const client = await gw.owner.connect();
    try {
      await client.query('BEGIN');
      // TimescaleDB's EXPLAIN needs USAGE on _timescaledb_internal, which the gateway role
      // deliberately lacks; there the owner explains with the same tenant settings (the public
      // rollup views filter by them, not by policies).
      await client.query(`SELECT set_config(k, v, true) FROM json_each_text($1::json) AS s(k, v)`, [
        JSON.stringify({
          'app.customer_id': tenant.customerId,
          'app.role': 'analyst',
          'app.store_ids': '*',
          ...(kind === 'postgres' ? { role: GATEWAY_ROLE } : {}),
        }),
      ]);
      const explained = sql`EXPLAIN (FORMAT JSON) ${statement}`;
      const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
        explained.text,
        explained.values,
      );
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
      return plan ? walk(plan) : [];
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  const relations = (nodes: PlanNode[]) =>
    nodes.map((n) => n['Relation Name']).filter((r): r is string => !!r);
  const indexes = (nodes: PlanNode[]) =>
    nodes.map((n) => n['Index Name']).filter((r): r is string => !!r);
  const rawChunks = (nodes: PlanNode[]) =>
    new Set(relations(nodes).filter((r) => transactionChunks.includes(r)));

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [tenant, other]);
    for (const t of [tenant, other]) {
      await loadBulkSales(gw.owner, {
        customerId: t.customerId,
        storeIds: t.stores.map((s) => s.id),
        productIds: t.products.map((p) => p.id),
        end: END,
        days: 60,
        perStoreHour: 4,
      });
    }
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    await gw.owner.query('ANALYZE');
    if (kind === 'timescale') {
      const chunks = await gw.owner.query<{ name: string }>(
        `SELECT chunk_name AS name FROM timescaledb_information.chunks WHERE hypertable_name = 'transactions'`,
      );
      transactionChunks = chunks.rows.map((r) => r.name);
      const caggs = await gw.owner.query<{ view: string; table: string }>(
        `SELECT view_name AS view, materialization_hypertable_name AS table FROM timescaledb_information.continuous_aggregates`,
      );
      materialized = Object.fromEntries(caggs.rows.map((r) => [r.view, r.table]));
    }
  });
  afterAll(() => gw?.close());

  it('routes the statements as intended for this backend', () => {
    const route = routeFor(gw.database.backend);
    const sources = planTrend(trend(), route).map((s) => s.source);
    expect(sources).toEqual(kind === 'timescale' ? ['raw', 'hourly', 'daily'] : ['raw']);
  });

  if (kind === 'timescale') {
    it('reads salesTrend DAY (UTC) from both materializations and only the edge chunk raw', async () => {
      const nodes = await explain(statements(true)['sales-trend-day-utc'] as Sql);
      expect(relations(nodes)).toContain(materialized.sales_daily);
      expect(relations(nodes)).toContain(materialized.sales_hourly);
      expect(transactionChunks.length).toBeGreaterThan(8);
      expect(rawChunks(nodes).size).toBeLessThanOrEqual(1);
      expect(indexes(nodes).some((i) => /transactions_time_idx/.test(i))).toBe(true);
    });

    it('reads HOUR buckets in Europe/Berlin from the hourly materialization, edges raw', async () => {
      const nodes = await explain(statements(true)['sales-trend-hour-berlin-filled'] as Sql);
      expect(relations(nodes)).toContain(materialized.sales_hourly);
      expect(relations(nodes)).not.toContain(materialized.sales_daily);
      expect(rawChunks(nodes).size).toBeLessThanOrEqual(2);
    });

    it('reads Asia/Kolkata from raw chunks of the range only, by index', async () => {
      const nodes = await explain(statements(true)['sales-trend-day-kolkata-store-product'] as Sql);
      expect(relations(nodes)).not.toContain(materialized.sales_daily);
      expect(relations(nodes)).not.toContain(materialized.sales_hourly);
      expect(rawChunks(nodes).size).toBeGreaterThan(0);
      expect(rawChunks(nodes).size).toBeLessThanOrEqual(3);
      expect(indexes(nodes).length).toBeGreaterThan(0);
      expect(indexes(nodes).every((i) => /_chunk_transactions_/.test(i))).toBe(true);
    });

    it('serves topProducts, dailySales and salesVelocity from the daily materialization', async () => {
      const all = statements(true);
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
    it('reads transactions by index on (customer_id, time), never a sequential scan', async () => {
      const all = statements(false);
      for (const name of [
        'sales-trend-day-utc',
        'sales-trend-hour-berlin-filled',
        'top-products',
        'daily-sales',
        'sales-velocity',
        'velocity-loader',
      ]) {
        const nodes = await explain(all[name] as Sql);
        expect(
          indexes(nodes).some((i) => i.startsWith('transactions_')),
          name,
        ).toBe(true);
        expect(
          nodes.filter(
            (n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'transactions',
          ),
          name,
        ).toEqual([]);
      }
    });

    it('uses the (customer_id, store_id, product_id, time) index for a store/product filter', async () => {
      const nodes = await explain(
        statements(false)['sales-trend-day-kolkata-store-product'] as Sql,
      );
      expect(indexes(nodes)).toContain('transactions_store_product_time_idx');
    });
  }
});
