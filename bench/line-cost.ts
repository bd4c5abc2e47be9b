/**
 * What the line-cost trigger costs an insert since lines take the cost in force at their sale
 * time (migration 0023: one probe of product_costs' key per line) against the product's current
 * cost (0017: one probe of products' key per line), and against lines that name their cost (the
 * trigger skipped): the same 5 000-line INSERT ... SELECT unnest as the owner, the three
 * alternated round by round in one database, each product with four cost periods.
 *   npx tsx bench/line-cost.ts [--backend postgres|embedded|both] [--rounds 7] [--lines 5000]
 * postgres: a new database on TEST_PG_URL (default postgres://postgres@127.0.0.1:5432).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { median } from './support.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '7' },
    lines: { type: 'string', default: '5000' },
  },
});
const SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const ROUNDS = Number(args.rounds);
const LINES = Number(args.lines);
const PRODUCTS = 100;
const DAY = 86_400_000;

// The line's cost as 0017 looked it up: its product's current cost.
const CURRENT_COST = `
BEGIN
  SELECT p.cost INTO NEW.unit_cost FROM public.products p
  WHERE p.customer_id = NEW.customer_id AND p.id = NEW.product_id;
  RETURN NEW;
END`;

type Method = 'history' | 'current' | 'given';

async function run(backend: 'postgres' | 'embedded'): Promise<string> {
  const name = `shelfops_bench_${randomBytes(6).toString('hex')}`;
  let databaseUrl: string | undefined;
  if (backend === 'postgres') {
    const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databaseUrl = `${SERVER_URL}/${name}`;
  }
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    EMBEDDED_DATA_DIR: 'memory',
    SEED_DEMO: 'false',
    STATEMENT_TIMEOUT_MS: '600000',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const database = await openDatabase(config, createLogger('silent'));
  const owner = database.pool;
  try {
    const tenant = randomUUID();
    const store = randomUUID();
    const products = Array.from({ length: PRODUCTS }, () => randomUUID());
    await owner.query(`INSERT INTO customers (id, name) VALUES ($1, 'Bench')`, [tenant]);
    await owner.query(
      `INSERT INTO stores (customer_id, id, code, name, region) VALUES ($1, $2, 'S1', 'Store', 'R')`,
      [tenant, store],
    );
    await owner.query(
      `INSERT INTO products (customer_id, id, sku, name, category, unit_price, cost)
       SELECT $1, id, 'P' || n, 'Product ' || n, 'C', 2, 1 FROM unnest($2::uuid[]) WITH ORDINALITY u(id, n)`,
      [tenant, products],
    );
    // Three more periods per product, 15, 10 and 5 days ago.
    for (const [days, cost] of [
      [15, '1.10'],
      [10, '1.20'],
      [5, '1.30'],
    ] as const) {
      await owner.query(
        `UPDATE products SET cost = $2, cost_from = now() - make_interval(days => $3)
         WHERE customer_id = $1`,
        [tenant, cost, days],
      );
    }
    const { rows: body } = await owner.query<{ body: string }>(
      `SELECT prosrc AS body FROM pg_proc WHERE oid = 'app.sale_line_cost()'::regprocedure`,
    );
    const history = body[0]?.body ?? '';
    const useBody = (text: string) =>
      owner.query(`CREATE OR REPLACE FUNCTION app.sale_line_cost() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$${text}$fn$`);

    const start = Date.now() - 20 * DAY;
    const insert = async (method: Method) => {
      const ids = Array.from({ length: LINES }, () => randomUUID());
      const began = performance.now();
      await owner.query(
        `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity,
                                   unit_price, revenue, unit_cost)
         SELECT $1, t, to_timestamp(($4::bigint + (n * 7919) % (19 * 86400) * 1000) / 1000.0), $2,
                ($3::uuid[])[1 + (n * 31) % ${PRODUCTS}], 1 + n % 5, 2, (1 + n % 5) * 2,
                CASE WHEN $5 THEN 1.25 END
         FROM unnest($6::uuid[]) WITH ORDINALITY u(t, n)`,
        [tenant, store, products, start, method === 'given', ids],
      );
      return performance.now() - began;
    };

    const timings: Record<Method, number[]> = { history: [], current: [], given: [] };
    await insert('history'); // warm-up
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const method of ['history', 'current', 'given'] as const) {
        if (method !== 'given') await useBody(method === 'history' ? history : CURRENT_COST);
        timings[method].push(await insert(method));
      }
    }
    await useBody(history);
    const rate = (m: Method) => LINES / (median(timings[m]) / 1000);
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    return [
      `${backend} (${database.backend}), ${ROUNDS} rounds of ${LINES} lines (median):`,
      `  cost in force at the sale time (0023): ${fmt(rate('history'))} lines/s`,
      `  product's current cost (0017):         ${fmt(rate('current'))} lines/s`,
      `  cost named by the line (no probe):     ${fmt(rate('given'))} lines/s`,
      `  history ÷ current: ${(rate('history') / rate('current')).toFixed(3)}; ` +
        `history ÷ no probe: ${(rate('history') / rate('given')).toFixed(3)}`,
    ].join('\n');
  } finally {
    await database.close();
    if (backend === 'postgres') {
      const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
}

const backends =
  args.backend === 'both' ? (['postgres', 'embedded'] as const) : [args.backend as 'postgres'];
for (const backend of backends) process.stdout.write(`${await run(backend)}\n`);
