/**
 * Cost of the per-request database context: throughput of a simple query through the real
 * gateway (HTTP on loopback, autocannon) with the RLS context (BEGIN and
 * app.set_request_context in one round trip, query, COMMIT) against a baseline that sends BEGIN
 * alone (and so runs as the owner, without row-level security), same data, same run, rounds
 * alternated.
 *   node --import tsx bench/context-cost.ts [--backend postgres|embedded|both] [--seconds 4] [--rounds 5]
 *     [--connections 10]
 * postgres: a new database on TEST_PG_URL (default postgres://postgres@127.0.0.1:5432).
 */
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import type { Pool, PoolClient } from '../src/db/pool.js';
import { SET_CONTEXT } from '../src/db/request-db.js';
import { createLogger } from '../src/logger.js';
import { createGateway, listen } from '../src/server/app.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
  },
});
const SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const SECRET = 'bench-secret-bench-secret-bench-secret-01';
const CUSTOMER = '0000000a-0000-4000-8000-000000000000';
const QUERY = '{ stores(first: 10) { edges { node { id } } } }';
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const connections = Number(args.connections);

/**
 * The baseline's pool: the same connections, but the request-context statement is skipped.
 * Benchmark only: nothing in the gateway's configuration can produce it.
 */
function withoutContext(pool: Pool): Pool {
  const skip = (client: PoolClient): PoolClient =>
    new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver);
        return (config: unknown, ...rest: unknown[]) => {
          const text = typeof config === 'string' ? config : (config as { text: string }).text;
          // The transaction opens with BEGIN and the context in one statement: BEGIN alone.
          const opening = text.indexOf(SET_CONTEXT);
          const sent = opening === -1 ? config : text.slice(0, opening);
          return (target.query as (...a: unknown[]) => unknown).call(target, sent, ...rest);
        };
      },
    });
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== 'connect') return Reflect.get(target, property, receiver);
      // pg's own pool.query connects with a callback: those statements open no request.
      return (callback?: Parameters<Pool['connect']>[0]) =>
        callback ? target.connect(callback) : target.connect().then(skip);
    },
  });
}

interface Measured {
  requests: number;
  p50: number;
  p99: number;
  errors: number;
}

async function measure(url: string, token: string): Promise<Measured> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
  });
  return {
    requests: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
  };
}

async function seed(database: Database): Promise<void> {
  const owner = database.pool;
  await owner.query(
    `INSERT INTO customers (id, name) VALUES ($1, 'Bench') ON CONFLICT DO NOTHING`,
    [CUSTOMER],
  );
  await owner.query(
    `INSERT INTO stores (customer_id, id, code, name, region)
     SELECT $1, gen_random_uuid(), 'S' || lpad(n::text, 3, '0'), 'Store ' || n, 'North'
     FROM generate_series(1, 50) n ON CONFLICT DO NOTHING`,
    [CUSTOMER],
  );
}

