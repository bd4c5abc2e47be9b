import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { RequestDb } from '../src/db/request-db.js';
import { importFile } from '../src/import/import-file.js';
import { DEFAULT_INGEST_TIME_RULE } from '../src/ingest-time.js';
import { loadMapping } from '../src/import/mapping.js';
import { createLogger } from '../src/logger.js';
import { insertSaleChunks } from '../src/sales/chunked-insert.js';
import { idColumn, prepareSales } from '../src/sales/sale-batch.js';
import { createGateway, listen } from '../src/server/app.js';
import { median } from './support.js';

// Ingest throughput in one run, per backend: COPY of sale lines (and their idempotency keys)
// into the same tables, a plain INSERT ... SELECT unnest as the owner (the embedded database's
// ceiling: PGlite has no COPY FROM STDIN through the bridge), recordSales over HTTP and the CSV
// import, 5 000 lines per batch (INGEST_BATCH: another size dividing 10 000), each method on
// new transaction ids. The methods take turns,
// ROUND lines each, so a machine that gets busier or a table that grows weighs on all alike.
// Prints lines/s and the ratios to COPY (server) or to the owner's INSERT (embedded).
// Usage: [ROLLUP_REFRESH=after-write|before-read] npx tsx bench/ingest.ts [lines per method,
// default 50000] [server|embedded]. On TimescaleDB, recordSales is timed with one trend read
// after its round, which pays whatever refresh the writes still owe.
// Then one client's recordSales against the owner's INSERT batch by batch: INGEST_PAIRS pairs
// (default 20) of one batch each, the two methods alternating which goes first, each pair on
// new ids; prints each method's median batch time and the median of the pairs' ratios, which a
// machine whose load moves between pairs disturbs least. `0` lines per method skips the rounds.
// A third method takes its turn in each pair: recordSales through a second gateway on the same
// database with UPLOAD_CHUNK_LINES=0 (each upload one statement), to show what the scheduler's
// chunks cost a lone client; the three go first in turn. INGEST_STATEMENT=1 then times the
// database's part alone in the same way: the owner's INSERTs against recordSales' statements
// run as the gateway runs them (its role and tenant context, one transaction), in one statement
// and in chunks of UPLOAD_CHUNK_LINES, without HTTP, GraphQL or the upload worker.

const SERVER = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const SECRET = 'bench-secret-bench-secret-bench-secret-1';
const LINES = Number(process.argv[2] ?? 50_000);
const BATCH = Number(process.env.INGEST_BATCH ?? 5_000);
const ROUND = 10_000;
const PAIRS = Number(process.env.INGEST_PAIRS ?? 20);
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
    `INSERT INTO products (customer_id, id, sku, name, category, unit_price, cost)
     SELECT $1, id, 'P' || n, 'Product ' || n, 'C', 1, 0.5
     FROM unnest($2::uuid[]) WITH ORDINALITY u(id, n)`,
    [tenant, products],
  );
  return { stores, products };
}

