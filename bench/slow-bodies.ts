/**
 * A dashboard beside hostile and heavy request bodies: the gateway as `npm start` runs it, on a
 * scratch database of the local server. A dashboard client (one tenant, one request at a time)
 * is timed first on the idle gateway, then while 50 slow-body connections (half without a
 * token, half with another tenant's) announce 4 MiB bodies and send one byte every 5 s
 * (reconnecting whenever they are cut), and 40 concurrent 5 000-line uploads of the dashboard's
 * own tenant run (each retried after an OVERLOADED refusal until it is acknowledged). Prints
 * the dashboard's p50/p99 in both phases and their ratio (same run), what the slow bodies got,
 * and whether every acknowledged line is stored. UPLOAD_WORKERS=0 in the environment reads the
 * uploads on the gateway's main thread (the gateway's setting; default 1 worker).
 *
 * With --statement-log the scratch database logs the duration of every statement
 * (`log_min_duration_statement = 0`, parameters left out) to the server's log (PG_LOG, by
 * default Debian's), and the benchmark reads it back per phase: each statement label's server
 * time, idle and under load, so that time spent in PostgreSQL can be told from time spent
 * elsewhere. Upload throughput (acknowledged lines per second of the load phase) and the CPU
 * of the gateway and of this client per phase are printed too.
 *
 * --analyze-ms N: while the load runs, ANALYZE the lines and their keys every N ms, as
 * autovacuum would if it kept up. The scratch database starts empty, and until its statistics
 * catch up the planner reads the tenant's newest line (requestFacts) by aggregating every line
 * rather than from the end of the index: this tells that plan's cost from the uploads' CPU.
 * UPLOAD_CHUNK_LINES and UPLOAD_YIELD_MS in the environment reach the gateway.
 *   npx tsx bench/slow-bodies.ts [--uploads 40] [--slow 50] [--statement-log] [--out FILE]
 */
