import sql, { type Sql } from 'sql-template-tag';
import type { Backend } from '../../src/db/migrate.js';
import type { Pool } from '../../src/db/pool.js';
import { GATEWAY_ROLE } from '../../src/db/request-db.js';
import { dailySalesSql, rankingSql, salesVelocitySql } from '../../src/sales/sales-sql.js';
import { planTotals, ROUTE, trendStatement, type TrendInput } from '../../src/sales/sales-store.js';
import { velocityForPairsSql, velocityWindow } from '../../src/sales/velocity-store.js';
import {
  generateProducts,
  generateStores,
  tenantIdentity,
  type SeedProduct,
  type SeedStore,
} from '../../src/seed/catalog.js';
import type { SeedOptions } from '../../src/seed/index.js';
import { Random } from '../../src/seed/random.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** One seeded tenant's catalog and the end of its sales period. */
export interface SeedCatalog {
  customerId: string;
  stores: SeedStore[];
  products: SeedProduct[];
  /** Exclusive end of the seeded period (00:00 UTC). */
  end: Date;
}

/**
 * The stores and products `seedDatabase(options)` generates for its `index`-th tenant, derived
 * from the same seeded stream without a database (`options.endDate` must be set).
 */
export function seedCatalog(options: SeedOptions, index: number): SeedCatalog {
  if (!options.endDate) throw new Error('seedCatalog needs a fixed endDate');
  const { customerId } = tenantIdentity(index);
  const random = new Random(options.seed, customerId, 'catalog');
  const stores = generateStores(random, customerId, options.storesPerTenant);
  const products = generateProducts(random, customerId, options.productsPerTenant);
  const end = new Date(Math.floor(options.endDate.getTime() / DAY_MS) * DAY_MS);
  return { customerId, stores, products, end };
}

/** The first store in `zone`; the seed spreads stores over regions, so the zone must exist. */
export function storeInZone(catalog: SeedCatalog, zone: string): SeedStore {
  const store = catalog.stores.find((s) => s.timeZone === zone);
  if (!store) throw new Error(`no seeded store in ${zone}; seed more stores per tenant`);
  return store;
}

/** The product with the highest base demand: its store/product filter always finds rows. */
export function bestSeller(catalog: SeedCatalog): SeedProduct {
  const [first, ...rest] = catalog.products;
  if (!first) throw new Error('the seeded tenant has no products');
  return rest.reduce((best, p) => (p.baseDemand > best.baseDemand ? p : best), first);
}

const noFilters = { storeIds: null, productIds: null, categories: null };
const at = (end: Date, days: number, hours = 0, minutes = 0) =>
  new Date(end.getTime() + days * DAY_MS + hours * HOUR_MS + minutes * 60_000);

/** The day-granularity UTC trend question the other trend statements vary. */
export function baseTrend(catalog: SeedCatalog): TrendInput {
  return {
    // Starts mid-hour so both edges of the range cut buckets.
    range: { from: at(catalog.end, -31, 5, 30), to: at(catalog.end, -17) },
    granularity: 'DAY',
    zone: { kind: 'fixed', zone: 'UTC' },
    filters: noFilters,
    groupBy: { store: true, product: false, category: false },
    fillGaps: false,
    gapGroups: { kind: 'present' },
  };
}

/**
 * The main sales statements over the last weeks of the seeded period, built by the same pure
 * functions the resolvers use: routed as the backend's resolvers route them (rollups + raw
 * edges), or `raw`: from transactions only, for comparison.
 */