/** app.sale_content of a line: the key row COPY writes is the one recordSales would. */
function fingerprint(store: string, product: string, l: Line): string {
  const hex = createHash('md5')
    .update(`${store}|${product}|${l.quantity}|${l.price}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Each COPY gets its rows as one chunk, as an efficient client would send them.
async function copyLines(
  db: Database,
  tenant: string,
  ids: { stores: string[]; products: string[] },
  batch: Line[],
) {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const keys = batch.map(
      (l) =>
        `${tenant},${l.id},${l.time.toISOString()},${fingerprint(ids.stores[l.store] ?? '', ids.products[l.product] ?? '', l)}\n`,
    );
    await pipeline(
      Readable.from([keys.join('')]),
      client.query(copyFrom('COPY sale_keys FROM STDIN (FORMAT csv)')),
    );
    const rows = batch.map((l) => {
      const revenue = (Number(l.price) * l.quantity).toFixed(2);
      return `${tenant},${l.id},${l.time.toISOString()},${ids.stores[l.store]},${ids.products[l.product]},${l.quantity},${l.price},${revenue}\n`;
    });
    await pipeline(
      Readable.from([rows.join('')]),
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

/** A plain multi-row INSERT as the owner: no RLS, no idempotency check, no GraphQL. */
async function insertLines(
  db: Database,
  tenant: string,
  ids: { stores: string[]; products: string[] },
  batch: Line[],
) {
  const stores = batch.map((l) => ids.stores[l.store] ?? '');
  const products = batch.map((l) => ids.products[l.product] ?? '');
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO sale_keys (customer_id, transaction_id, time, content)
       SELECT $1, * FROM unnest($2::uuid[], $3::timestamptz[], $4::uuid[])`,
      [
        tenant,
        batch.map((l) => l.id),
        batch.map((l) => l.time.toISOString()),
        batch.map((l, i) => fingerprint(stores[i] ?? '', products[i] ?? '', l)),
      ],
    );
    await client.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
       SELECT $1, t, tm, s, p, q, u, q * u
       FROM unnest($2::uuid[], $3::timestamptz[], $4::uuid[], $5::uuid[], $6::integer[], $7::numeric(12, 2)[])
            AS x(t, tm, s, p, q, u)`,
      [
        tenant,
        batch.map((l) => l.id),
        batch.map((l) => l.time.toISOString()),
        stores,
        products,
        batch.map((l) => l.quantity),
        batch.map((l) => l.price),
      ],
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** The `q` quantile (0–1) of `xs`, the nearest value below. */
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? NaN;

/** The median of `xs` with its quartiles, for a line of results. */
const spread = (xs: number[]) =>
  `${median(xs).toFixed(2)} (quartiles ${quantile(xs, 0.25).toFixed(2)}–${quantile(xs, 0.75).toFixed(2)})`;

/**
 * recordSales' statements for `batch` as the gateway runs them, without HTTP, GraphQL or the
 * upload worker: the lines prepared as the worker prepares them (prepareSales), then one
 * transaction under the gateway's role and the tenant's context, the batch in statements of
 * `chunkLines` lines (0: one statement).
 */
async function gatewayStatements(
  db: Database,
  tenant: string,
  ids: { stores: string[]; products: string[] },
  batch: Line[],
  chunkLines: number,
  retention: string,
): Promise<void> {
  const request = new RequestDb(db.pool, {
    customerId: tenant,
    role: 'admin',
    storeIds: null,
    statementTimeoutMs: 600_000,
  });
  const sales = prepareSales(
    batch.map((l) => ({
      transactionId: l.id,
      time: l.time,
      storeId: ids.stores[l.store] ?? '',
      productId: ids.products[l.product] ?? '',
      quantity: l.quantity,
      unitPrice: l.price,
    })),
    DEFAULT_INGEST_TIME_RULE,
  );
  const byCode = new Map<string, string>();
  const columns = {
    ...sales.columns,
    storeIds: idColumn(sales.stores, byCode, sales.order).column,
    productIds: idColumn(sales.products, byCode, sales.order).column,
  };
  try {
    const pacing = { chunkLines, turn: () => Promise.resolve(), idle: () => false };
    const outcome = await insertSaleChunks(request, columns, sales.order, pacing, retention);
    if (outcome.accepted !== sales.count) throw new Error(JSON.stringify(outcome));
    await request.finish('commit');
  } catch (error) {
    await request.finish('rollback');
    throw error;
  }
}

/** Milliseconds a method spent, summed over its rounds. */
type Timings = Map<string, number>;

async function timed(timings: Timings, label: string, work: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await work();
  timings.set(label, (timings.get(label) ?? 0) + performance.now() - started);
}

const MAPPING = {
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
};

async function writeCsv(file: string, data: Line[]): Promise<void> {
  await writeFile(
    file,
    [
      'id;time;store;sku;qty;price',
      ...data.map(
        (l) =>
          `${l.id};${l.time.toISOString().slice(0, 19).replace('T', ' ')};S${l.store + 1};P${l.product + 1};${l.quantity};${l.price}`,
      ),
    ].join('\n'),
  );
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
    ...(process.env.ROLLUP_REFRESH ? { ROLLUP_REFRESH: process.env.ROLLUP_REFRESH } : {}),
    ...(process.env.UPLOAD_WORKERS ? { UPLOAD_WORKERS: process.env.UPLOAD_WORKERS } : {}),
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
  const unchunked = createGateway({
    config: { ...config, ingest: { ...config.ingest, chunkLines: 0 } },
    database: db,
    verifier: await createTokenVerifier(config.jwt),
    logger,
  });
  const unchunkedServer: Server = await listen(unchunked, '127.0.0.1', 0);
  const unchunkedUrl = `http://127.0.0.1:${(unchunkedServer.address() as AddressInfo).port}/graphql`;
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
    await writeFile(join(dir, 'mapping.json'), JSON.stringify(MAPPING));
    const mapping = await loadMapping(join(dir, 'mapping.json'));
    const batches = async (data: Line[], write: (batch: Line[]) => Promise<void>) => {
      for (let i = 0; i < data.length; i += BATCH) await write(data.slice(i, i + BATCH));
    };
    // The client sends each body as one buffer on a kept-alive connection, as an efficient
    // client would (COPY's rows go as one chunk too, and the owner's INSERT runs on a pooled
    // connection). The gateway keeps an idle connection HTTP_KEEP_ALIVE_TIMEOUT_MS (65 s), far
    // longer than the owner's INSERT between two uploads. INGEST_CLIENT=fetch uses Node's
    // fetch, which tees every request body to follow redirects, copying each chunk: CPU of the
    // client, in this process, that the owner's INSERT does not pay.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const postJson = async (payload: unknown, target = url): Promise<unknown> => {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      if (process.env.INGEST_CLIENT === 'fetch') {
        const response = await fetch(target, {
          method: 'POST',
          headers,
          body: JSON.stringify(payload),
        });
        return response.json();
      }
      const bytes = Buffer.from(JSON.stringify(payload));
      return new Promise((resolve, reject) => {
        const request = httpRequest(
          target,
          { method: 'POST', agent, headers: { ...headers, 'content-length': bytes.length } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
              try {
                resolve(JSON.parse(Buffer.concat(chunks).toString()));
              } catch (error) {
                reject(error instanceof Error ? error : new Error(String(error)));
              }
            });
          },
        );
        request.on('error', reject);
        request.end(bytes);
      });
    };
    const recordSales = async (batch: Line[], target = url) => {
      const sales = batch.map((l) => ({
        transactionId: l.id,
        time: l.time.toISOString(),
        storeId: ids.stores[l.store],
        productId: ids.products[l.product],
        quantity: l.quantity,
        unitPrice: l.price,
      }));
      const body = (await postJson(
        {
          query: 'mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }',
          variables: { s: sales },
        },
        target,
      )) as { data?: { recordSales: { accepted: number } } };
      if (body.data?.recordSales.accepted !== sales.length)
        throw new Error(JSON.stringify(body).slice(0, 300));
    };

    const readTrend = async (data: Line[]) => {
      const times = data.map((l) => l.time.getTime());
      const body = (await postJson({
        query: 'query($r: TimeRange!) { salesTrend(granularity: DAY, range: $r) { units } }',
        variables: {
          r: {
            from: new Date(Math.min(...times)).toISOString(),
            to: new Date(Math.max(...times) + 1).toISOString(),
          },
        },
      })) as { data?: { salesTrend: { units: string }[] } };
      if (!body.data) throw new Error(JSON.stringify(body).slice(0, 300));
    };

    out(
      `${kind} (${db.backend}, ROLLUP_REFRESH=${config.rollupRefresh}), ${fmt(LINES)} lines per method, batches of ${BATCH}:`,
    );
    const timings: Timings = new Map();
    for (let round = 0; round * ROUND < LINES; round += 1) {
      const size = Math.min(ROUND, LINES - round * ROUND);
      // PGlite aborts on COPY FROM STDIN through the bridge: the embedded run has no COPY.
      if (kind === 'server') {
        const data = lines(size);
        await timed(timings, 'COPY into sale_keys + transactions', () =>
          batches(data, (b) => copyLines(db, tenant, ids, b)),
        );
      }
      const raw = lines(size);
      await timed(timings, 'INSERT ... SELECT unnest as the owner', () =>
        batches(raw, (b) => insertLines(db, tenant, ids, b)),
      );
      const api = lines(size);
      await timed(timings, 'recordSales over HTTP', async () => {
        await batches(api, recordSales);
        // On TimescaleDB the rollups must include the writes before the next read: whatever
        // refresh they need (after each write, or before the read) is part of the method.
        if (db.backend === 'timescale') await readTrend(api);
      });
      const csv = join(dir, `sales-${round}.csv`);
      await writeCsv(csv, lines(size));
      await timed(timings, 'import of a CSV file', async () => {
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
        if (summary.accepted !== size) throw new Error(JSON.stringify(summary).slice(0, 300));
      });
    }
    // Batch by batch: the owner's INSERT and recordSales in pairs, alternating which goes first.
    const uploadReaders = async (target: string) => {
      const text = await (await fetch(target.replace(/graphql$/, 'metrics'))).text();
      return Number(
        /^shelfops_upload_bodies_total\{reader="worker"\} (\S+)$/m.exec(text)?.[1] ?? 0,
      );
    };
    // The upload worker starts with the first upload; both methods warm up meanwhile.
    for (let tries = 0; tries < 60; tries += 1) {
      await insertLines(db, tenant, ids, lines(BATCH));
      await recordSales(lines(BATCH));
      await recordSales(lines(BATCH), unchunkedUrl);
      const read = async () =>
        (await uploadReaders(url)) > 0 && (await uploadReaders(unchunkedUrl)) > 0;
      if (tries >= 2 && (config.uploadWorkers === 0 || (await read()))) break;
    }
    type Method = 'owner' | 'api' | 'single';
    const pairMs: Record<Method, number[]> = { owner: [], api: [], single: [] };
    // This process's CPU (every thread: the client, the gateway, its upload worker, pg's
    // client for the owner) per batch: what the machine's load does not stretch.
    const cpuMs: Record<Method, number[]> = { owner: [], api: [], single: [] };
    const loadBefore = loadavg()[0] ?? NaN;
    for (let pair = 0; pair < PAIRS; pair += 1) {
      const batch: Record<Method, Line[]> = {
        owner: lines(BATCH),
        api: lines(BATCH),
        single: lines(BATCH),
      };
      const work: Record<Method, () => Promise<void>> = {
        owner: () => insertLines(db, tenant, ids, batch.owner),
        api: async () => {
          await recordSales(batch.api);
          if (db.backend === 'timescale') await readTrend(batch.api);
        },
        single: async () => {
          await recordSales(batch.single, unchunkedUrl);
          if (db.backend === 'timescale') await readTrend(batch.single);
        },
      };
      const order: Method[] = ['owner', 'api', 'single'];
      for (let turn = 0; turn < 3; turn += 1) {
        const method = order[(pair + turn) % 3] as Method;
        const cpu = process.cpuUsage();
        const started = performance.now();
        await work[method]();
        pairMs[method].push(performance.now() - started);
        const used = process.cpuUsage(cpu);
        cpuMs[method].push((used.user + used.system) / 1000);
      }
    }
    const ratiosOf = (method: Method) =>
      pairMs.owner.map((ms, i) => ms / (pairMs[method][i] ?? Infinity));
    const summary = (method: Method) => `median of pairs ${spread(ratiosOf(method))}`;
    out(
      `  ${PAIRS} pairs of ${BATCH}-line batches (UPLOAD_WORKERS=${config.uploadWorkers}): owner INSERT median ${median(pairMs.owner).toFixed(0)} ms, ` +
        `recordSales median ${median(pairMs.api).toFixed(0)} ms; recordSales ÷ owner INSERT (throughput), ${summary('api')}; ` +
        `recordSales in one statement (UPLOAD_CHUNK_LINES=0) median ${median(pairMs.single).toFixed(0)} ms, ${summary('single')}; ` +
        `this process's CPU per batch, median: owner INSERT ${median(cpuMs.owner).toFixed(1)} ms, recordSales ${median(cpuMs.api).toFixed(1)} ms, ` +
        `in one statement ${median(cpuMs.single).toFixed(1)} ms; ` +
        `load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? NaN).toFixed(1)} after`,
    );
    if (process.env.INGEST_STATEMENT === '1') {
      const statementMs = { owner: [] as number[], one: [] as number[], chunks: [] as number[] };
      const chunkLines = config.ingest.chunkLines;
      const statementLoad = loadavg()[0] ?? NaN;
      for (let pair = 0; pair < PAIRS; pair += 1) {
        const work: Record<keyof typeof statementMs, () => Promise<void>> = {
          owner: () => insertLines(db, tenant, ids, lines(BATCH)),
          one: () => gatewayStatements(db, tenant, ids, lines(BATCH), 0, config.retention),
          chunks: () =>
            gatewayStatements(db, tenant, ids, lines(BATCH), chunkLines, config.retention),
        };
        const order = ['owner', 'one', 'chunks'] as const;
        for (let turn = 0; turn < 3; turn += 1) {
          const method = order[(pair + turn) % 3] ?? 'owner';
          const started = performance.now();
          await work[method]();
          statementMs[method].push(performance.now() - started);
        }
      }
      const versus = (ms: number[]) => statementMs.owner.map((o, i) => o / (ms[i] ?? Infinity));
      out(
        `  the statements alone, ${PAIRS} triples: owner INSERTs median ${median(statementMs.owner).toFixed(0)} ms; ` +
          `recordSales' statement median ${median(statementMs.one).toFixed(0)} ms, owner ÷ it ${spread(versus(statementMs.one))}; ` +
          `in chunks of ${chunkLines} median ${median(statementMs.chunks).toFixed(0)} ms, owner ÷ them ${spread(versus(statementMs.chunks))}; ` +
          `load average ${statementLoad.toFixed(1)} before, ${(loadavg()[0] ?? NaN).toFixed(1)} after`,
      );
    }
    // Every method wrote the same kind of rows: each key's fingerprint is app.sale_content's.
    const { rows: wrong } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sale_keys k JOIN transactions t USING (customer_id, transaction_id)
       WHERE k.content <> app.sale_content(t.store_id, t.product_id, t.quantity, t.unit_price)`,
    );
    if (wrong[0]?.n !== 0) throw new Error(`${wrong[0]?.n} keys differ from app.sale_content`);
    if (LINES === 0) return;
    const rate = new Map([...timings].map(([label, ms]) => [label, (LINES * 1000) / ms]));
    for (const [label, r] of rate) out(`  ${label}: ${fmt(r)} lines/s`);
    const base =
      kind === 'server'
        ? 'COPY into sale_keys + transactions'
        : 'INSERT ... SELECT unnest as the owner';
    const ratio = (label: string) => ((rate.get(label) ?? 0) / (rate.get(base) ?? 1)).toFixed(2);
    out(
      `  ratios to ${kind === 'server' ? 'COPY' : 'the owner INSERT'}: recordSales ${ratio('recordSales over HTTP')}, ` +
        `import ${ratio('import of a CSV file')}` +
        (kind === 'server'
          ? `, owner INSERT ${ratio('INSERT ... SELECT unnest as the owner')}`
          : ''),
    );
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => unchunkedServer.close(() => resolve()));
    await gateway.dispose();
    await unchunked.dispose();
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
