import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { importFile } from '../src/import/import-file.js';
import { createLogger } from '../src/logger.js';
import { createGateway, listen } from '../src/server/app.js';

// Ingest throughput in one run, per backend: COPY of sale lines (and their idempotency keys)
// into the same tables, recordSales over HTTP and the CSV import, 5 000 lines per batch, each
// method on new transaction ids. Prints lines/s and the ratios to COPY.
// Usage: npx tsx bench/ingest.ts [lines per method, default 50000]

const SERVER = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const SECRET = 'bench-secret-bench-secret-bench-secret-1';
const LINES = Number(process.argv[2] ?? 50_000);
const BATCH = 5_000;
const STORES = 10;
const PRODUCTS = 100;
const out = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Line {
  id: string;
  time: Date;
  store: number;
  product: number;
  quantity: number;
  price: string;
}

function lines(count: number): Line[] {
  const start = Date.now() - 20 * 86_400_000;
  return Array.from({ length: count }, (_, n) => ({
    id: randomUUID(),
    time: new Date(start + ((n * 7919) % (19 * 86_400)) * 1000),
    store: n % STORES,
    product: (n * 31) % PRODUCTS,
    quantity: n % 17 === 0 ? -1 : 1 + (n % 5),
    price: `${1 + (n % 40)}.${String(n % 100).padStart(2, '0')}`,
  }));
}

async function setUp(
  db: Database,
  tenant: string,
): Promise<{ stores: string[]; products: string[] }> {
  await db.pool.query(`INSERT INTO customers (id, name) VALUES ($1, 'Bench')`, [tenant]);
  const stores = Array.from({ length: STORES }, () => randomUUID());
  const products = Array.from({ length: PRODUCTS }, () => randomUUID());
  await db.pool.query(
    `INSERT INTO stores (customer_id, id, code, name, region) SELECT $1, id, 'S' || n, 'Store ' || n, 'R'
     FROM unnest($2::uuid[]) WITH ORDINALITY u(id, n)`,
    [tenant, stores],
  );
  await db.pool.query(
    `INSERT INTO products (customer_id, id, sku, name, category, unit_price) SELECT $1, id, 'P' || n, 'Product ' || n, 'C', 1
     FROM unnest($2::uuid[]) WITH ORDINALITY u(id, n)`,
    [tenant, products],
  );
  return { stores, products };
}

async function copyLines(
  db: Database,
  tenant: string,
  ids: { stores: string[]; products: string[] },
  batch: Line[],
) {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const keys = batch.map((l) => `${tenant},${l.id},${l.time.toISOString()},${randomUUID()}\n`);
    await pipeline(
      Readable.from(keys),
      client.query(copyFrom('COPY sale_keys FROM STDIN (FORMAT csv)')),
    );
    const rows = batch.map((l) => {
      const revenue = (Number(l.price) * l.quantity).toFixed(2);
      return `${tenant},${l.id},${l.time.toISOString()},${ids.stores[l.store]},${ids.products[l.product]},${l.quantity},${l.price},${revenue}\n`;
    });
    await pipeline(
      Readable.from(rows),
      client.query(
        copyFrom(
          'COPY transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue) FROM STDIN (FORMAT csv)',
        ),
      ),
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function measure(label: string, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  const rate = (LINES * 1000) / (performance.now() - started);
  out(`  ${label}: ${fmt(rate)} lines/s`);
  return rate;
}

async function bench(kind: 'server' | 'embedded'): Promise<void> {
  const scratch = kind === 'server' ? `shelfops_bench_${Date.now().toString(36)}` : null;
  if (scratch) {
    const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${scratch}`);
    await admin.end();
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: SECRET,
    EMBEDDED_DATA_DIR: 'memory',
    SEED_DEMO: 'false',
    RATE_LIMIT_REQUESTS: '0',
    ...(scratch ? { DATABASE_URL: `${SERVER}/${scratch}` } : {}),
  });
  const logger = createLogger('silent');
  const db = await openDatabase(config, logger);
  const gateway = createGateway({
    config,
    database: db,
    verifier: await createTokenVerifier(config.jwt),
    logger,
  });
  const server: Server = await listen(gateway, '127.0.0.1', 0);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const dir = await mkdtemp(join(tmpdir(), 'shelfops-bench-'));
  try {
    const tenant = randomUUID();
    const ids = await setUp(db, tenant);
    const token = await mintToken({
      secret: SECRET,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      customerId: tenant,
      role: 'admin',
    });
    out(`${kind} (${db.backend}), ${fmt(LINES)} lines per method, batches of ${BATCH}:`);
    // PGlite aborts on COPY FROM STDIN through the bridge: the embedded run has no COPY baseline.
    const copyData = lines(LINES);
    const copy =
      kind === 'server'
        ? await measure('COPY into sale_keys + transactions', async () => {
            for (let i = 0; i < LINES; i += BATCH) {
              await copyLines(db, tenant, ids, copyData.slice(i, i + BATCH));
            }
          })
        : null;
    const apiData = lines(LINES);
    const api = await measure('recordSales over HTTP', async () => {
      for (let i = 0; i < LINES; i += BATCH) {
        const sales = apiData.slice(i, i + BATCH).map((l) => ({
          transactionId: l.id,
          time: l.time.toISOString(),
          storeId: ids.stores[l.store],
          productId: ids.products[l.product],
          quantity: l.quantity,
          unitPrice: l.price,
        }));
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query: 'mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }',
            variables: { s: sales },
          }),
        });
        const body = (await response.json()) as { data?: { recordSales: { accepted: number } } };
        if (body.data?.recordSales.accepted !== sales.length)
          throw new Error(JSON.stringify(body).slice(0, 300));
      }
    });
    const csv = join(dir, 'sales.csv');
    const importData = lines(LINES);
    await writeFile(
      csv,
      [
        'id;time;store;sku;qty;price',
        ...importData.map(
          (l) =>
            `${l.id};${l.time.toISOString().slice(0, 19).replace('T', ' ')};S${l.store + 1};P${l.product + 1};${l.quantity};${l.price}`,
        ),
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'mapping.json'),
      JSON.stringify({
        delimiter: ';',
        decimal: '.',
        timeZone: 'UTC',
        dateFormats: ['YYYY-MM-DD HH:mm:ss'],
        sales: {
          transactionId: 'id',
          time: 'time',
          storeCode: 'store',
          sku: 'sku',
          quantity: 'qty',
          unitPrice: 'price',
        },
      }),
    );
    const { loadMapping } = await import('../src/import/mapping.js');
    const mapping = await loadMapping(join(dir, 'mapping.json'));
    const imported = await measure('import of a CSV file', async () => {
      const summary = await importFile({
        kind: 'sales',
        file: csv,
        tenantId: tenant,
        mapping,
        pool: db.pool,
        backend: db.backend,
        retention: config.retention,
        batchSize: BATCH,
        refusedFile: join(dir, 'refused.tsv'),
      });
      if (summary.accepted !== LINES) throw new Error(JSON.stringify(summary).slice(0, 300));
    });
    if (copy) {
      out(
        `  ratios to COPY: recordSales ${(api / copy).toFixed(2)}, import ${(imported / copy).toFixed(2)}`,
      );
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway.dispose();
    await db.close();
    await rm(dir, { recursive: true, force: true });
    if (scratch) {
      const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
      await admin.end();
    }
  }
}

const which = process.argv[3];
if (which !== 'embedded') await bench('server');
if (which !== 'server') await bench('embedded');