export function salesPlanStatements(
  catalog: SeedCatalog,
  routing: Backend | 'raw',
): Record<string, Sql> {
  const rollups = routing !== 'raw';
  const route = rollups ? ROUTE : { forceRaw: true };
  const tenant = catalog.customerId;
  const filters = { ...noFilters, tenant };
  const trend = (over: Partial<TrendInput> = {}): Sql =>
    trendStatement(
      { ...baseTrend(catalog), ...over, filters: { ...(over.filters ?? noFilters), tenant } },
      route,
    );
  const storeIds = catalog.stores.map((s) => s.id);
  const kolkata = storeInZone(catalog, 'Asia/Kolkata');
  const product = bestSeller(catalog);
  const asOf = at(catalog.end, -12).toISOString().slice(0, 10);
  const window = velocityWindow(asOf, 7);
  return {
    'sales-trend-day-utc': trend(),
    'sales-trend-hour-berlin-filled': trend({
      granularity: 'HOUR',
      zone: { kind: 'fixed', zone: 'Europe/Berlin' },
      range: { from: at(catalog.end, -22, 5, 17), to: at(catalog.end, -20, 20, 45) },
      groupBy: { store: false, product: true, category: false },
      fillGaps: true,
    }),
    'sales-trend-day-kolkata-store-product': trend({
      zone: { kind: 'fixed', zone: 'Asia/Kolkata' },
      filters: { storeIds: [kolkata.id], productIds: [product.id], categories: null },
    }),
    'sales-trend-day-london-rolling': trend({
      zone: { kind: 'fixed', zone: 'Europe/London' },
      groupBy: { store: true, product: false, category: false },
      window: { rolling: 7, cumulative: true },
    }),
    'sales-trend-day-utc-previous-year': trend({
      compare: { to: 'PREVIOUS_YEAR', horizon: at(catalog.end, -700) },
    }),
    'sales-trend-store-nested': trend({
      zone: {
        kind: 'perStore',
        stores: storeIds.map((storeId) => ({ storeId, zone: 'Europe/Berlin' })),
      },
      filters: { storeIds, productIds: null, categories: null },
      fillGaps: true,
      gapGroups: { kind: 'stores', storeIds },
    }),
    'top-products': rankingSql({
      segments: planTotals(baseTrend(catalog).range, route),
      filters,
      dimension: 'product',
      by: 'revenue',
      first: 10,
      other: false,
    }),
    'ranking-categories-other': rankingSql({
      segments: planTotals(baseTrend(catalog).range, route),
      filters,
      dimension: 'category',
      by: 'revenue',
      first: 3,
      other: true,
    }),
    'daily-sales': dailySalesSql({
      rollups,
      range: { from: at(catalog.end, -31), to: at(catalog.end, -24) },
      filters,
      after: null,
      limit: 50,
    }),
    'sales-velocity': salesVelocitySql({
      rollups,
      window,
      windowDays: 7,
      filters,
      after: null,
      limit: 50,
    }),
    'velocity-loader': velocityForPairsSql(
      rollups,
      [{ storeId: kolkata.id, productId: product.id }],
      window,
      7,
      tenant,
    ),
  };
}

/** A node of an EXPLAIN (FORMAT JSON) plan, with the keys the plan checks read. */
export interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** The top of an EXPLAIN (FORMAT JSON) answer; the timings only with ANALYZE. */
export interface ExplainedPlan {
  Plan: PlanNode;
  'Planning Time'?: number;
  'Execution Time'?: number;
}

/** Every node of a plan, depth first. */
export function planNodes(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(node);
  for (const child of node.Plans ?? []) planNodes(child, out);
  return out;
}

/**
 * EXPLAIN (FORMAT JSON[, ANALYZE]) of `statement` under an analyst's tenant settings, in a
 * transaction rolled back afterwards. On plain PostgreSQL as the gateway role (row-level
 * security applies); on TimescaleDB as the owner with the same settings, because its EXPLAIN
 * needs USAGE on _timescaledb_internal, which the gateway role deliberately lacks (the public
 * rollup views filter by the settings, not by policies).
 */
export async function explainAsTenant(
  owner: Pool,
  backend: Backend,
  customerId: string,
  statement: Sql,
  options: { analyze?: boolean } = {},
): Promise<ExplainedPlan> {
  const client = await owner.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config(k, v, true) FROM json_each_text($1::json) AS s(k, v)`, [
      JSON.stringify({
        'app.customer_id': customerId,
        'app.role': 'analyst',
        'app.store_ids': '*',
        ...(backend === 'native' ? { role: GATEWAY_ROLE } : {}),
      }),
    ]);
    const explained = options.analyze
      ? sql`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`
      : sql`EXPLAIN (FORMAT JSON) ${statement}`;
    const { rows } = await client.query<{ 'QUERY PLAN': ExplainedPlan[] }>(
      explained.text,
      explained.values,
    );
    const plan = rows[0]?.['QUERY PLAN'][0];
    if (!plan) throw new Error('EXPLAIN returned no plan');
    return plan;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** TimescaleDB's chunks (chunk table → hypertable) and continuous aggregates (view → table). */
export interface HypertableCatalog {
  chunkOf: Map<string, string>;
  materialized: Record<string, string>;
}

/** Reads the chunk and continuous-aggregate catalog of a TimescaleDB database. */
export async function hypertableCatalog(owner: Pool): Promise<HypertableCatalog> {
  const chunks = await owner.query<{ chunk: string; hypertable: string }>(
    `SELECT chunk_name AS chunk, hypertable_name AS hypertable FROM timescaledb_information.chunks`,
  );
  const caggs = await owner.query<{ view: string; table: string }>(
    `SELECT view_name AS view, materialization_hypertable_name AS table
     FROM timescaledb_information.continuous_aggregates`,
  );
  return {
    chunkOf: new Map(chunks.rows.map((r) => [r.chunk, r.hypertable])),
    materialized: Object.fromEntries(caggs.rows.map((r) => [r.view, r.table])),
  };
}
