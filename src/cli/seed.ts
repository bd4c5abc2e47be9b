import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../logger.js';
import { resetTenantData, seedDatabase, type SeedOptions } from '../seed/index.js';

// Loads the generated retail data set: npm run seed -- --tenants 3 --stores 20 --products 200
// --days 365 --seed 42 [--end YYYY-MM-DD] [--reset]. Uses DATABASE_URL, or the embedded
// database in EMBEDDED_DATA_DIR when it is unset; applies pending migrations first.

const USAGE =
  'usage: npm run seed -- [--tenants 2] [--stores 6] [--products 40] [--days 120] [--seed 42] ' +
  '[--end YYYY-MM-DD] [--reset]';

function fail(problems: string[]): never {
  process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
  process.exit(2);
}

function integer(name: string, text: string, problems: string[]): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value)) {
    problems.push(`--${name}: expected an integer, got "${text}"`);
  }
  return value;
}

function parse(): { options: SeedOptions; reset: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        tenants: { type: 'string', default: '2' },
        stores: { type: 'string', default: '6' },
        products: { type: 'string', default: '40' },
        days: { type: 'string', default: '120' },
        seed: { type: 'string', default: '42' },
        end: { type: 'string' },
        reset: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail([error instanceof Error ? error.message : String(error)]);
  }
  const problems: string[] = [];
  const endDate = values.end === undefined ? undefined : new Date(`${values.end}T00:00:00Z`);
  if (endDate && (!/^\d{4}-\d{2}-\d{2}$/.test(values.end ?? '') || isNaN(endDate.getTime()))) {
    problems.push('--end: a date such as 2025-01-01 (exclusive, UTC)');
  }
  const options: SeedOptions = {
    tenants: integer('tenants', values.tenants, problems),
    storesPerTenant: integer('stores', values.stores, problems),
    productsPerTenant: integer('products', values.products, problems),
    days: integer('days', values.days, problems),
    seed: integer('seed', values.seed, problems),
    ...(endDate ? { endDate } : {}),
  };
  if (problems.length > 0) fail(problems);
  return { options, reset: values.reset };
}

async function main(): Promise<void> {
  const { options, reset } = parse();
  let config: Config;
  try {
    config = { ...loadConfig(), migrateOnStart: true };
  } catch (error) {
    if (error instanceof ConfigError) fail(error.problems);
    throw error;
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    config.databaseUrl
      ? 'Seeding the PostgreSQL server at DATABASE_URL'
      : `Seeding the embedded database in ${config.embeddedDataDir ?? 'memory'}`,
  );
  const database = await openDatabase(config, logger, 'migrate');
  try {
    if (reset) {
      await resetTenantData(database.pool, database.backend);
      out('Removed every tenant and its rows');
    }
    const result = await seedDatabase(database.pool, database.backend, { ...options, log: out });
    const rows = result.transactions + result.inventoryRows;
    out(
      `Loaded ${result.transactions.toLocaleString('en-US')} transactions and ` +
        `${result.inventoryRows.toLocaleString('en-US')} inventory snapshots ` +
        `(${database.backend} backend) in ${result.seconds.toFixed(1)} s: ` +
        `${Math.round(rows / result.seconds).toLocaleString('en-US')} rows/s, ` +
        `${Math.round(result.transactions / result.seconds).toLocaleString('en-US')} transactions/s`,
    );
    for (const tenant of result.tenants) {
      out(
        `  ${tenant.name}: customer_id ${tenant.customerId}, ${tenant.storeIds.length} stores, ` +
          `${tenant.productIds.length} products`,
      );
    }
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`seed failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