async function run(backend: 'postgres' | 'embedded'): Promise<string> {
  let dropDatabase: (() => Promise<void>) | null = null;
  let databaseUrl: string | undefined;
  if (backend === 'postgres') {
    const name = `shelfops_bench_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databaseUrl = `${SERVER_URL}/${name}`;
    dropDatabase = async () => {
      const client = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  }
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    JWT_SECRET: SECRET,
    EMBEDDED_DATA_DIR: 'memory',
    SEED_DEMO: 'false',
    DB_POOL_MAX: String(connections),
    RATE_LIMIT_REQUESTS: '0',
    // Every request executes: a cached answer would open no transaction.
    RESPONSE_CACHE_TTL_SECONDS: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const logger = createLogger('silent');
  const database = await openDatabase(config, logger);
  try {
    await seed(database);
    const verifier = await createTokenVerifier(config.jwt);
    const token = await mintToken({
      secret: SECRET,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      customerId: CUSTOMER,
      role: 'analyst',
    });
    const gateways = {
      context: createGateway({ config, database, verifier, logger }),
      baseline: createGateway({
        config,
        database: { ...database, pool: withoutContext(database.pool) },
        verifier,
        logger,
      }),
    };
    const servers = {
      context: await listen(gateways.context, '127.0.0.1', 0),
      baseline: await listen(gateways.baseline, '127.0.0.1', 0),
    };
    const urls = {
      context: `http://127.0.0.1:${(servers.context.address() as AddressInfo).port}`,
      baseline: `http://127.0.0.1:${(servers.baseline.address() as AddressInfo).port}`,
    };
    // Both answer the same thing (one tenant only, so the owner sees the same rows).
    const answers = await Promise.all(
      Object.values(urls).map(async (url) =>
        (
          await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: QUERY }),
          })
        ).text(),
      ),
    );
    if (answers[0] !== answers[1] || !answers[0]?.includes('"edges"')) {
      throw new Error(`the two gateways answer differently: ${answers.join(' / ')}`);
    }
    await measure(urls.context, token);
    await measure(urls.baseline, token);
    const results: Record<'context' | 'baseline', Measured[]> = { context: [], baseline: [] };
    for (let round = 0; round < rounds; round += 1) {
      for (const variant of round % 2 === 0
        ? (['context', 'baseline'] as const)
        : (['baseline', 'context'] as const)) {
        results[variant].push(await measure(urls[variant], token));
      }
    }
    for (const server of Object.values(servers)) {
      // The gateway keeps idle connections open (HTTP_KEEP_ALIVE_TIMEOUT_MS): close them.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    for (const gateway of Object.values(gateways)) await gateway.dispose();
    // Medians: one round disturbed by other work on the machine does not move them.
    const median = (xs: number[]) => {
      const sorted = [...xs].sort((x, y) => x - y);
      return sorted[Math.floor(sorted.length / 2)] ?? 0;
    };
    const line = (variant: 'context' | 'baseline', label: string) => {
      const r = results[variant];
      return `| ${label} | ${median(r.map((m) => m.requests)).toFixed(0)} | ${r.map((m) => m.requests.toFixed(0)).join(', ')} | ${median(r.map((m) => m.p50)).toFixed(2)} | ${median(r.map((m) => m.p99)).toFixed(2)} | ${r.reduce((s, m) => s + m.errors, 0)} |`;
    };
    const ratio =
      median(results.context.map((m) => m.requests)) /
      median(results.baseline.map((m) => m.requests));
    return [
      `### ${backend === 'postgres' ? 'PostgreSQL server (pool of ' + connections + ')' : 'embedded PGlite + TimescaleDB (pool of 1)'}`,
      '',
      '| variant | req/s (median) | req/s per round | p50 ms | p99 ms | errors |',
      '| --- | --- | --- | --- | --- | --- |',
      line('context', 'with RLS context'),
      line('baseline', 'baseline (context skipped)'),
      '',
      `Ratio with/without context: **${ratio.toFixed(3)}** (${((1 - ratio) * 100).toFixed(1)} % fewer requests per second).`,
      '',
    ].join('\n');
  } finally {
    await database.close();
    await dropDatabase?.();
  }
}

async function main() {
  const backends =
    args.backend === 'both' ? (['postgres', 'embedded'] as const) : [args.backend as 'postgres'];
  const sections: string[] = [];
  for (const backend of backends) {
    const section = await run(backend);
    process.stdout.write(`${section}\n`);
    sections.push(section);
  }
  const header = [
    '# Per-request context cost',
    '',
    `\`node --import tsx bench/context-cost.ts\` — query \`${QUERY}\` (50 stores, one tenant) through the`,
    `real gateway over loopback HTTP, ${connections} autocannon connections, ${rounds} alternated`,
    `rounds of ${seconds} s per variant after a warm-up. "With RLS context": BEGIN and`,
    '`app.set_request_context` (tenant, role, store scope, statement timeout, search_path, the',
    "gateway's role, all transaction-local) in one round trip, the query under row-level",
    'security, COMMIT. "Baseline": the same gateway, resolvers and transaction with BEGIN alone,',
    'so the query runs as the owner without row-level security. Node ' +
      process.version +
      ', ' +
      new Date().toISOString().slice(0, 10) +
      '.',
    '',
  ];
  await writeFile(
    new URL('./results/context-cost.md', import.meta.url),
    `${[...header, ...sections].join('\n')}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
