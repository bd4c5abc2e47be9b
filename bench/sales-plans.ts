/**
 * Query plans of the main sales statements on the seed generator's larger data set: for each
 * statement, EXPLAIN (ANALYZE, FORMAT JSON) under an analyst's tenant settings, summarised as
 * the relations scanned (rollup materializations or raw chunks, how many of how many), the
 * indexes used, any sequential scan and the execution time; on TimescaleDB also against the
 * raw-only route of the same question (the baseline), measured in the same run.
 *
 *   npx tsx bench/sales-plans.ts [tenants] [stores] [products] [days]
 *
 * With DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) it creates a scratch
 * database on that server, and drops it at the end; without, it starts the embedded
 * PGlite + TimescaleDB in memory. The summary also goes to bench/results/sales-plans.md (one
 * section per backend).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';
import type { Sql } from 'sql-template-tag';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { detectBackend, migrateUp, type Backend } from '../src/db/migrate.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { seedDatabase, type SeedOptions } from '../src/seed/index.js';
import {
  explainAsTenant,
  hypertableCatalog,
  planNodes,
  salesPlanStatements,
  seedCatalog,
  type ExplainedPlan,
  type HypertableCatalog,
} from '../test/support/sales-plans.js';

/** The statements summarised, by their names in the plan test, with what they stand for. */
const STATEMENTS: Record<string, string> = {
  'sales-trend-day-utc': 'salesTrend DAY UTC, unaligned edges',
  'sales-trend-hour-berlin-filled': 'salesTrend HOUR Europe/Berlin, fillGaps',
  'sales-trend-day-kolkata-store-product': 'salesTrend DAY Asia/Kolkata, one store/product',
  'top-products': 'topProducts (REVENUE, 10)',
  'daily-sales': 'dailySales (7 days, 50 rows)',
  'sales-velocity': 'salesVelocity (7-day window, 50 pairs)',
};
const RUNS = 3;
const RESULTS = new URL('./results/sales-plans.md', import.meta.url);
const END = new Date('2026-06-01T00:00:00Z');

const serverUrl = process.env.DATABASE_URL;
const args = process.argv.slice(2).map((arg) => Number(arg));
const [tenants, stores, products, days] = (serverUrl ? [3, 20, 200, 365] : [2, 20, 100, 365]).map(
  (fallback, i) => args[i] ?? fallback,
);
const options: SeedOptions = {
  tenants: tenants ?? 1,
  storesPerTenant: stores ?? 1,
  productsPerTenant: products ?? 1,
  days: days ?? 1,
  seed: 42,
  endDate: END,
};

const out: string[] = [];
const print = (line: string) => {
  out.push(line);
  process.stdout.write(`${line}\n`);
};
const progress = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface Target {
  pool: Pool;
  label: string;
  close(): Promise<void>;
}

/** A scratch database on the DATABASE_URL server, or the embedded TimescaleDB in memory. */
async function openTarget(): Promise<Target> {
  if (!serverUrl) {
    const embedded = await startEmbeddedDatabase({ dataDir: null });
    const pool = createPool(embedded, 1);
    return {
      pool,
      label: 'embedded PGlite + TimescaleDB (in memory, one connection)',
      async close() {
        await pool.end();
        await embedded.close();
      },
    };
  }
  const name = `shelfops_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 4);
  pool.on('error', () => undefined);
  // Dropping the database on a signal ends busy connections too: their queries fail, the run
  // unwinds, instead of an unhandled connection error ending the process first.
  pool.on('connect', (client) => client.on('error', () => undefined));
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  // An interrupted run still removes its scratch database.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: dropping ${name}`);
      void drop().finally(() => process.exit(130));
    });
  }
  const { rows } = await admin.query<{ version: string }>(
    `SELECT current_setting('server_version') AS version`,
  );
  return {
    pool,
    label: `PostgreSQL ${rows[0]?.version ?? '?'} server, scratch database, pool of 4`,
    async close() {
      await pool.end();
      await drop();
    },
  };
}

