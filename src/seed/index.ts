import { availableParallelism } from 'node:os';
import sql from 'sql-template-tag';
import type { Backend } from '../db/migrate.js';
import type { Pool } from '../db/pool.js';
import { refreshSalesRollups } from '../db/rollups.js';
import { generateProducts, generateStores, tenantIdentity } from './catalog.js';
import { Random } from './random.js';
import {
  existingTenants,
  inBatch,
  insertAlerts,
  insertAnomalies,
  insertCatalog,
  insertForecasts,
  insertReorderPoints,
  insertSales,
  insertStock,
  type TenantTarget,
} from './seed-store.js';
import { FORECAST_MODEL_VERSION, simulateTenant } from './simulate.js';

export { DEMO_TENANTS } from './catalog.js';

const DAY_MS = 86_400_000;
/** Store/product/days per generated statement: large enough to amortise a round trip. */
const BATCH_ROWS = 40_000;

export interface SeedOptions {
  tenants: number;
  storesPerTenant: number;
  productsPerTenant: number;
  days: number;
  seed: number;
  /** Exclusive end of the period, floored to 00:00 UTC; default: today 00:00 UTC. */
  endDate?: Date;
  /** Progress messages (one line each). */
  log?: (message: string) => void;
  /** Store/product/days per generated statement (default 40,000). */
  batchRows?: number;
}

export interface SeedResult {
  tenants: { customerId: string; name: string; storeIds: string[]; productIds: string[] }[];
  transactions: number;
  inventoryRows: number;
  seconds: number;
}

/** The small data set `npm start` loads into an empty embedded database. */
export const DEMO_SEED_OPTIONS: Omit<SeedOptions, 'endDate'> = {
  tenants: 2,
  storesPerTenant: 6,
  productsPerTenant: 40,
  days: 120,
  seed: 42,
};

/**
 * Deletes every tenant and all their rows (as the owner), and brings the rollups back in
 * line; the schema and the migration ledger stay.
 */
export async function resetTenantData(pool: Pool, backend: Backend): Promise<void> {
  await pool.query(sql`/* seedReset */
    TRUNCATE anomalies, alerts, reorder_points, forecasts, inventory_levels, transactions,
      product_costs, products, stores, customers`);
  await refreshSalesRollups(pool, backend, null, null);
}

/** Whether the database holds no tenant yet. */
export async function hasNoTenants(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ empty: boolean }>(
    sql`/* seedHasNoTenants */ SELECT NOT EXISTS (SELECT FROM customers) AS "empty"`,
  );
  return rows[0]?.empty ?? true;
}

/** Runs at most `limit` statements at a time and remembers the first failure. */
class Pipeline {
  private readonly running = new Set<Promise<void>>();
  private failure: unknown = null;

  constructor(private readonly limit: number) {}

  async add(work: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure !== null) throw this.failure;
    const task: Promise<void> = work()
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    if (this.failure !== null) throw this.failure;
  }
}

function validate(options: SeedOptions): void {
  const problems: string[] = [];
  const check = (name: keyof SeedOptions, min: number, max: number) => {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max}`);
    }
  };
  check('tenants', 1, 1_000);
  check('storesPerTenant', 1, 10_000);
  check('productsPerTenant', 1, 100_000);
  check('days', 1, 3_660);
  check('seed', -2_147_483_648, 2_147_483_647);
  if (options.batchRows !== undefined) check('batchRows', 1, 1_000_000);
  if (options.endDate && Number.isNaN(options.endDate.getTime())) {
    problems.push('endDate must be a valid date');
  }
  if (problems.length > 0) throw new Error(`invalid seed options: ${problems.join('; ')}`);
}

/**
 * Loads a realistic, deterministic retail data set (same options ⇒ same rows) as the owner:
 * tenants with stores in several regions and time zones, products in categories, POS lines,
 * daily stock snapshots that follow sales and replenishment, reorder points, alerts,
 * anomalies and forecasts; then refreshes the sales rollups. The tenants must not exist yet.
 */
export async function seedDatabase(
  pool: Pool,
  backend: Backend,
  options: SeedOptions,
): Promise<SeedResult> {
  validate(options);
  const started = performance.now();
  const endMs = Math.floor((options.endDate ?? new Date()).getTime() / DAY_MS) * DAY_MS;
  const startMs = endMs - options.days * DAY_MS;
  const start = new Date(startMs).toISOString().slice(0, 10);
  const identities = Array.from({ length: options.tenants }, (_, i) => tenantIdentity(i));
  const taken = await existingTenants(
    pool,
    identities.map((t) => t.customerId),
  );
  if (taken.length > 0) {
    throw new Error(
      `tenants ${taken.join(', ')} already exist; seed an empty database (npm run seed -- --reset)`,
    );
  }
  const connections = Math.max(1, Math.min(pool.options.max ?? 1, availableParallelism()));
  const pipeline = new Pipeline(connections);
  const result: SeedResult = { tenants: [], transactions: 0, inventoryRows: 0, seconds: 0 };

  for (const [index, identity] of identities.entries()) {
    const random = new Random(options.seed, identity.customerId, 'catalog');
    const target: TenantTarget = {
      seed: options.seed,
      customerId: identity.customerId,
      name: identity.name,
      stores: generateStores(random, identity.customerId, options.storesPerTenant),
      products: generateProducts(random, identity.customerId, options.productsPerTenant),
      start,
      end: new Date(endMs),
      modelVersion: FORECAST_MODEL_VERSION,
      salt: random.int(0, 2 ** 31 - 2),
    };
    await insertCatalog(pool, target);
    const run = simulateTenant({
      seed: options.seed,
      customerId: identity.customerId,
      stores: target.stores,
      products: target.products,
      startMs,
      days: options.days,
      batchRows: options.batchRows ?? BATCH_ROWS,
    });
    // The simulation computes the next batch while the database inserts the previous ones.
    let step = run.next();
    while (!step.done) {
      const next = step.value;
      await pipeline.add(async () => {
        await inBatch(pool, async (client) => {
          // Read the counters only after the insert: batches finish concurrently.
          if (next.kind === 'sales') {
            const inserted = await insertSales(client, target, next.batch);
            result.transactions += inserted;
          } else {
            const inserted = await insertStock(client, target, next.batch);
            result.inventoryRows += inserted;
          }
        });
      });
      step = run.next();
    }
    const simulation = step.value;
    await pipeline.drain();
    for (const batch of simulation.forecasts) {
      await inBatch(pool, (client) => insertForecasts(client, target, batch));
    }
    await insertReorderPoints(pool, target, simulation.reorderPoints);
    await insertAlerts(pool, target, simulation.alerts);
    await insertAnomalies(pool, target, simulation.anomalies);
    result.tenants.push({
      customerId: identity.customerId,
      name: identity.name,
      storeIds: target.stores.map((s) => s.id),
      productIds: target.products.map((p) => p.id),
    });
    options.log?.(
      `tenant ${index + 1}/${identities.length} ${identity.name}: ${result.transactions} transactions so far`,
    );
  }

  await refreshSalesRollups(pool, backend, null, null);
  await pool.query(sql`/* seedAnalyze */ ANALYZE customers, stores, products, transactions,
    inventory_levels, forecasts, reorder_points, alerts, anomalies`);
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
