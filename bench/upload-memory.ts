/**
 * The production process under concurrent uploads: `npm run start:prod`'s own command (compiled,
 * old generation capped) on a scratch database of the local server, sent rounds of `--writes`
 * concurrent 5 000-line recordSales batches beside 40 distinct trend queries (each answer cached).
 * Prints answers, OVERLOADED refusals, other failures, peak RSS, and whether the process lived.
 *   npm run build && npx tsx bench/upload-memory.ts [--writes 40] [--rounds 4]
 * MAX_BODIES_IN_FLIGHT_BYTES from the environment is passed on (a huge value shows the process
 * without the bound).
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../test/support/foundation-process.js';

const { values: args } = parseArgs({
  options: {
    writes: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '4' },
  },
});
const SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const SECRET = 'bench-secret-bench-secret-bench-secret-01';
const PACKAGE = JSON.parse(await readFile('package.json', 'utf8')) as {
  scripts: Record<string, string>;
};
const START_PROD = (PACKAGE.scripts['start:prod'] ?? '').split(' ').slice(1);
const run = promisify(execFile);

const database = `shelfops_bench_${randomUUID().slice(0, 8)}`;
const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const port = await freePort();
const env = {
  ...process.env,
  DATABASE_URL: `${SERVER_URL}/${database}`,
  JWT_SECRET: SECRET,
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: String(port),
  LOG_LEVEL: 'error',
  RATE_LIMIT_REQUESTS: '0',
};
const child = spawn(process.execPath, START_PROD, { env, stdio: ['ignore', 'ignore', 'inherit'] });
let exit: string | null = null;
child.on('exit', (code, signal) => (exit = `code ${code}, signal ${signal}`));
const url = `http://127.0.0.1:${port}/graphql`;

try {
  for (let i = 0; i < 200; i += 1) {
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const { stdout } = await run('npx', ['tsx', 'src/cli/tenant.ts', 'create', '--name', 'Bench'], {
    env,
  });
  const token = stdout.split('\n').find((line) => line.startsWith('eyJ')) ?? '';
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      data?: unknown;
      errors?: { extensions?: { code?: string } }[];
    };
  };
  await gql('mutation($s: [StoreInput!]!) { upsertStores(stores: $s) { created } }', {
    s: Array.from({ length: 20 }, (_, i) => ({
      code: `S${i}`,
      name: `Store ${i}`,
      region: 'R',
      timeZone: 'UTC',
    })),
  });
  await gql('mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { created } }', {
    p: Array.from({ length: 200 }, (_, i) => ({
      sku: `P${i}`,
      name: `Product ${i}`,
      category: `C${i % 7}`,
      unitPrice: '3.50',
    })),
  });
  const day = 86_400_000;
  const batch = () =>
    Array.from({ length: 5000 }, (_, n) => ({
      transactionId: randomUUID(),
      time: new Date(Date.now() - (n % 60) * day - n * 1000).toISOString(),
      storeCode: `S${n % 20}`,
      sku: `P${(n * 7) % 200}`,
      quantity: 1 + (n % 4),
      unitPrice: '3.50',
    }));
  let peakMiB = 0;
  const sampler = setInterval(() => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    peakMiB = Math.max(peakMiB, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  }, 100);
  const counts = { answered: 0, overloaded: 0, failed: 0 };
  for (let round = 0; round < Number(args.rounds) && exit === null; round += 1) {
    const writes = Array.from({ length: Number(args.writes) }, () =>
      gql('mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }', { s: batch() }),
    );
    const reads = Array.from({ length: 40 }, (_, i) =>
      gql(
        'query($r: TimeRange!) { salesTrend(granularity: HOUR, range: $r, groupBy: [STORE]) { bucket units revenue } }',
        {
          r: {
            from: new Date(Date.now() - (i + 2 + round * 40) * day).toISOString(),
            to: new Date(Date.now() - (i + round * 40) * day).toISOString(),
          },
        },
      ),
    );
    for (const outcome of await Promise.allSettled([...writes, ...reads])) {
      if (outcome.status === 'rejected') counts.failed += 1;
      else if (outcome.value.errors?.[0]?.extensions?.code === 'OVERLOADED') counts.overloaded += 1;
      else if (outcome.value.data && !outcome.value.errors) counts.answered += 1;
      else counts.failed += 1;
    }
  }
  clearInterval(sampler);
  process.stdout.write(
    `${args.rounds} rounds of ${args.writes} concurrent 5 000-line uploads + 40 trends, ` +
      `\`${PACKAGE.scripts['start:prod']}\`, MAX_BODIES_IN_FLIGHT_BYTES=${process.env.MAX_BODIES_IN_FLIGHT_BYTES ?? 'default'}: ` +
      `answered ${counts.answered}, OVERLOADED ${counts.overloaded}, failed ${counts.failed}, ` +
      `peak RSS ${peakMiB.toFixed(0)} MiB, process ${exit === null ? 'alive' : `died (${exit})`}\n`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
