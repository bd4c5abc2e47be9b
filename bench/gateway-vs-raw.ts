/**
 * Per-request cost of the gateway against a minimal node:http + pg handler that verifies the
 * same bearer token, runs the same SQL (the project's own statements) in the same tenant
 * transaction and returns the same JSON; and the response cache's hits against its misses.
 * Each server runs in a process of its own (autocannon stays in this one); rounds alternate.
 * The gateway runs as deployed: `npm run start:prod`'s node command (the compiled dist/main.js
 * and its V8 flags) with NODE_ENV=production (build first).
 *   npm run build && npx tsx bench/gateway-vs-raw.ts [--seconds 4] [--rounds 5]
 *     [--connections 10]
 *     [--trend-database URL]   (a seeded database for the cache's 30-day trend; default: the
 *                               scratch database this benchmark seeds)
 *     [--cpu-prof DIR]         (the gateways write V8 CPU profiles there when stopped)
 *     [--only TEXT]            (only the comparisons whose name contains TEXT, no cache part;
 *                               figures printed, not written)
 * The scratch database is created on TEST_PG_URL (default postgres://postgres@127.0.0.1:5432)
 * and dropped at the end. Figures go to bench/results/gateway-vs-raw.md. Cache hits alone against
 * the bare transport, measured robustly: bench/cache-hits.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { jwtVerify } from 'jose';
import pg from 'pg';
import { readRequestFacts } from '../src/analytics/data-freshness.js';
import { mintToken } from '../src/auth/tokens.js';
import { listStores, productById, storeById } from '../src/catalog/catalog-store.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { recordedBackend } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { RequestDb } from '../src/db/request-db.js';
import { listLatestInventory } from '../src/inventory/inventory-store.js';
import { LoaderCache } from '../src/loaders.js';
import { createLogger } from '../src/logger.js';
import { ROUTE, salesTrend, type TrendInput } from '../src/sales/sales-store.js';
import { velocityLoader } from '../src/sales/velocity-store.js';
import { seedDatabase } from '../src/seed/index.js';
import { firstTenant, scratchDatabase } from './support.js';
import { storeDayTrend } from '../test/support/trend-input.js';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'string' },
    database: { type: 'string' },
    body: { type: 'string' },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    'trend-database': { type: 'string' },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
  },
});
const SECRET = 'bench-secret-bench-secret-bench-secret-01';
const ISSUER = 'shelfops-dev';
const AUDIENCE = 'shelfops-gateway';
const POOL = 10;
// The production start's own node flags and script (`npm run start:prod`), as deployed.
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};
const START_PROD = (PACKAGE.scripts['start:prod'] ?? '').split(' ').slice(1);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const STORES = '{ stores(first: 10) { edges { node { id } } } }';
const INVENTORY =
  '{ latestInventory(first: 100) { edges { node { store { name } product { name } available daysOfCover } } } }';
const TREND = `query($range: TimeRange!) { salesTrend(range: $range, granularity: DAY, groupBy: [STORE]) {
  bucket store { name } units revenue transactions } }`;

// ---------------------------------------------------------------- servers (child processes)

/**
 * The question TREND asks, as the gateway's resolver hands it to salesTrend: the measures it
 * selects, so both run the same statement.
 */
