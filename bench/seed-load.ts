import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migrateUp } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { seedDatabase, type SeedOptions } from '../src/seed/index.js';

// Loads ≥ 1M POS lines into a scratch database on the local PostgreSQL server with the seed
// generator (set-based INSERT … SELECT per batch, two connections), then measures the naive way
// (one INSERT per line, same table, indexes and foreign keys) on a sample in the same run.
// Usage: npx tsx bench/seed-load.ts [tenants] [stores] [products] [days]

const SERVER = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const NAIVE_SAMPLE = 5_000;
const [tenants = 3, stores = 20, products = 200, days = 150] = process.argv
  .slice(2)
  .map((arg) => Number(arg));
const out = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const name = `shelfops_bench_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const pool = createPool(`${SERVER}/${name}`, 4);
pool.on('error', () => undefined);
try {
  await migrateUp(pool, { timescaledb: 'auto' });
  const options: SeedOptions = {
    tenants,
    storesPerTenant: stores,
    productsPerTenant: products,
    days,
    seed: 42,
    endDate: new Date('2025-06-01T00:00:00Z'),
  };
  out(`seed: ${tenants} tenants × ${stores} stores × ${products} products × ${days} days`);
  const result = await seedDatabase(pool, 'native', options);
  const rows = result.transactions + result.inventoryRows;
  const seedTxPerSecond = result.transactions / result.seconds;
  out(
    `seed: ${fmt(result.transactions)} transactions + ${fmt(result.inventoryRows)} inventory rows ` +
      `in ${result.seconds.toFixed(1)} s (incl. forecasts, alerts, ANALYZE)`,
  );
  out(`seed: ${fmt(seedTxPerSecond)} transactions/s = ${fmt(seedTxPerSecond * 60)} per minute`);
  out(`seed: ${fmt(rows / result.seconds)} rows/s (transactions + inventory)`);

  const { rows: sample } = await pool.query<{
    customer_id: string;
    time: Date;
    store_id: string;
    product_id: string;
    quantity: number;
    unit_price: string;
  }>(
    `SELECT customer_id, time, store_id, product_id, quantity, unit_price
     FROM transactions ORDER BY time DESC LIMIT $1`,
    [NAIVE_SAMPLE],
  );
  const started = performance.now();
  for (const row of sample) {
    await pool.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id,
                                 quantity, unit_price, revenue)
       VALUES ($1, $2, $3, $4, $5, $6::integer, $7::numeric, $6::integer * $7::numeric)`,
      [
        row.customer_id,
        randomUUID(),
        row.time,
        row.store_id,
        row.product_id,
        row.quantity,
        row.unit_price,
      ],
    );
  }
  const naivePerSecond = sample.length / ((performance.now() - started) / 1000);
  out(`naive: ${fmt(sample.length)} single-row INSERTs at ${fmt(naivePerSecond)} transactions/s`);
  out(
    `naive: ${fmt(result.transactions)} transactions would take ` +
      `${(result.transactions / naivePerSecond).toFixed(0)} s`,
  );
  out(`ratio: seed is ${(seedTxPerSecond / naivePerSecond).toFixed(1)}× the single-row baseline`);
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