/** Names a scanned relation by what it holds: a rollup, a hypertable or a plain table. */
function describeRelation(relation: string, hypertables: HypertableCatalog | null) {
  const owner = hypertables?.chunkOf.get(relation) ?? null;
  const table = owner ?? relation;
  const view = Object.entries(hypertables?.materialized ?? {}).find(([, t]) => t === table)?.[0];
  return { source: view ? `${view} (materialized)` : table, chunk: owner ? relation : null };
}

/** One table row: relations (chunks scanned of all), indexes, sequential scans, timings. */
function summarise(
  plan: ExplainedPlan,
  hypertables: HypertableCatalog | null,
  indexOf: Map<string, string>,
): string[] {
  const nodes = planNodes(plan.Plan);
  const sources = new Map<string, { chunks: Set<string>; idle: Set<string> }>();
  const indexCounts = new Map<string, number>();
  const seqScans = new Set<string>();
  const hypertableOf = (source: string) =>
    hypertables?.materialized[source.replace(/ \(materialized\)$/, '')] ?? source;
  for (const node of nodes) {
    const relation = node['Relation Name'];
    if (relation) {
      const { source, chunk } = describeRelation(relation, hypertables);
      const entry = sources.get(source) ?? { chunks: new Set(), idle: new Set() };
      if (chunk) entry.chunks.add(chunk);
      // Chunks the executor excluded at run time appear in the plan but never run.
      if (chunk && node['Actual Loops'] === 0) entry.idle.add(chunk);
      sources.set(source, entry);
      if (node['Node Type'] === 'Seq Scan') seqScans.add(source);
    }
    const index = node['Index Name'];
    if (index) {
      const name = indexOf.get(index) ?? index;
      indexCounts.set(name, (indexCounts.get(name) ?? 0) + 1);
    }
  }
  const chunkTotal = (source: string) =>
    [...(hypertables?.chunkOf.values() ?? [])].filter((h) => h === hypertableOf(source)).length;
  const relations = [...sources]
    .map(([source, { chunks, idle }]) => {
      if (chunks.size === 0) return source;
      const ran = idle.size > 0 ? `, ${chunks.size - idle.size} executed` : '';
      return `${source}: ${chunks.size}/${chunkTotal(source)} chunks${ran}`;
    })
    .join('; ');
  const indexes = [...indexCounts]
    .map(([name, count]) => (count > 1 ? `${name} ×${count}` : name))
    .join(', ');
  return [relations, indexes || 'none', [...seqScans].join(', ') || 'none'];
}

/**
 * Chunk index → the hypertable index it copies. Chunk index names are the chunk's name plus the
 * hypertable index's, cut at 63 characters, so they are matched by definition instead.
 */
async function chunkIndexes(pool: Pool): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ chunkIndex: string; index: string }>(
    `SELECT ci.indexname AS "chunkIndex", hi.indexname AS "index"
     FROM timescaledb_information.chunks c
     JOIN pg_indexes ci ON ci.schemaname = c.chunk_schema AND ci.tablename = c.chunk_name
     JOIN pg_indexes hi ON hi.schemaname = c.hypertable_schema AND hi.tablename = c.hypertable_name
      AND substring(hi.indexdef FROM ' USING .*$') = substring(ci.indexdef FROM ' USING .*$')`,
  );
  return new Map(rows.map((r) => [r.chunkIndex, r.index]));
}

/** EXPLAIN ANALYZE `RUNS` times; the last plan and the median execution time. */
async function analyse(
  pool: Pool,
  backend: Backend,
  customerId: string,
  statement: Sql,
): Promise<{ plan: ExplainedPlan; ms: number }> {
  const times: number[] = [];
  let last: ExplainedPlan | null = null;
  for (let run = 0; run < RUNS; run += 1) {
    last = await explainAsTenant(pool, backend, customerId, statement, { analyze: true });
    times.push(last['Execution Time'] ?? Number.NaN);
  }
  if (!last) throw new Error('no plan');
  return { plan: last, ms: median(times) };
}