function trendQuestion(range: { from: Date; to: Date }): TrendInput {
  return storeDayTrend(range, { measures: ['units', 'revenue', 'transactions'] });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * The minimal handler: verify, one transaction under the tenant context, same SQL, JSON. A
 * trend also reads the tenant's freshness first and tells it in `extensions.freshness`, as
 * every analytics answer of the gateway does.
 */
async function serveRaw(url: string): Promise<number> {
  const pool = createPool(url, POOL);
  const backend = (await recordedBackend(pool)) ?? 'native';
  const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
  const server = createServer((request, response) => {
    void (async () => {
      const { query, variables } = JSON.parse(await readBody(request)) as {
        query: string;
        variables?: { range: { from: string; to: string } };
      };
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      const { payload } = await jwtVerify(token, key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      const db = new RequestDb(pool, {
        customerId: String(payload['customer_id']),
        role: String(payload['role']),
        storeIds: null,
        statementTimeoutMs: 10_000,
      });
      let data: unknown;
      let extensions: unknown;
      try {
        if (query === STORES) {
          const page = { limit: 10, after: null, search: null, region: null };
          const rows = await listStores(db, page);
          data = { stores: { edges: rows.slice(0, 10).map((r) => ({ node: { id: r.id } })) } };
        } else if (query === TREND && variables) {
          const range = { from: new Date(variables.range.from), to: new Date(variables.range.to) };
          const { freshness } = await readRequestFacts(db, backend);
          extensions = { freshness };
          const rows = await salesTrend(db, trendQuestion(range), ROUTE);
          const ctx = { db, loaders: new LoaderCache() };
          const stores = await storeById(ctx).loadMany(rows.map((r) => r.storeId ?? ''));
          data = {
            salesTrend: rows.map((r, i) => ({
              bucket: r.bucket.toISOString(),
              store: { name: (stores[i] as { name: string }).name },
              units: Number(r.units),
              revenue: r.revenue,
              transactions: r.transactions,
            })),
          };
        } else {
          const ctx = { db, loaders: new LoaderCache() };
          const rows = (
            await listLatestInventory(db, {
              limit: 100,
              after: null,
              storeIds: null,
              productIds: null,
              belowReorderPoint: null,
            })
          ).slice(0, 100);
          const [stores, products, velocity] = await Promise.all([
            storeById(ctx).loadMany(rows.map((r) => r.storeId)),
            productById(ctx).loadMany(rows.map((r) => r.productId)),
            velocityLoader(ctx).loadMany(rows),
          ]);
          data = {
            latestInventory: {
              edges: rows.map((r, i) => {
                const perDay = Number(velocity[i]);
                const store = stores[i] as { name: string };
                const product = products[i] as { name: string };
                return {
                  node: {
                    store: { name: store.name },
                    product: { name: product.name },
                    available: r.available,
                    daysOfCover: perDay > 0 ? r.available / perDay : null,
                  },
                };
              }),
            },
          };
        }
        await db.finish('commit');
      } finally {
        await db.finish('rollback');
      }
      const body = JSON.stringify(extensions === undefined ? { data } : { data, extensions });
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    })().catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

// ---------------------------------------------------------------- measuring (this process)

interface Child {
  url: string;
  process: ChildProcess;
}

/** The raw handler, or the floor (`--body`): this file again, in a process of its own. */
function startHelper(kind: 'raw' | 'floor', source: string): Promise<Child> {
  const option = kind === 'raw' ? '--database' : '--body';
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve', kind, option, source],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      const port = /listening (\d+)/.exec(chunk.toString())?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}`, process: child });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
  });
}

/**
 * The transport floor: node:http answering every request with the bytes in `file`, so a cache
 * hit can be compared with what the same client takes for the same answer and no work.
 */
async function serveFloor(file: string): Promise<number> {
  const body = readFileSync(file);
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The gateway as deployed: the compiled start, in production, ready once /health answers. */
async function startGateway(database: string, cacheTtlSeconds: number): Promise<Child> {
  const port = await freePort();
  const profile = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [];
  const child = spawn(process.execPath, [...profile, ...START_PROD], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: SECRET,
      DATABASE_URL: database,
      DB_POOL_MAX: String(POOL),
      MIGRATE_ON_START: 'false',
      RATE_LIMIT_REQUESTS: '0',
      RESPONSE_CACHE_TTL_SECONDS: String(cacheTtlSeconds),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode})`);
    const up = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return { url, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  throw new Error('gateway did not start within 30 s');
}

function rssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU milliseconds (user + system) the process `pid` has used so far. */
function cpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Measured {
  rps: number;
  /** The server's CPU time per answer, in µs: what load on other processes changes least. */
  cpuUs: number;
  p50: number;
  p99: number;
  errors: number;
  rss: number;
}

async function load(
  child: Child,
  body: string,
  token: string,
  seconds: number,
  connections: number,
): Promise<Measured> {
  let rss = 0;
  const sampler = setInterval(() => {
    rss = Math.max(rss, rssMiB(child.process.pid));
  }, 200);
  const cpuBefore = cpuMs(child.process.pid);
  const result = await autocannon({
    url: `${child.url}/graphql`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  clearInterval(sampler);
  return {
    rps: result.requests.average,
    cpuUs: ((cpuMs(child.process.pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
    rss,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

async function post(child: Child, body: string, token: string) {
  const response = await fetch(`${child.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, cache: response.headers.get('x-shelfops-cache') };
}

/** A GET of `query` with `variables`, revalidating `etag` when given (If-None-Match). */
async function get(
  child: Child,
  query: string,
  variables: unknown,
  token: string,
  etag: string | null = null,
) {
  const search = new URLSearchParams({ query, variables: JSON.stringify(variables) });
  const response = await fetch(`${child.url}/graphql?${search.toString()}`, {
    headers: {
      authorization: `Bearer ${token}`,
      'x-graphql-csrf': '1',
      ...(etag ? { 'if-none-match': etag } : {}),
    },
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    cache: response.headers.get('x-shelfops-cache'),
    etag: response.headers.get('etag'),
  };
}

async function main(): Promise<void> {
  const seconds = Number(args.seconds);
  const rounds = Number(args.rounds);
  const connections = Number(args.connections);
  const scratch = await scratchDatabase();
  const children: Child[] = [];
  const lines: string[] = [];
  const print = (line = '') => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  try {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      JWT_SECRET: SECRET,
      DATABASE_URL: scratch.url,
    });
    const database = await openDatabase(config, createLogger('silent'));
    const seeded = await seedDatabase(database.pool, database.backend, {
      tenants: 1,
      storesPerTenant: 20,
      productsPerTenant: 50,
      days: 30,
      seed: 42,
      endDate: new Date(Date.now() + 86_400_000),
    });
    await database.pool.query('ANALYZE');
    await database.close();
    const customerId = seeded.tenants[0]?.customerId ?? '';
    const token = await mintToken({
      secret: SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
      customerId,
      role: 'analyst',
    });

    const raw = await startHelper('raw', scratch.url);
    const gateway = await startGateway(scratch.url, 0);
    const gatewayCached = await startGateway(scratch.url, 300);
    children.push(raw, gateway, gatewayCached);

    print('# Gateway against a minimal node:http + pg handler, and the response cache');
    print('');
    print(
      `\`npm run build && npx tsx bench/gateway-vs-raw.ts\` — plain PostgreSQL server (pool of ${POOL} each), ` +
        `${seeded.transactions} sale lines / 20 stores / 50 products of one tenant, ` +
        `autocannon ${connections} connections, ${rounds} alternated rounds of ${seconds} s ` +
        `per server after a warm-up; each server in a process of its own. The gateway runs as ` +
        `deployed: compiled, \`${PACKAGE.scripts['start:prod']}\` (npm run start:prod), ` +
        `NODE_ENV=production, default LOG_LEVEL ` +
        `and maintenance, no rate limit; the raw handler runs under tsx. The raw handler verifies the same HS256 bearer token with jose (key imported ` +
        `once), runs the project's own statements (listStores; listLatestInventory, stores, ` +
        `products and velocity by id batch) in one transaction under the same tenant context ` +
        `(set_config as shelfops_gateway, RLS) and writes the same JSON. The gateway runs with ` +
        `its response cache off for this comparison; the third row, for information, is the ` +
        `gateway as configured by default (cache on: the repeated query is a hit). Node ${process.version}, ` +
        `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores ` +
        `shared with other work (load average ${loadavg()[0]?.toFixed(1)} at the start).`,
    );
    print('');
    const scratchEnd = (await firstTenant(scratch.url)).end;
    const trendRange = {
      from: new Date(scratchEnd.getTime() - 30 * 86_400_000).toISOString(),
      to: scratchEnd.toISOString(),
    };
    for (const [name, body] of [
      ['stores(first: 10)', JSON.stringify({ query: STORES })],
      [
        'latestInventory(first: 100) with store, product, daysOfCover',
        JSON.stringify({ query: INVENTORY }),
      ],
      [
        'salesTrend(DAY, 30 days, groupBy: STORE) with store names',
        JSON.stringify({ query: TREND, variables: { range: trendRange } }),
      ],
    ] as const) {
      if (args.only !== undefined && !name.includes(args.only)) continue;
      const [fromRaw, fromGateway] = [
        await post(raw, body, token),
        await post(gateway, body, token),
      ];
      const same = JSON.parse(fromRaw.text) as unknown;
      const answersMatch =
        JSON.stringify(same) === JSON.stringify(JSON.parse(fromGateway.text) as unknown);
      const servers = { gateway, raw, cached: gatewayCached };
      const results: Record<keyof typeof servers, Measured[]> = {
        gateway: [],
        raw: [],
        cached: [],
      };
      for (const kind of ['gateway', 'raw', 'cached'] as const) {
        await load(servers[kind], body, token, 2, connections);
      }
      for (let round = 0; round < rounds; round += 1) {
        for (const kind of ['gateway', 'raw', 'cached'] as const) {
          results[kind].push(await load(servers[kind], body, token, seconds, connections));
        }
      }
      print(`### ${name}`);
      print('');
      print(
        `Same JSON from both: ${answersMatch ? 'yes' : 'NO'} (${fromRaw.text.length} bytes` +
          `${body.includes('salesTrend') ? `, ${(JSON.parse(fromRaw.text) as { data: { salesTrend: unknown[] } }).data.salesTrend.length} rows` : ''}).`,
      );
      print('');
      print(
        '| server | req/s (median) | req/s per round | CPU ms per request (median) | p50 ms | p99 ms | max RSS MiB | errors |',
      );
      print('| --- | --- | --- | --- | --- | --- | --- | --- |');
      const label = {
        gateway: 'gateway (cache off)',
        raw: 'raw node:http + pg',
        cached: 'gateway (cache on, hits)',
      };
      for (const kind of ['gateway', 'raw', 'cached'] as const) {
        const r = results[kind];
        print(
          `| ${label[kind]} | ${median(r.map((x) => x.rps)).toFixed(0)} | ` +
            `${r.map((x) => x.rps.toFixed(0)).join(', ')} | ${(median(r.map((x) => x.cpuUs)) / 1000).toFixed(2)} | ` +
            `${median(r.map((x) => x.p50))} | ` +
            `${median(r.map((x) => x.p99))} | ${Math.max(...r.map((x) => x.rss)).toFixed(0)} | ` +
            `${r.reduce((s, x) => s + x.errors, 0)} |`,
        );
      }
      const ratio =
        median(results.gateway.map((x) => x.rps)) / median(results.raw.map((x) => x.rps));
      print('');
      // The servers share two cores with other work, so req/s follows the neighbours' load; CPU
      // per request is what each server's own work costs, and raw ÷ gateway of it is the
      // throughput ratio the two would reach where CPU is what bounds them.
      const cpuRatio = median(
        results.gateway.map((x, i) => (results.raw[i]?.cpuUs ?? 0) / x.cpuUs),
      );
      print(
        `Gateway ÷ raw: **${ratio.toFixed(2)}** in req/s (target ≥ 0.8); in CPU per request ` +
          `(raw ÷ gateway, median of the round pairs): **${cpuRatio.toFixed(2)}**; load average ` +
          `${loadavg()[0]?.toFixed(1)} at the end.`,
      );
      print('');
    }

    if (args.only !== undefined) return;
    // The cache: the same 30-day DAY trend by store, misses (a token subject of its own per
    // request, so the key differs and the SQL is the same) against hits (one token repeated).
    const trendUrl = args['trend-database'] ?? scratch.url;
    const trendTenant = await firstTenant(trendUrl);
    const cached = args['trend-database'] ? await startGateway(trendUrl, 300) : gatewayCached;
    if (cached !== gatewayCached) children.push(cached);
    const to = trendTenant.end;
    const from = new Date(to.getTime() - 30 * 86_400_000);
    const body = JSON.stringify({
      query: TREND,
      variables: { range: { from: from.toISOString(), to: to.toISOString() } },
    });
    const tokenFor = (n: number) =>
      mintToken({
        secret: SECRET,
        issuer: ISSUER,
        audience: AUDIENCE,
        customerId: trendTenant.customerId,
        role: 'analyst',
        subject: `dashboard-${n}`,
      });
    const samples = 60;
    const hitToken = await tokenFor(0);
    const primed = await post(cached, body, hitToken);
    const answerFile = join(tmpdir(), `gateway-vs-raw-${process.pid}.json`);
    await writeFile(answerFile, primed.text);
    const floor = await startHelper('floor', answerFile);
    children.push(floor);
    await rm(answerFile);
    const missTokens = await Promise.all(
      Array.from({ length: samples }, (_, n) => tokenFor(n + 1)),
    );
    const hits: number[] = [];
    const misses: number[] = [];
    const floors: number[] = [];
    let statuses = '';
    for (let n = 0; n < samples; n += 1) {
      let started = performance.now();
      const miss = await post(cached, body, missTokens[n] ?? '');
      misses.push(performance.now() - started);
      started = performance.now();
      const hit = await post(cached, body, hitToken);
      hits.push(performance.now() - started);
      started = performance.now();
      await post(floor, body, hitToken);
      floors.push(performance.now() - started);
      const data = (text: string) => JSON.stringify((JSON.parse(text) as { data: unknown }).data);
      if (miss.cache !== 'MISS' || hit.cache !== 'HIT' || data(hit.text) !== data(primed.text)) {
        statuses = 'UNEXPECTED';
      }
    }
    // What a dashboard's browser does with `Cache-Control: private, no-cache` and an ETag: GET
    // misses against conditional GETs of the answer it holds (HTTP 304, no body).
    const variables = { range: { from: from.toISOString(), to: to.toISOString() } };
    const held = await get(cached, TREND, variables, hitToken);
    // Tokens of their own again: the POST misses above stored answers under theirs.
    const getMissTokens = await Promise.all(
      Array.from({ length: samples }, (_, n) => tokenFor(samples + n + 1)),
    );
    const getMisses: number[] = [];
    const revalidations: number[] = [];
    let revalidated = held.status === 200 && held.etag !== null;
    for (let n = 0; n < samples; n += 1) {
      let started = performance.now();
      const miss = await get(cached, TREND, variables, getMissTokens[n] ?? '');
      getMisses.push(performance.now() - started);
      started = performance.now();
      const again = await get(cached, TREND, variables, hitToken, held.etag);
      revalidations.push(performance.now() - started);
      if (miss.cache !== 'MISS' || again.status !== 304 || again.cache !== 'HIT') {
        revalidated = false;
      }
    }
    // Hits and the floor at `connections` connections, rounds alternated.
    const hitLoads: Measured[] = [];
    const floorLoads: Measured[] = [];
    await load(floor, body, hitToken, 2, connections);
    for (let round = 0; round < rounds; round += 1) {
      hitLoads.push(await load(cached, body, hitToken, seconds, connections));
      floorLoads.push(await load(floor, body, hitToken, seconds, connections));
    }
    const hitRps = median(hitLoads.map((x) => x.rps));
    const floorRps = median(floorLoads.map((x) => x.rps));
    const missRatio = median(misses) / median(hits);
    const trendLines = await firstTenantLines(trendUrl, trendTenant.customerId);
    print('### Response cache: 30-day DAY trend by store');
    print('');
    print(
      `Database: ${args['trend-database'] ? 'the seeded benchmark database given with --trend-database' : 'the scratch database above'} ` +
        `(${trendLines} sale lines of the tenant asked about), range ${from.toISOString().slice(0, 10)} → ` +
        `${to.toISOString().slice(0, 10)}, routed as in production. ${samples} sequential rounds on one ` +
        `connection, miss then hit (a miss: a token of its own, so a key of its own; same SQL), ` +
        `then the transport floor: a node:http server answering the same ${primed.text.length} ` +
        `bytes without any work, asked by the same client. ` +
        `Every miss said MISS, every hit HIT with the primed answer: ${statuses === '' ? 'yes' : 'NO'}.`,
    );
    print('');
    print('| | median ms | p90 ms |');
    print('| --- | --- | --- |');
    const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)] ?? 0;
    print(`| miss | ${median(misses).toFixed(2)} | ${p90(misses).toFixed(2)} |`);
    print(`| hit | ${median(hits).toFixed(2)} | ${p90(hits).toFixed(2)} |`);
    print(`| transport floor | ${median(floors).toFixed(2)} | ${p90(floors).toFixed(2)} |`);
    print(`| GET miss | ${median(getMisses).toFixed(2)} | ${p90(getMisses).toFixed(2)} |`);
    print(
      `| GET hit revalidated (If-None-Match → 304) | ${median(revalidations).toFixed(2)} | ${p90(revalidations).toFixed(2)} |`,
    );
    print('');
    print(`Hit ÷ miss speed: **${missRatio.toFixed(1)}×** (target ≥ 20×).`);
    print(
      `Conditional GET (a dashboard holding the answer): GET miss ÷ revalidated hit **${(median(getMisses) / median(revalidations)).toFixed(1)}×**; ` +
        `every GET miss said MISS, every revalidation 304 HIT: ${revalidated ? 'yes' : 'NO'}.`,
    );
    print(
      `Hit above the floor: ${(median(hits) - median(floors)).toFixed(2)} ms; miss ÷ floor: ` +
        `${(median(misses) / median(floors)).toFixed(1)}× (the most any hit could reach here).`,
    );
    print(
      `Hits at ${connections} connections: ${hitRps.toFixed(0)} req/s (rounds ${hitLoads.map((x) => x.rps.toFixed(0)).join(', ')}), ` +
        `p50 ${median(hitLoads.map((x) => x.p50))} ms, p99 ${median(hitLoads.map((x) => x.p99))} ms, ` +
        `max RSS ${Math.max(...hitLoads.map((x) => x.rss)).toFixed(0)} MiB, errors ${hitLoads.reduce((n, x) => n + x.errors, 0)}; ` +
        `the floor, alternated: ${floorRps.toFixed(0)} req/s (rounds ${floorLoads.map((x) => x.rps.toFixed(0)).join(', ')}). ` +
        `Hits ÷ floor: **${(hitRps / floorRps).toFixed(2)}** (target ≥ 0.6); sequential hit above the floor ` +
        `**${(median(hits) - median(floors)).toFixed(2)} ms** (target ≤ 0.5 ms).`,
    );
    const hitCpu = median(hitLoads.map((x) => x.cpuUs));
    const floorCpu = median(floorLoads.map((x) => x.cpuUs));
    print(
      `Server CPU per answer at ${connections} connections (user + system, median of the rounds): ` +
        `hit ${hitCpu.toFixed(0)} µs, floor ${floorCpu.toFixed(0)} µs; floor ÷ hit **${(floorCpu / hitCpu).toFixed(2)}** ` +
        `(the throughput ratio a CPU-bound server would reach); load average ${loadavg()[0]?.toFixed(1)} at the end.`,
    );
    await writeFile(
      new URL('./results/gateway-vs-raw.md', import.meta.url),
      `${lines.join('\n')}\n`,
    );
  } finally {
    for (const child of children) child.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await scratch.drop();
  }
}

async function firstTenantLines(url: string, customerId: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM transactions WHERE customer_id = $1',
    [customerId],
  );
  await client.end();
  return Number(rows[0]?.n ?? 0);
}

if (args.serve) {
  const port =
    args.serve === 'raw' ? await serveRaw(args.database ?? '') : await serveFloor(args.body ?? '');
  process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`listening ${port}\n`);
} else {
  await main();
}
