/**
 * Cache hits of the 30-day DAY trend by store against the transport floor: a bare node:http
 * server in a process of its own answering every request with the same bytes and no work.
 * The gateway runs as deployed (`npm run start:prod`'s node command over the compiled build,
 * NODE_ENV=production, response cache on, no rate limit); build first.
 *   npm run build && npx tsx bench/cache-hits.ts [--database URL] [--rounds 40]
 *     [--per-round 25] [--load-rounds 9] [--seconds 3] [--connections 10]
 *     [--cpu-prof DIR] [--print-only] [--baseline DIR]
 * Sequentially, on one keep-alive connection per server, rounds alternate which server goes
 * first; each request's latency is kept and each round's server CPU time (the sum of the
 * process's threads' time on a CPU, /proc/<pid>/task/<tid>/schedstat, in ns) is divided by its
 * requests. The medians of those are what other work on the machine moves least. Then the
 * same at `--connections` connections with autocannon, rounds alternated.
 * `--baseline` names another checkout whose compiled build runs as a second gateway, measured
 * in the same rounds: a change's effect, same run. `--database` names a seeded database (`npm run seed`) whose first tenant is asked; without
 * it a scratch database on TEST_PG_URL is seeded and dropped at the end. Figures go to
 * bench/results/cache-hits.md unless `--print-only`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { seedDatabase } from '../src/seed/index.js';
import { firstTenant, median, scratchDatabase } from './support.js';

const { values: args } = parseArgs({
  options: {
    'serve-floor': { type: 'string' },
    database: { type: 'string' },
    rounds: { type: 'string', default: '40' },
    'per-round': { type: 'string', default: '25' },
    'load-rounds': { type: 'string', default: '9' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    'cpu-prof': { type: 'string' },
    'print-only': { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
});

const SECRET = 'bench-secret-bench-secret-bench-secret-01';
const ISSUER = 'shelfops-dev';
const AUDIENCE = 'shelfops-gateway';
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};
const START_PROD = (PACKAGE.scripts['start:prod'] ?? '').split(' ').slice(1);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TREND = `query($range: TimeRange!) { salesTrend(range: $range, granularity: DAY, groupBy: [STORE]) {
  bucket store { name } units revenue transactions } }`;

interface Child {
  port: number;
  process: ChildProcess;
}

/** The transport floor: every request answered with the bytes of `file`, once its body is in. */
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

function startFloor(file: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--serve-floor', file],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      const port = /listening (\d+)/.exec(chunk.toString())?.[1];
      if (port) resolve({ port: Number(port), process: child });
    });
    child.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The gateway of the checkout at `root` as deployed, its cache on: ready once /health answers. */
async function startGateway(database: string, root: string): Promise<Child> {
  const port = await freePort();
  const profile = args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [];
  const child = spawn(process.execPath, [...profile, ...START_PROD], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: SECRET,
      DATABASE_URL: database,
      DB_POOL_MAX: '10',
      MIGRATE_ON_START: 'false',
      RATE_LIMIT_REQUESTS: '0',
      RESPONSE_CACHE_TTL_SECONDS: '3600',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode})`);
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return { port, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  throw new Error('gateway did not start within 30 s');
}

/** Nanoseconds the process `pid` has spent on a CPU so far, all its threads together. */
function cpuNs(pid: number | undefined): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read has its time in no file now.
    }
  }
  return total;
}

interface Reply {
  status: number;
  cache: string | null;
  etag: string | null;
  body: Buffer;
}

interface Ask {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** One request on `agent`'s connection; resolves when the last byte of the answer is in. */
function ask(agent: Agent, port: number, what: Ask): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: what.method,
        path: what.path,
        headers: what.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            cache: (response.headers['x-shelfops-cache'] as string | undefined) ?? null,
            etag: response.headers.etag ?? null,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end(what.body);
  });
}

interface Target {
  name: string;
  port: number;
  pid: number | undefined;
  agent: Agent;
  what: Ask;
  /** Whether a reply is the answer expected of this target. */
  check: (reply: Reply) => boolean;
}

interface Sequential {
  latencies: number[];
  /** Per round: the median latency of the round's requests, and the server's CPU per request. */
  roundMedians: number[];
  cpuUs: number[];
  wrong: number;
}

async function sequentialRound(target: Target, requests: number, into: Sequential) {
  const latencies: number[] = [];
  const before = cpuNs(target.pid);
  for (let n = 0; n < requests; n += 1) {
    const started = performance.now();
    const reply = await ask(target.agent, target.port, target.what);
    latencies.push(performance.now() - started);
    if (!target.check(reply)) into.wrong += 1;
  }
  into.cpuUs.push((cpuNs(target.pid) - before) / 1000 / requests);
  into.latencies.push(...latencies);
  into.roundMedians.push(median(latencies));
}

/** User and system CPU milliseconds of the process `pid` so far (clock ticks of 10 ms). */
function userSystemMs(pid: number | undefined): [number, number] {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return [Number(fields[11]) * 10, Number(fields[12]) * 10];
}

interface Loaded {
  rps: number;
  cpuUs: number;
  /** The part of `cpuUs` spent in the kernel (socket writes, polling). */
  systemUs: number;
  p50: number;
  p99: number;
  errors: number;
}

async function loadRound(target: Target, seconds: number, connections: number): Promise<Loaded> {
  const before = cpuNs(target.pid);
  const [, systemBefore] = userSystemMs(target.pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}${target.what.path}`,
    method: target.what.method,
    connections,
    duration: seconds,
    headers: target.what.headers,
    ...(target.what.body === undefined ? {} : { body: target.what.body }),
  });
  const answers = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    cpuUs: (cpuNs(target.pid) - before) / 1000 / answers,
    systemUs: ((userSystemMs(target.pid)[1] - systemBefore) * 1000) / answers,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
  };
}

const quartiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? 0;
  return { q1: at(0.25), q3: at(0.75) };
};

async function seededScratch(): Promise<{ url: string; drop: () => Promise<void> }> {
  const scratch = await scratchDatabase();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    JWT_SECRET: SECRET,
    DATABASE_URL: scratch.url,
  });
  const database = await openDatabase(config, createLogger('silent'));
  await seedDatabase(database.pool, database.backend, {
    tenants: 1,
    storesPerTenant: 20,
    productsPerTenant: 50,
    days: 30,
    seed: 42,
    endDate: new Date(Date.now() + 86_400_000),
  });
  await database.pool.query('ANALYZE');
  await database.close();
  return scratch;
}

async function main(): Promise<void> {
  const rounds = Number(args.rounds);
  const perRound = Number(args['per-round']);
  const loadRounds = Number(args['load-rounds']);
  const seconds = Number(args.seconds);
  const connections = Number(args.connections);
  const scratch = args.database ? null : await seededScratch();
  const url = args.database ?? scratch?.url ?? '';
  const children: Child[] = [];
  const lines: string[] = [];
  const print = (line = '') => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  try {
    const tenant = await firstTenant(url);
    const to = tenant.end;
    const from = new Date(to.getTime() - 30 * 86_400_000);
    const variables = { range: { from: from.toISOString(), to: to.toISOString() } };
    const body = JSON.stringify({ query: TREND, variables });
    const tokenFor = (subject: string) =>
      mintToken({
        secret: SECRET,
        issuer: ISSUER,
        audience: AUDIENCE,
        customerId: tenant.customerId,
        role: 'analyst',
        subject,
      });
    const token = await tokenFor('dashboard-0');
    const gateway = await startGateway(url, ROOT);
    children.push(gateway);
    const baselineChild = args.baseline ? await startGateway(url, args.baseline) : null;
    if (baselineChild) children.push(baselineChild);
    const agent = () => new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (bearer: string): Ask => ({
      method: 'POST',
      path: '/graphql',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${bearer}`,
      },
      body,
    });
    const primingAgent = agent();
    const first = await ask(primingAgent, gateway.port, post(token));
    // A hit's answer differs from its miss's in `extensions.responseCache.hit` alone.
    const primed = await ask(primingAgent, gateway.port, post(token));
    if (first.cache !== 'MISS' || primed.cache !== 'HIT') {
      throw new Error(`the trend was not cached: ${first.cache} then ${primed.cache}`);
    }
    const answerFile = join(tmpdir(), `cache-hits-${process.pid}.json`);
    await writeFile(answerFile, primed.body);
    const floorChild = await startFloor(answerFile);
    children.push(floorChild);
    await rm(answerFile);

    const search = new URLSearchParams({ query: TREND, variables: JSON.stringify(variables) });
    const getPath = `/graphql?${search.toString()}`;
    const held = await ask(primingAgent, gateway.port, {
      method: 'GET',
      path: getPath,
      headers: { authorization: `Bearer ${token}`, 'x-graphql-csrf': '1' },
    });
    if (held.status !== 200 || held.etag === null) throw new Error('the GET had no ETag');
    primingAgent.destroy();

    const hit: Target = {
      name: 'hit (POST)',
      port: gateway.port,
      pid: gateway.process.pid,
      agent: agent(),
      what: post(token),
      check: (reply) => reply.cache === 'HIT' && reply.body.equals(primed.body),
    };
    const floor: Target = {
      name: 'transport floor',
      port: floorChild.port,
      pid: floorChild.process.pid,
      agent: agent(),
      what: post(token),
      check: (reply) => reply.status === 200 && reply.body.equals(primed.body),
    };
    const revalidation: Target = {
      name: 'GET revalidated (304)',
      port: gateway.port,
      pid: gateway.process.pid,
      agent: agent(),
      what: {
        method: 'GET',
        path: getPath,
        headers: {
          authorization: `Bearer ${token}`,
          'x-graphql-csrf': '1',
          'if-none-match': held.etag,
        },
      },
      check: (reply) => reply.status === 304 && reply.cache === 'HIT',
    };
    const baseline: Target | null = baselineChild && {
      ...hit,
      name: `baseline hit (${baselineCommit(args.baseline ?? '')})`,
      port: baselineChild.port,
      pid: baselineChild.process.pid,
      agent: agent(),
    };
    if (baseline) {
      // Its own answer primed, and the same bytes as this build's.
      await ask(baseline.agent, baseline.port, post(token));
      const reply = await ask(baseline.agent, baseline.port, post(token));
      if (!baseline.check(reply)) throw new Error('the baseline answered other bytes');
    }
    const targets = baseline ? [hit, baseline, floor, revalidation] : [hit, floor, revalidation];
    const loadTargets = baseline ? [hit, baseline, floor] : [hit, floor];
    const loadStart = loadavg()[0] ?? 0;
    const started = new Date();

    // Misses: a token of its own each, so a key of its own; the same SQL.
    const misses: number[] = [];
    const missAgent = agent();
    let missesMissed = true;
    for (let n = 0; n < 30; n += 1) {
      const bearer = await tokenFor(`dashboard-miss-${n}`);
      const begun = performance.now();
      const reply = await ask(missAgent, gateway.port, post(bearer));
      misses.push(performance.now() - begun);
      if (reply.cache !== 'MISS') missesMissed = false;
    }
    missAgent.destroy();

    const sequential = new Map<Target, Sequential>(
      targets.map((t) => [t, { latencies: [], roundMedians: [], cpuUs: [], wrong: 0 }]),
    );
    for (const target of targets) await sequentialRound(target, perRound, { ...emptySeq() });
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        await sequentialRound(target, perRound, sequential.get(target) ?? emptySeq());
      }
    }
    const loadMiddle = loadavg()[0] ?? 0;

    const loaded = new Map<Target, Loaded[]>(loadTargets.map((t) => [t, []]));
    for (const target of loadTargets) await loadRound(target, 1, connections);
    for (let round = 0; round < loadRounds; round += 1) {
      const order = round % 2 === 0 ? loadTargets : [...loadTargets].reverse();
      for (const target of order) {
        loaded.get(target)?.push(await loadRound(target, seconds, connections));
      }
    }
    const loadEnd = loadavg()[0] ?? 0;
    for (const target of targets) target.agent.destroy();

    const seq = (target: Target) => sequential.get(target) ?? emptySeq();
    const paired = seq(hit).roundMedians.map((h, i) => h - (seq(floor).roundMedians[i] ?? 0));
    const pairedCpu = seq(hit).cpuUs.map((h, i) => h - (seq(floor).cpuUs[i] ?? 0));
    const spread = quartiles(paired);
    const wrong = targets.reduce((n, t) => n + seq(t).wrong, 0);
    const hitRps = median((loaded.get(hit) ?? []).map((x) => x.rps));
    const floorRps = median((loaded.get(floor) ?? []).map((x) => x.rps));
    const hitCpu = median((loaded.get(hit) ?? []).map((x) => x.cpuUs));
    const floorCpu = median((loaded.get(floor) ?? []).map((x) => x.cpuUs));
    const perRoundRatios = (loaded.get(hit) ?? []).map(
      (h, i) => h.rps / ((loaded.get(floor) ?? [])[i]?.rps ?? 1),
    );

    print(
      `### ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC — load average ` +
        `${loadStart.toFixed(1)} / ${loadMiddle.toFixed(1)} / ${loadEnd.toFixed(1)} ` +
        `(start, after the sequential part, end)`,
    );
    print('');
    print(
      `${primed.body.length} bytes answered; ${rounds} sequential rounds of ${perRound} requests ` +
        `per server on one keep-alive connection each, the order alternated; ${loadRounds} ` +
        `alternated rounds of ${seconds} s at ${connections} connections. Node ${process.version}, ` +
        `${cpus().length} cores. Every hit said HIT with the primed bytes, every floor answer ` +
        `had them, every revalidation was 304 HIT: ${wrong === 0 ? 'yes' : `NO (${wrong} not)`}; ` +
        `every miss said MISS: ${missesMissed ? 'yes' : 'NO'}.`,
    );
    print('');
    print('| sequential | median ms | p90 ms | server CPU µs per request (median of rounds) |');
    print('| --- | --- | --- | --- |');
    for (const target of targets) {
      const s = seq(target);
      const p90 = [...s.latencies].sort((a, b) => a - b)[Math.floor(s.latencies.length * 0.9)];
      print(
        `| ${target.name} | ${median(s.latencies).toFixed(3)} | ${(p90 ?? 0).toFixed(3)} | ` +
          `${median(s.cpuUs).toFixed(0)} |`,
      );
    }
    print(`| miss (30, a key each) | ${median(misses).toFixed(2)} | | |`);
    print('');
    print(
      `Sequential hit above the floor: **${(median(seq(hit).latencies) - median(seq(floor).latencies)).toFixed(3)} ms** ` +
        `by the medians of all requests; by round (each round's median hit minus the same ` +
        `round's median floor): median **${median(paired).toFixed(3)} ms**, quartiles ` +
        `${spread.q1.toFixed(3)} to ${spread.q3.toFixed(3)} ms (target ≤ 0.5 ms). Server CPU ` +
        `above the floor per sequential request: ${median(pairedCpu).toFixed(0)} µs. Hit ÷ miss ` +
        `speed: ${(median(misses) / median(seq(hit).latencies)).toFixed(1)}×.`,
    );
    print('');
    print(
      `| at ${connections} connections | req/s (median) | req/s per round | p50 ms | p99 ms | server CPU µs per answer | of which system | errors |`,
    );
    print('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const target of loadTargets) {
      const r = loaded.get(target) ?? [];
      print(
        `| ${target.name} | ${median(r.map((x) => x.rps)).toFixed(0)} | ` +
          `${r.map((x) => x.rps.toFixed(0)).join(', ')} | ${median(r.map((x) => x.p50))} | ` +
          `${median(r.map((x) => x.p99))} | ${median(r.map((x) => x.cpuUs)).toFixed(0)} | ` +
          `${median(r.map((x) => x.systemUs)).toFixed(0)} | ${r.reduce((n, x) => n + x.errors, 0)} |`,
      );
    }
    print('');
    print(
      `Hits ÷ floor at ${connections} connections: **${(hitRps / floorRps).toFixed(2)}** ` +
        `(median of rounds; round by round ${perRoundRatios.map((x) => x.toFixed(2)).join(', ')}; ` +
        `target ≥ 0.6). By CPU per answer, floor ÷ hit: **${(floorCpu / hitCpu).toFixed(2)}** ` +
        `(${floorCpu.toFixed(0)} against ${hitCpu.toFixed(0)} µs: the ratio a CPU-bound server reaches).`,
    );
    if (baseline) {
      const base = loaded.get(baseline) ?? [];
      const pairedLoad = (loaded.get(hit) ?? []).map((h, i) => h.cpuUs / (base[i]?.cpuUs ?? 1));
      const pairedSeq = seq(hit).cpuUs.map((h, i) => h / (seq(baseline).cpuUs[i] ?? 1));
      print('');
      print(
        `Against the baseline build in the same rounds: server CPU per hit at ${connections} ` +
          `connections ${hitCpu.toFixed(0)} against ${median(base.map((x) => x.cpuUs)).toFixed(0)} µs ` +
          `(this ÷ baseline round by round, median ${median(pairedLoad).toFixed(2)}); sequentially ` +
          `${median(seq(hit).cpuUs).toFixed(0)} against ${median(seq(baseline).cpuUs).toFixed(0)} µs ` +
          `(median ${median(pairedSeq).toFixed(2)}); latency ${median(seq(hit).latencies).toFixed(3)} ` +
          `against ${median(seq(baseline).latencies).toFixed(3)} ms; req/s ${hitRps.toFixed(0)} against ` +
          `${median(base.map((x) => x.rps)).toFixed(0)}.`,
      );
    }
    if (!args['print-only']) {
      const file = new URL('./results/cache-hits.md', import.meta.url);
      const previous = readFileSync(file, 'utf8');
      const marker = '## Runs\n\n';
      const at = previous.indexOf(marker);
      const next =
        at < 0
          ? `${previous}\n${marker}${lines.join('\n')}\n`
          : `${previous.slice(0, at + marker.length)}${lines.join('\n')}\n\n${previous.slice(at + marker.length)}`;
      await writeFile(file, next);
    }
  } finally {
    for (const child of children) child.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await scratch?.drop();
  }
}

/** The commit checked out at `dir`, as the baseline's name. */
function baselineCommit(dir: string): string {
  return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
  }).trim();
}

function emptySeq(): Sequential {
  return { latencies: [], roundMedians: [], cpuUs: [], wrong: 0 };
}

if (args['serve-floor']) {
  const port = await serveFloor(args['serve-floor']);
  process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`listening ${port}\n`);
} else {
  await main();
}