/** Replaces this backend's section of the results file, keeping the other backend's. */
async function writeResults(title: string): Promise<void> {
  const previous = await readFile(RESULTS, 'utf8').catch(() => '');
  const kept = previous
    .split(/^(?=## )/m)
    .filter((part) => part.startsWith('## ') && !part.startsWith(`## ${title}\n`));
  const header = [
    '# sales-plans',
    '',
    '`npx tsx bench/sales-plans.ts` (embedded) and `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres',
    'npx tsx bench/sales-plans.ts` (local server, scratch database): the seed generator’s data set, then',
    `EXPLAIN (ANALYZE, FORMAT JSON) of each main sales statement as an analyst of the first tenant (median`,
    `execution time of ${RUNS} runs; on TimescaleDB against the raw-only route of the same question).`,
    '',
  ].join('\n');
  const section = [`## ${title}`, '', ...out, ''].join('\n');
  const sections = [...kept.map((part) => part.trimEnd() + '\n'), section].sort();
  await writeFile(RESULTS, [header, ...sections].join('\n'));
}

async function main() {
  const target = await openTarget();
  try {
    await migrateUp(target.pool, { timescaledb: 'auto' });
    const backend = await detectBackend(target.pool, 'auto');
    progress(`seeding ${backend}: ${JSON.stringify(options)}`);
    const seeded = await seedDatabase(target.pool, backend, { ...options, log: progress });
    const refreshStarted = performance.now();
    await refreshSalesRollups(target.pool, backend, null, null);
    await target.pool.query('ANALYZE');
    const refreshSeconds = (performance.now() - refreshStarted) / 1000;
    const hypertables = backend === 'timescale' ? await hypertableCatalog(target.pool) : null;
    const indexOf = hypertables ? await chunkIndexes(target.pool) : new Map<string, string>();
    const catalog = seedCatalog(options, 0);
    const routed = salesPlanStatements(catalog, backend);
    const rawOnly = salesPlanStatements(catalog, 'raw');

    print(`- backend: ${backend} — ${target.label}`);
    print(
      `- data: seed 42, ${options.tenants} tenants × ${options.storesPerTenant} stores × ` +
        `${options.productsPerTenant} products × ${options.days} days up to ${END.toISOString().slice(0, 10)}: ` +
        `${fmt(seeded.transactions)} transactions, ${fmt(seeded.inventoryRows)} inventory rows ` +
        `(seeded with rollup refresh in ${seeded.seconds.toFixed(1)} s; refresh + ANALYZE again ${refreshSeconds.toFixed(1)} s)`,
    );
    print(`- measured: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
    print('');
    print('| statement | relations scanned | indexes | seq scans | ms | raw-only ms | speed-up |');
    print('|---|---|---|---|---|---|---|');
    const used = new Set<string>();
    for (const [name, title] of Object.entries(STATEMENTS)) {
      const statement = routed[name];
      if (!statement) throw new Error(`unknown statement ${name}`);
      progress(`explaining ${name}`);
      const { plan, ms } = await analyse(target.pool, backend, catalog.customerId, statement);
      const cells = [`${name} (${title})`, ...summarise(plan, hypertables, indexOf), ms.toFixed(1)];
      const baseline = rawOnly[name];
      if (baseline) {
        const raw = await analyse(target.pool, backend, catalog.customerId, baseline);
        cells.push(raw.ms.toFixed(1), `${(raw.ms / ms).toFixed(1)}×`);
      }
      print(`| ${cells.join(' | ')} |`);
      for (const node of planNodes(plan.Plan)) {
        const index = node['Index Name'];
        if (index) used.add(indexOf.get(index) ?? index);
      }
    }
    const { rows: definitions } = await target.pool.query<{ name: string; columns: string }>(
      `SELECT indexname AS name, substring(indexdef FROM ' ON (.*)$') AS columns
       FROM pg_indexes WHERE indexname = ANY($1::text[]) ORDER BY indexname`,
      [[...used]],
    );
    print('');
    for (const d of definitions) print(`- ${d.name}: ${d.columns}`);
    await writeResults(`${backend} (${serverUrl ? 'server' : 'embedded'})`);
  } finally {
    await target.close();
  }
}

await main();
