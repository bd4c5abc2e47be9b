/**
 * Lifecycle figures of the gateway under faults: time to serve again after a PostgreSQL server
 * restart (a private cluster), abort-to-cancel latency, drain time on SIGTERM, and the memory
 * (RSS) of the production process (`node dist/main.js`) against the wrapped development start
 * (`npm start`: npm, then node running tsx), same run.
 *   npm run build && npx tsx bench/lifecycle.ts [--rounds 5] [--out bench/results/lifecycle.md]
 * Needs PostgreSQL 15's server binaries (a private cluster) and TEST_PG_URL (default
 * postgres://postgres@127.0.0.1:5432) for scratch databases.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { createGateway, listen } from '../src/server/app.js';
import { freePort } from '../test/support/foundation-process.js';
import { activeStatements, lockTable, waitFor } from '../test/support/lifecycle.js';
import { startPrivateCluster } from '../test/support/private-cluster.js';
import { scratchDatabase } from './support.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/results/lifecycle.md' },
  },
});
const rounds = Number(args.rounds);
const SECRET = 'bench-secret-bench-secret-bench-secret-01';
const CUSTOMER = '0000000a-0000-4000-8000-000000000000';
const STORE = '00000001-0000-4000-8000-000000000001';
const QUERY = '{ stores(first: 10) { edges { node { id } } } }';
const run = promisify(execFile);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;
const sleep = (t: number) => new Promise((resolve) => setTimeout(resolve, t));

/** Starts the gateway in this process on `url`, with one tenant and one store. */
async function inProcessGateway(url: string, env: Record<string, string> = {}) {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: SECRET,
    DATABASE_URL: url,
    ...env,
  });
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  await database.pool.query(
    `INSERT INTO customers (id, name) VALUES ($1, 'Bench') ON CONFLICT DO NOTHING`,
    [CUSTOMER],
  );
  await database.pool.query(
    `INSERT INTO stores (customer_id, id, code, name, region, time_zone)
     VALUES ($1, $2, 'S1', 'Store 1', 'North', 'UTC') ON CONFLICT DO NOTHING`,
    [CUSTOMER, STORE],
  );
  const gateway = createGateway({
    config,
    database,
    verifier: await createTokenVerifier(config.jwt),
    logger,
  });
  const server = await listen(gateway, '127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.dispose();
      await database.close();
    },
  };
}

const token = () =>
  mintToken({
    secret: SECRET,
    issuer: 'shelfops-dev',
    audience: 'shelfops-gateway',
    customerId: CUSTOMER,
    role: 'analyst',
  });

async function ask(base: string, auth: string, signal?: AbortSignal): Promise<number> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify({ query: QUERY }),
    ...(signal ? { signal } : {}),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Stop (fast) and start of a private cluster while requests keep coming. */
async function restartRounds() {
  const cluster = await startPrivateCluster();
  const gw = await inProcessGateway(cluster.url, {
    DB_POOL_MAX: '4',
    DB_POOL_WAIT_MS: '1000',
    READY_TIMEOUT_MS: '1000',
  });
  const auth = await token();
  const detect: number[] = [];
  const serve: number[] = [];
  const readyAgain: number[] = [];
  const statuses = new Map<number, number>();
  try {
    for (let round = 0; round < rounds; round += 1) {
      let loading = true;
      const load = (async () => {
        while (loading) {
          const status = await ask(gw.url, auth).catch(() => 0);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          await sleep(10);
        }
      })();
      await sleep(300);
      await cluster.stop('fast');
      detect.push(
        await waitFor(async () => (await fetch(`${gw.url}/ready`)).status === 503, 10_000),
      );
      await sleep(1000);
      await cluster.start();
      const [first, ready] = await Promise.all([
        waitFor(async () => (await ask(gw.url, auth)) === 200, 20_000),
        waitFor(async () => (await fetch(`${gw.url}/ready`)).status === 200, 20_000),
      ]);
      serve.push(first);
      readyAgain.push(ready);
      loading = false;
      await load;
    }
  } finally {
    await gw.close();
    await cluster.destroy();
  }
  return { detect, serve, readyAgain, statuses };
}

/** A request blocked on a lock, aborted by its client: time until PostgreSQL no longer runs it. */
async function abortRounds() {
  const scratch = await scratchDatabase();
  const gw = await inProcessGateway(scratch.url, { DB_POOL_MAX: '2' });
  const auth = await token();
  const latencies: number[] = [];
  try {
    for (let round = 0; round < rounds * 2; round += 1) {
      const lock = await lockTable(scratch.url, 'stores');
      const controller = new AbortController();
      const pending = ask(gw.url, auth, controller.signal).catch(() => 0);
      await waitFor(async () => (await activeStatements(scratch.url, 'listStores')).length === 1);
      controller.abort();
      latencies.push(
        await waitFor(async () => (await activeStatements(scratch.url, 'listStores')).length === 0),
      );
      await pending;
      await lock.release();
    }
  } finally {
    await gw.close();
    await scratch.drop();
  }
  return latencies;
}

interface Child {
  pid: number;
  url: string;
  exited: Promise<number | null>;
}

