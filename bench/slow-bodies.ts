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
 *   npx tsx bench/slow-bodies.ts [--uploads 40] [--slow 50] [--out bench/results/slow-bodies.md]
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
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
  },
});
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
  const loadStarted = performance.now();
  const uploads = Promise.all(Array.from({ length: Number(args.uploads) }, (_, n) => upload(n)));
  const loading = dashboardLoop('load');
  await uploads;
  dashboards.get('load')?.postMessage('stop');
  const loaded = await loading;
  const loadLag = await serverFigures();
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  stopping = true;
  for (const socket of sockets) socket.destroy();
  // The same dashboard on the idle gateway again, now over the uploads' 200 000 lines: the
  // idle phase before ran over none, so only this one tells load from data.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = await dashboardLoop('after', Number(args.idle));

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
    `- acknowledged lines ${acknowledgedLines}, stored ${stored}: ${acknowledgedLines === stored ? 'nothing lost' : '**LOST LINES**'}`,
    `- machine: ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)} at the end, Node ${process.version}; whole run ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(`${figures.join('\n')}\n`);
  if (args.out) await writeFile(args.out, `${figures.join('\n')}\n`);
} finally {
  await gateway.stop();
  await owner.end();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