import { randomUUID } from 'node:crypto';
import { open, stat, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { mintToken } from '../src/auth/tokens.js';
import { createPool } from '../src/db/pool.js';
import { insertTenant, twinTenants } from '../test/support/fixtures.js';
import { startGatewayProcess } from '../test/support/foundation-process.js';

const { values: args } = parseArgs({
  options: {
    uploads: { type: 'string', default: '40' },
    slow: { type: 'string', default: '50' },
    idle: { type: 'string', default: '300' },
    out: { type: 'string', default: '' },
    'statement-log': { type: 'boolean', default: false },
    'analyze-ms': { type: 'string', default: '0' },
  },
});
const PG_LOG = process.env.PG_LOG ?? '/var/log/postgresql/postgresql-15-main.log';
const SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const SECRET = 'bench-secret-bench-secret-bench-secret-02';
const LINES = 5000;
const DAY = 86_400_000;
const [dashboardTenant, otherTenant] = twinTenants();
const token = (customerId: string) =>
  mintToken({
    secret: SECRET,
    issuer: 'shelfops-dev',
    audience: 'shelfops-gateway',
    customerId,
    role: 'admin',
  });

const database = `shelfops_bench_${randomUUID().slice(0, 8)}`;
const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
if (args['statement-log']) {
  // Only this scratch database logs its statements, and without their (0.9 MB) parameters.
  await admin.query(`ALTER DATABASE ${database} SET log_min_duration_statement = 0`);
  await admin.query(`ALTER DATABASE ${database} SET log_parameter_max_length = 0`);
}
const databaseUrl = `${SERVER_URL}/${database}`;
const gateway = await startGatewayProcess({
  DATABASE_URL: databaseUrl,
  JWT_SECRET: SECRET,
  LOG_LEVEL: 'error',
  RATE_LIMIT_REQUESTS: '0',
});
const owner = createPool(databaseUrl, 2);
// DROP DATABASE … WITH (FORCE) ends what is left of its connections.
owner.on('error', () => undefined);
const started = Date.now();
const loadAtStart = loadavg()[0]?.toFixed(1);

/** The dashboard client: one request at a time until told to stop or `count` are done. */
const DASHBOARD_CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, token, dashboard, count } = workerData;
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  const latencies = [];
  const failures = {};
  for (let i = 0; i < count && !stop; i += 1) {
    const [query, variables] = dashboard[i % dashboard.length];
    const at = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    latencies.push(performance.now() - at);
    if (response.status !== 200 || body.errors) {
      const code = (response.status + ' ' + (body.errors?.[0]?.extensions?.code ?? '')).trim();
      failures[code] = (failures[code] ?? 0) + 1;
    }
  }
  parentPort.postMessage({ latencies, failures });
  parentPort.close();
})();
`;

/** The server log's size now: where a phase's statements begin. */
const logOffset = async () => (args['statement-log'] ? (await stat(PG_LOG)).size : 0);

/** Server-side durations (ms) of this database's statements logged between two offsets, by label. */
async function loggedStatements(from: number, to: number): Promise<Map<string, number[]>> {
  const byLabel = new Map<string, number[]>();
  if (!args['statement-log'] || to <= from) return byLabel;
  const file = await open(PG_LOG, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    await file.read(buffer, 0, buffer.length, from);
    const pattern = new RegExp(
      `@${database} LOG:  duration: ([\\d.]+) ms  (?:execute [^:]*|statement): (?:/\\* (\\w+) \\*/)?\\s*(\\w*)`,
      'g',
    );
    for (const match of buffer.toString('utf8').matchAll(pattern)) {
      const label = match[2] || match[3] || '?';
      const list = byLabel.get(label) ?? [];
      list.push(Number(match[1]));
      byLabel.set(label, list);
    }
  } finally {
    await file.close();
  }
  return byLabel;
}

/** Percentile `p` (0–1) of `values`, in ms. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

try {
  await insertTenant(owner, dashboardTenant);
  await insertTenant(owner, otherTenant);
  const dashboardToken = await token(dashboardTenant.customerId);
  const otherToken = await token(otherTenant.customerId);
  const postText = async (bearer: string, text: string) => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: text,
    });
    const body = (await response.json()) as {
      data?: Record<string, { accepted?: number }>;
      errors?: { extensions?: { code?: string } }[];
    };
    return { status: response.status, body };
  };

  // The dashboard: a store list, a daily trend by store, the top products, one at a time.
  const today = Math.floor(Date.now() / DAY) * DAY;
  const range = {
    from: new Date(today - 30 * DAY).toISOString(),
    to: new Date(today).toISOString(),
  };
  const dashboard = [
    ['{ stores(first: 20) { edges { node { code name } } } }', {}],
    [
      'query($r: TimeRange!) { salesTrend(granularity: DAY, range: $r, groupBy: [STORE]) { bucket units revenue } }',
      { r: range },
    ],
    [
      'query($r: TimeRange!) { topProducts(range: $r, limit: 5) { product { sku } units } }',
      { r: range },
    ],
  ] as const;
  /**
   * The dashboard client runs on a thread of its own: the uploads' bodies and answers are
   * built and read on this one, and would otherwise delay the very requests being timed.
   */
  const dashboardLoop = (phase: 'idle' | 'load' | 'after', count = Infinity) =>
    new Promise<{ latencies: number[]; failures: Record<string, number> }>((resolve, reject) => {
      const worker = new Worker(DASHBOARD_CLIENT, {
        eval: true,
        workerData: { url: `${gateway.url}/graphql`, token: dashboardToken, dashboard, count },
      });
      dashboards.set(phase, worker);
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const dashboards = new Map<string, Worker>();
  const serverFigures = async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const value = (name: string) =>
      Number(new RegExp(`^shelfops_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    const reader = (name: string) =>
      Number(
        new RegExp(`^shelfops_upload_bodies_total\\{reader="${name}"\\} (\\S+)$`, 'm').exec(
          text,
        )?.[1] ?? 0,
      );
    return {
      lagP99: value('nodejs_eventloop_lag_p99_seconds') * 1000,
      lagMax: value('nodejs_eventloop_lag_max_seconds') * 1000,
      readers: { worker: reader('worker'), main: reader('main') },
      cpuSeconds: value('process_cpu_seconds_total'),
      chunkWaits: value('upload_chunk_waits_total'),
      chunkWaitSeconds: value('upload_chunk_wait_seconds_total'),
      ownCpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      log: await logOffset(),
    };
  };

  // The upload worker starts with the first upload: one that is refused (an unknown store)
  // starts it, and the phases begin once it has read one.
  const refused = JSON.stringify({
    query: 'mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }',
    variables: {
      s: Array.from({ length: 500 }, () => ({
        transactionId: randomUUID(),
        time: new Date(today - DAY).toISOString(),
        storeCode: 'NONE',
        sku: dashboardTenant.products[0]?.sku,
        quantity: 1,
        unitPrice: '1.00',
      })),
    },
  });
  for (let tries = 0; process.env.UPLOAD_WORKERS !== '0' && tries < 60; tries += 1) {
    await postText(dashboardToken, refused);
    if ((await serverFigures()).readers.worker > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  await dashboardLoop('idle', 30);
  const warm = await serverFigures();
  const idle = await dashboardLoop('idle', Number(args.idle));
  const idleLag = await serverFigures();

  // 50 slow bodies: 4 MiB announced, a byte every 5 s, reconnecting when cut.
  let stopping = false;
  const slowOutcomes: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const slowClient = (bearer: string | null) => {
    if (stopping) return;
    const socket = connect(Number(new URL(gateway.url).port), '127.0.0.1');
    sockets.add(socket);
    const headers = [
      'POST /graphql HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      'Content-Length: 4194304',
      ...(bearer ? [`Authorization: Bearer ${bearer}`] : []),
    ];
    socket.write(`${headers.join('\r\n')}\r\n\r\n{`);
    const drip = setInterval(() => socket.write(' '), 5000);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      sockets.delete(socket);
      const status = /^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 'closed';
      const code = /"code":"([A-Z_]+)"/.exec(answer)?.[1] ?? '';
      const key = `${bearer ? 'token' : 'no token'}: ${status} ${code}`.trim();
      slowOutcomes[key] = (slowOutcomes[key] ?? 0) + 1;
      setTimeout(() => slowClient(bearer), 1000);
    });
  };
  for (let i = 0; i < Number(args.slow); i += 1) slowClient(i % 2 === 0 ? null : otherToken);

  // 40 concurrent 5 000-line uploads of the dashboard's tenant, retried until acknowledged.
  const refusals: Record<string, number> = {};
  let acknowledgedLines = 0;
  // Built before the load starts, once each: building them is the client's work, not the gateway's.
  const uploadBodies = Array.from({ length: Number(args.uploads) }, (_, n) =>
    JSON.stringify({
      query: 'mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }',
      variables: {
        s: Array.from({ length: LINES }, (_, i) => ({
          transactionId: randomUUID(),
          time: new Date(today - ((n + i) % 30) * DAY - i * 1000).toISOString(),
          storeCode: dashboardTenant.stores[i % 3]?.code,
          sku: dashboardTenant.products[i % 4]?.sku,
          quantity: 1 + (i % 4),
          unitPrice: '3.50',
        })),
      },
    }),
  );
  const upload = async (n: number) => {
    const text = uploadBodies[n] ?? '';
    for (;;) {
      const { status, body } = await postText(dashboardToken, text);
      const accepted = body.data?.['recordSales']?.accepted;
      if (status === 200 && accepted !== undefined) {
        acknowledgedLines += accepted;
        return;
      }
      const code = `${status} ${body.errors?.[0]?.extensions?.code ?? ''}`.trim();
      refusals[code] = (refusals[code] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const loadStartFigures = serverFigures();
  const loadStarted = performance.now();
  let analyses = 0;
  const analyzing =
    Number(args['analyze-ms']) > 0
      ? setInterval(() => {
          analyses += 1;
          owner.query('ANALYZE transactions, sale_keys').catch(() => undefined);
        }, Number(args['analyze-ms']))
      : undefined;
  const uploads = Promise.all(Array.from({ length: Number(args.uploads) }, (_, n) => upload(n)));
  const loading = dashboardLoop('load');
  await uploads;
  clearInterval(analyzing);
  dashboards.get('load')?.postMessage('stop');
  const loaded = await loading;
  const loadLag = await serverFigures();
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const loadStart = await loadStartFigures;
  stopping = true;
  for (const socket of sockets) socket.destroy();
  // The same dashboard on the idle gateway again, now over the uploads' 200 000 lines: the
  // idle phase before ran over none, so only this one tells load from data.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const afterStart = await serverFigures();
  const after = await dashboardLoop('after', Number(args.idle));
  const afterEnd = await serverFigures();
  const statements = {
    idle: await loggedStatements(warm.log, idleLag.log),
    load: await loggedStatements(loadStart.log, loadLag.log),
    after: await loggedStatements(afterStart.log, afterEnd.log),
  };
  const labels = [...new Set([...statements.idle.keys(), ...statements.load.keys()])].sort(
    (a, b) => (statements.load.get(b)?.length ?? 0) - (statements.load.get(a)?.length ?? 0),
  );
  const timing = (list: number[] | undefined) =>
    list?.length
      ? `${list.length} | ${percentile(list, 0.5).toFixed(2)} | ${percentile(list, 0.99).toFixed(2)}`
      : '0 | – | –';
  const statementTable = args['statement-log']
    ? [
        '',
        'Server-side statement durations (ms, from the server log of this database):',
        '',
        '| statement | idle: n | p50 | p99 | under load: n | p50 | p99 | after: n | p50 | p99 |',
        '|---|---|---|---|---|---|---|---|---|---|',
        ...labels.map(
          (label) =>
            `| ${label} | ${timing(statements.idle.get(label))} | ${timing(statements.load.get(label))} | ${timing(statements.after.get(label))} |`,
        ),
      ]
    : [];
  const cpu = (from: { cpuSeconds: number; ownCpuSeconds: number }, to: typeof from, n: number) =>
    `gateway ${(((to.cpuSeconds - from.cpuSeconds) * 1000) / n).toFixed(2)} ms, client ${(((to.ownCpuSeconds - from.ownCpuSeconds) * 1000) / n).toFixed(2)} ms`;

  const { rows } = await owner.query<{ lines: string }>(
    'SELECT count(*)::text AS lines FROM transactions WHERE customer_id = $1',
    [dashboardTenant.customerId],
  );
  const stored = Number(rows[0]?.lines);
  const idleP50 = percentile(idle.latencies, 0.5);
  const idleP99 = percentile(idle.latencies, 0.99);
  const loadP50 = percentile(loaded.latencies, 0.5);
  const loadP99 = percentile(loaded.latencies, 0.99);
  const afterP50 = percentile(after.latencies, 0.5);
  const afterP99 = percentile(after.latencies, 0.99);
  const figures = [
    `| phase | dashboard requests | p50 | p99 | failures |`,
    `|---|---|---|---|---|`,
    `| idle gateway | ${idle.latencies.length} | ${idleP50.toFixed(1)} ms | ${idleP99.toFixed(1)} ms | ${JSON.stringify(idle.failures)} |`,
    `| ${args.slow} slow bodies + ${args.uploads} uploads (${loadSeconds.toFixed(0)} s) | ${loaded.latencies.length} | ${loadP50.toFixed(1)} ms | ${loadP99.toFixed(1)} ms | ${JSON.stringify(loaded.failures)} |`,
    `| idle gateway again, over the uploaded lines | ${after.latencies.length} | ${afterP50.toFixed(1)} ms | ${afterP99.toFixed(1)} ms | ${JSON.stringify(after.failures)} |`,
    '',
    `- dashboard p99 under load ÷ idle p99 (same run): **${(loadP99 / idleP99).toFixed(2)}×**; p50 ${(loadP50 / idleP50).toFixed(2)}×`,
    `- dashboard p99 under load ÷ idle p99 over the same data (after the load): **${(loadP99 / afterP99).toFixed(2)}×**; p50 ${(loadP50 / afterP50).toFixed(2)}×`,
    `- gateway event loop delay (prom-client, per phase): idle p99 ${idleLag.lagP99.toFixed(1)} ms, max ${idleLag.lagMax.toFixed(1)} ms; under load p99 ${loadLag.lagP99.toFixed(1)} ms, max ${loadLag.lagMax.toFixed(1)} ms`,
    `- slow-body connections, answers (each reconnects when cut): ${JSON.stringify(slowOutcomes)}`,
    `- upload refusals before acknowledgement (retried): ${JSON.stringify(refusals)}`,
    `- upload bodies read by (under load): worker ${loadLag.readers.worker - warm.readers.worker}, main thread ${loadLag.readers.main - warm.readers.main} (UPLOAD_WORKERS=${process.env.UPLOAD_WORKERS ?? '1'})`,
    `- settings: UPLOAD_CHUNK_LINES=${process.env.UPLOAD_CHUNK_LINES ?? 'default'}, UPLOAD_YIELD_MS=${process.env.UPLOAD_YIELD_MS ?? 'default'}; ANALYZE during the load: ${analyses ? `${analyses} times (every ${args['analyze-ms']} ms)` : 'no (autovacuum only)'}`,
    `- upload statements that waited for the dashboard: ${loadLag.chunkWaits - loadStart.chunkWaits}, ${(loadLag.chunkWaitSeconds - loadStart.chunkWaitSeconds).toFixed(2)} s in all`,
    `- upload throughput: ${(acknowledgedLines / loadSeconds).toFixed(0)} lines/s (acknowledged lines over the load phase's ${loadSeconds.toFixed(1)} s)`,
    `- CPU per dashboard request: idle ${cpu(warm, idleLag, idle.latencies.length)}; under load (uploads included) ${cpu(loadStart, loadLag, loaded.latencies.length)}`,
    `- acknowledged lines ${acknowledgedLines}, stored ${stored}: ${acknowledgedLines === stored ? 'nothing lost' : '**LOST LINES**'}`,
    `- machine: ${cpus().length} cores, load average ${loadAtStart} at the start, ${loadavg()[0]?.toFixed(1)} at the end, Node ${process.version}; whole run ${((Date.now() - started) / 1000).toFixed(0)} s`,
    ...statementTable,
  ];
  process.stdout.write(`${figures.join('\n')}\n`);
  if (args.out) await writeFile(args.out, `${figures.join('\n')}\n`);
} finally {
  await gateway.stop();
  await owner.end();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