/** Spawns the gateway by `command` and waits until it prints its GraphiQL line. */
async function spawnGateway(command: string, argv: string[], env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(command, argv, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await waitFor(async () => /GraphiQL: +http/.test(text), 120_000);
  return { pid: child.pid ?? 0, url: `http://127.0.0.1:${port}`, exited } satisfies Child;
}

/** Resident memory of a process group (the wrapper chain and the gateway), in MiB. */
async function groupRss(pgid: number): Promise<{ mib: number; processes: string[] }> {
  const { stdout } = await run('ps', ['-o', 'rss=,comm=', '-g', String(pgid)]);
  const rows = stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
  return {
    mib: rows.reduce((sum, [rss]) => sum + Number(rss), 0) / 1024,
    processes: rows.map(([, comm]) => comm ?? ''),
  };
}

async function drainAndMemory() {
  const scratch = await scratchDatabase();
  const env = { DATABASE_URL: scratch.url, JWT_SECRET: SECRET, NODE_ENV: 'production' };
  const auth = await token();
  const drains: number[] = [];
  const memory: Record<string, { mib: number[]; processes: string[] }> = {
    'node dist/main.js': { mib: [], processes: [] },
    'npm start (npm, node + tsx)': { mib: [], processes: [] },
  };
  try {
    const seed = await inProcessGateway(scratch.url);
    await seed.close();
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, [command, argv]] of [
        ['node dist/main.js', ['node', ['dist/main.js']]],
        ['npm start (npm, node + tsx)', ['npm', ['start', '--silent']]],
      ] as const) {
        const child = await spawnGateway(command, [...argv], env);
        for (let i = 0; i < 50; i += 1) await ask(child.url, auth);
        const rss = await groupRss(child.pid);
        memory[name]?.mib.push(rss.mib);
        if (memory[name]) memory[name].processes = rss.processes;
        if (name === 'node dist/main.js') {
          const lock = await lockTable(scratch.url, 'stores');
          const inFlight = Array.from({ length: 5 }, () =>
            ask(child.url, auth).then(() => performance.now()),
          );
          await waitFor(
            async () => (await activeStatements(scratch.url, 'listStores')).length === 5,
          );
          process.kill(child.pid, 'SIGTERM');
          await sleep(200);
          await lock.release();
          const last = Math.max(...(await Promise.all(inFlight)));
          await child.exited;
          drains.push(performance.now() - last);
        } else {
          process.kill(-child.pid, 'SIGTERM');
          await child.exited;
        }
      }
    }
  } finally {
    await scratch.drop();
  }
  return { drains, memory };
}

const started = Date.now();
const restart = await restartRounds();
const aborts = await abortRounds();
const { drains, memory } = await drainAndMemory();
const { stdout: commit } = await run('git', ['rev-parse', '--short', 'HEAD']);
const [production, wrapped] = Object.values(memory).map((m) => median(m.mib));

const lines = [
  '# Lifecycle benchmark (bench/lifecycle.ts)',
  '',
  '`npm run build && npx tsx bench/lifecycle.ts`: the gateway over loopback HTTP, each figure the',
  `median of ${rounds} rounds (abort: ${rounds * 2}), with the minimum and maximum.`,
  '',
  `- machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, shared with other work; measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; whole run ${((Date.now() - started) / 60_000).toFixed(1)} min`,
  `- code: commit ${commit.trim()}`,
  '',
  '## PostgreSQL server restart under load',
  '',
  'A private PostgreSQL 15 cluster (initdb/pg_ctl in a temporary directory); the in-process',
  'gateway (pool of 4, DB_POOL_WAIT_MS=1000, READY_TIMEOUT_MS=1000) under one client asking',
  'every 10 ms; `pg_ctl stop -m fast`, 1 s down, `pg_ctl start -w`.',
  '',
  '| figure | median | min – max |',
  '|---|---|---|',
  `| stop → /ready answers 503 | ${ms(median(restart.detect))} | ${ms(Math.min(...restart.detect))} – ${ms(Math.max(...restart.detect))} |`,
  `| server accepting again → first request served (200) | ${ms(median(restart.serve))} | ${ms(Math.min(...restart.serve))} – ${ms(Math.max(...restart.serve))} |`,
  `| server accepting again → /ready 200 | ${ms(median(restart.readyAgain))} | ${ms(Math.min(...restart.readyAgain))} – ${ms(Math.max(...restart.readyAgain))} |`,
  '',
  `Statuses of the load's ${[...restart.statuses.values()].reduce((a, b) => a + b, 0)} requests: ${[...restart.statuses.entries()].map(([s, n]) => `${s === 0 ? 'no answer' : s}: ${n}`).join(', ')} (503 = DATABASE_UNAVAILABLE; the process never exited).`,
  '',
  '## Client abort → statement cancelled',
  '',
  'A `stores` request blocked on a table lock held by another connection; the client aborts;',
  'time until `pg_stat_activity` shows no active statement of it (polled every 20 ms, so the',
  'figures include up to one polling interval and a connection per poll).',
  '',
  `- median ${ms(median(aborts))}, min ${ms(Math.min(...aborts))}, max ${ms(Math.max(...aborts))} (before: the statement ran until the lock was released)`,
  '',
  '## Drain on SIGTERM',
  '',
  '`node dist/main.js` with five requests blocked on a lock and an idle keep-alive connection;',
  'SIGTERM, the lock released 200 ms later; time from the last response to the exit.',
  '',
  `- median ${ms(median(drains))}, min ${ms(Math.min(...drains))}, max ${ms(Math.max(...drains))} (the issue measured ~7 s before: idle keep-alive connections held the close)`,
  '',
  '## Memory of the running gateway (RSS after 50 requests, whole process group)',
  '',
  '| start | processes | RSS median | min – max |',
  '|---|---|---|---|',
  ...Object.entries(memory).map(
    ([name, m]) =>
      `| ${name} | ${m.processes.join(', ')} | ${median(m.mib).toFixed(1)} MiB | ${Math.min(...m.mib).toFixed(1)} – ${Math.max(...m.mib).toFixed(1)} MiB |`,
  ),
  '',
  `The production start uses ${((production ?? 0) / (wrapped ?? 1)).toFixed(2)}× the memory of the wrapped start (same run).`,
  '',
];
await writeFile(args.out, lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
