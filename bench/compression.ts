/**
 * Compression benchmark (embedded PGlite + TimescaleDB): the seed generator's data set, then
 * the on-disk size of the hot tables and a set of reads through the real gateway (HTTP on
 * loopback) before archiving (the baseline, same run); then rows older than `--keep-days`
 * before the data's end move into the compressed archive by the embedded gateway's maintenance
 * sequence (src/db/database.ts runMaintenance: archiveRowsBefore, refreshSalesRollups,
 * compressArchive, VACUUM ANALYZE; each step timed), and the sizes and the same reads again;
 * then the same sequence moves one more week. Every answer after archiving must equal the
 * baseline's, byte for byte (the run fails otherwise), and the owner's row count and sums must
 * be unchanged.
 *   npx tsx bench/compression.ts [--tenants 2] [--stores 20] [--products 100] [--days 180]
 *     [--keep-days 30] [--rounds 7]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  archiveRowsBefore,
  archiveStats,
  compressArchive,
  type ArchiveMove,
  type ArchiveStats,
} from '../src/db/archive.js';
import type { Pool } from '../src/db/pool.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { seedDatabase } from '../src/seed/index.js';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';

const { values: args } = parseArgs({
  options: {
    tenants: { type: 'string', default: '2' },
    stores: { type: 'string', default: '20' },
    products: { type: 'string', default: '100' },
    days: { type: 'string', default: '180' },
    'keep-days': { type: 'string', default: '30' },
    rounds: { type: 'string', default: '7' },
  },
});
const tenants = Number(args.tenants);
const stores = Number(args.stores);
const products = Number(args.products);
const days = Number(args.days);
const keepDays = Number(args['keep-days']);
const rounds = Number(args.rounds);

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * DAY_MS;
// The seed ends today 00:00 UTC, so that latestInventory's 7-day sales window holds sales.
const END = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
const at = (daysBeforeEnd: number, plusMs = 0) =>
  new Date(END.getTime() - daysBeforeEnd * DAY_MS + plusMs).toISOString();
const RESULTS = new URL('./results/compression.md', import.meta.url);

/** The commit measured, with the source and migration files changed since. */
function codeVersion(): string {
  try {
    const git = (...a: string[]) =>
      execFileSync('git', a, { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
    const changed = git('status', '--porcelain', '--', 'src', 'sql')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
    return `commit ${git('rev-parse', '--short', 'HEAD').trim()}${changed.length > 0 ? ` with uncommitted changes to ${changed.join(', ')}` : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number) => (bytes / 1_048_576).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const seconds = (since: number) => (performance.now() - since) / 1000;

interface Read {
  name: string;
  query: string;
  variables: Record<string, unknown>;
}

/** The reads timed before and after archiving; all but the last two lie before the horizon. */
function reads(storeId: string, productId: string): Read[] {
  return [
    {
      name: 'salesTrend DAY by STORE, 90 days, unaligned edges (daily + hourly rollups, raw edges)',
      query: `query($range: TimeRange!) { salesTrend(range: $range, granularity: DAY, groupBy: [STORE]) {
        bucket store { id } units revenue transactions } }`,
      variables: { range: { from: at(150, 5 * HOUR_MS + 17 * 60_000), to: at(60, -133 * 60_000) } },
    },
    {
      name: 'salesTrend HOUR Asia/Kolkata, one store, 3 days (raw route)',
      query: `query($range: TimeRange!, $store: UUID!) { salesTrend(range: $range, granularity: HOUR,
        timeZone: "Asia/Kolkata", storeIds: [$store]) { bucket units revenue transactions } }`,
      variables: { range: { from: at(100), to: at(97) }, store: storeId },
    },
    {
      name: 'dailySales, 7 whole days, first 500',
      query: `query($range: TimeRange!) { dailySales(range: $range, first: 500) {
        edges { node { day store { id } product { id } units revenue } } pageInfo { endCursor } } }`,
      variables: { range: { from: at(120), to: at(113) } },
    },
    {
      name: 'topProducts by REVENUE, 30 days',
      query: `query($range: TimeRange!) { topProducts(range: $range, by: REVENUE, limit: 20) {
        product { id } units revenue } }`,
      variables: { range: { from: at(110), to: at(80) } },
    },
    {
      name: 'salesVelocity, 28-day window, first 200',
      query: `query($asOf: Date!) { salesVelocity(asOf: $asOf, windowDays: 28, first: 200) {
        edges { node { store { id } product { id } unitsPerDay revenuePerDay } } } }`,
      variables: { asOf: at(70).slice(0, 10) },
    },
    {
      name: 'inventoryHistory DAY, one store/product, 90 days',
      query: `query($range: TimeRange!, $store: UUID!, $product: UUID!) {
        inventoryHistory(storeId: $store, productId: $product, granularity: DAY, range: $range) {
          bucket observedAt onHand allocated available minAvailable maxAvailable snapshots } }`,
      variables: { range: { from: at(150), to: at(60) }, store: storeId, product: productId },
    },
    {
      name: 'latestInventory, first 200, with daysOfCover (latest rows hot)',
      query: `query { latestInventory(first: 200) { edges { node { store { id } product { id }
        observedAt onHand allocated available reorderPoint unitsPerDay daysOfCover } } } }`,
      variables: {},
    },
    {
      name: 'salesTrend DAY by STORE, last 60 days (across the horizon)',
      query: `query($range: TimeRange!) { salesTrend(range: $range, granularity: DAY, groupBy: [STORE]) {
        bucket store { id } units revenue transactions } }`,
      variables: { range: { from: at(60, 5 * HOUR_MS + 17 * 60_000), to: at(0, -133 * 60_000) } },
    },
  ];
}

/** One request; its answer (data) as JSON, with the number of top-level rows. */
async function ask(gw: TestGateway, token: string, read: Read) {
  const started = performance.now();
  const response = await gw.graphql(read.query, read.variables, token);
  const ms = performance.now() - started;
  if (response.status !== 200 || response.errors || !response.data) {
    throw new Error(`${read.name}: HTTP ${response.status} ${JSON.stringify(response.errors)}`);
  }
  const [value] = Object.values(response.data);
  const size = Array.isArray(value)
    ? value.length
    : ((value as { edges?: unknown[] } | undefined)?.edges?.length ?? 0);
  return { ms, answer: JSON.stringify(response.data), size };
}

/** A first (warm-up) answer per read, then `rounds` rounds over all reads; medians per read. */
async function timeReads(gw: TestGateway, token: string, list: Read[]) {
  const answers: string[] = [];
  const sizes: number[] = [];
  for (const read of list) {
    const first = await ask(gw, token, read);
    if (first.size === 0) throw new Error(`${read.name}: empty answer`);
    answers.push(first.answer);
    sizes.push(first.size);
  }
  const runs: number[][] = list.map(() => []);
  for (let r = 0; r < rounds; r += 1) {
    for (const [i, read] of list.entries()) {
      const { ms, answer } = await ask(gw, token, read);
      if (answer !== answers[i]) throw new Error(`${read.name}: answer changed between runs`);
      runs[i]?.push(ms);
    }
  }
  return { answers, sizes, runs, medians: runs.map(median) };
}

interface Sizes {
  hotTransactions: number;
  hotInventory: number;
  archive: Record<string, number>;
  rollups: number;
}

/** On-disk bytes (heap, indexes, TOAST, compressed chunks) of each hypertable. */
async function measureSizes(pool: Pool): Promise<Sizes> {
  const { rows } = await pool.query<{ name: string; bytes: number }>(
    `SELECT format('%I.%I', hypertable_schema, hypertable_name) AS name,
            coalesce(hypertable_size(format('%I.%I', hypertable_schema, hypertable_name)::regclass), 0)::float8 AS bytes
     FROM timescaledb_information.hypertables
     WHERE hypertable_schema IN ('public', 'archive')
     UNION ALL
     SELECT 'rollups', coalesce(sum(hypertable_size(format('%I.%I', materialization_hypertable_schema,
                                                            materialization_hypertable_name)::regclass)), 0)::float8
     FROM timescaledb_information.continuous_aggregates`,
  );
  const of = (name: string) => rows.find((r) => r.name === name)?.bytes ?? 0;
  return {
    hotTransactions: of('public.transactions'),
    hotInventory: of('public.inventory_levels'),
    archive: Object.fromEntries(
      rows.filter((r) => r.name.startsWith('archive.')).map((r) => [r.name, r.bytes]),
    ),
    rollups: of('rollups'),
  };
}

/** How many chunks the archive's hypertables have (compressed or not). */
async function archiveChunks(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ chunks: number }>(
    `SELECT count(*)::int AS chunks
     FROM unnest(ARRAY['archive.transactions', 'archive.inventory_levels', 'archive.sales_hourly',
                       'archive.sales_daily']::regclass[]) t,
          LATERAL show_chunks(t) c`,
  );
  return rows[0]?.chunks ?? 0;
}

interface Maintenance {
  moves: ArchiveMove[];
  rows: number;
  moveSeconds: number;
  rssBefore: number;
  rssAfter: number;
  refreshSeconds: number;
  chunks: number;
  newChunks: number;
  compressSeconds: number;
  vacuumSeconds: number;
}

/**
 * The embedded gateway's maintenance (src/db/database.ts runMaintenance) with archiveRowsBefore
 * for its archiveOlderThan, step by step: the move (a week per transaction), the refresh of
 * the rollups (the emptied old buckets leave them), then, as rows moved, compressArchive and
 * VACUUM ANALYZE (the embedded database has no autovacuum). Its last step, retention (2 years
 * by default), has nothing to drop in this data set and is left out.
 */
async function maintain(pool: Pool, before: Date): Promise<Maintenance> {
  const chunksBefore = await archiveChunks(pool);
  const rssBefore = process.memoryUsage().rss;
  let t = performance.now();
  const moves = await archiveRowsBefore(pool, before);
  const moveSeconds = seconds(t);
  const rssAfter = process.memoryUsage().rss;
  const rows = moves.reduce((total, m) => total + m.moved, 0);
  progress(`  moved ${fmt(rows)} rows in ${moveSeconds.toFixed(1)} s; refreshing the rollups`);
  t = performance.now();
  await refreshSalesRollups(pool, 'timescale', null, null);
  const refreshSeconds = seconds(t);
  // The maintenance compresses and vacuums only when rows moved; here rows must move.
  if (rows === 0) throw new Error(`nothing to archive before ${before.toISOString()}`);
  progress('  compressing');
  t = performance.now();
  const chunks = await compressArchive(pool);
  const compressSeconds = seconds(t);
  progress('  VACUUM ANALYZE');
  t = performance.now();
  await pool.query('VACUUM ANALYZE');
  const vacuumSeconds = seconds(t);
  const newChunks = (await archiveChunks(pool)) - chunksBefore;
  return {
    moves,
    rows,
    moveSeconds,
    rssBefore,
    rssAfter,
    refreshSeconds,
    chunks,
    newChunks,
    compressSeconds,
    vacuumSeconds,
  };
}

/** The owner's totals of every sale line and snapshot, hot and archived (RLS bypassed). */
async function totals(pool: Pool, archived: boolean): Promise<string> {
  const union = (table: string, columns: string) =>
    archived
      ? `(SELECT ${columns} FROM public.${table} UNION ALL SELECT ${columns} FROM archive.${table})`
      : `(SELECT ${columns} FROM public.${table})`;
  const { rows } = await pool.query(
    `SELECT (SELECT row(count(*), sum(quantity), sum(revenue))::text
             FROM ${union('transactions', 'quantity, revenue')} t) AS sales,
            (SELECT row(count(*), sum(on_hand), sum(allocated))::text
             FROM ${union('inventory_levels', 'on_hand, allocated')} i) AS stock`,
  );
  return JSON.stringify(rows[0]);
}

/** Fails unless every read answered as in the baseline. */
function checkAnswers(list: Read[], baseline: string[], answers: string[], when: string) {
  const differing = list.flatMap((read, i) =>
    answers[i] === baseline[i]
      ? []
      : [
          `${read.name}\n  before: ${baseline[i]?.slice(0, 600)}\n  ${when}: ${answers[i]?.slice(0, 600)}`,
        ],
  );
  if (differing.length > 0) {
    throw new Error(`answers differ ${when}:\n${differing.join('\n')}`);
  }
}

async function main() {
  const started = performance.now();
  // On disk, as `npm start` keeps it: an in-memory PGlite holds its files in the JavaScript
  // heap, which a move of a million rows grows by gigabytes and slows every later read.
  const dataDir = await mkdtemp(join(tmpdir(), 'shelfops-compression-'));
  const gw = await startTestGateway('timescale', {
    STATEMENT_TIMEOUT_MS: '600000',
    RATE_LIMIT_REQUESTS: '0',
    EMBEDDED_DATA_DIR: dataDir,
  });
  const owner = gw.owner;
  try {
    progress(`seeding ${tenants} tenants × ${stores} stores × ${products} products × ${days} days`);
    const seed = await seedDatabase(owner, 'timescale', {
      tenants,
      storesPerTenant: stores,
      productsPerTenant: products,
      days,
      seed: 42,
      endDate: END,
      log: progress,
    });
    const tenant = seed.tenants[0];
    const storeId = tenant?.storeIds[0];
    const productId = tenant?.productIds[0];
    if (!tenant || !storeId || !productId) throw new Error('the seed made no tenant');
    const token = await gw.token(tenant.customerId, 'analyst');
    const list = reads(storeId, productId);
    const totalsBefore = await totals(owner, false);
    const sizesBefore = await measureSizes(owner);

    progress('reads before archiving');
    const before = await timeReads(gw, token, list);

    // One maintenance for everything older than the cut-off, as the gateway's first run over
    // existing data makes.
    const cutoff = new Date(END.getTime() - keepDays * DAY_MS);
    progress(`maintenance: archiving rows before ${cutoff.toISOString()}`);
    const first = await maintain(owner, cutoff);
    const boundary = first.moves[0]?.boundary.toISOString() ?? '?';
    const stats = await archiveStats(owner);
    const sizesAfter = await measureSizes(owner);
    const totalsAfter = await totals(owner, true);
    if (totalsAfter !== totalsBefore) {
      throw new Error(`rows lost or duplicated: before ${totalsBefore}, after ${totalsAfter}`);
    }
    const uncompressed = stats.filter((s) => s.compressedChunks !== s.chunks);
    if (uncompressed.length > 0) {
      throw new Error(`archive chunks left uncompressed: ${JSON.stringify(uncompressed)}`);
    }

    progress('reads after archiving');
    const after = await timeReads(gw, token, list);
    checkAnswers(list, before.answers, after.answers, 'after archiving');

    // Steady state: the next maintenance moves one more week into the compressed archive (into
    // compressed rollup chunks, or new ones when the week starts one of the rollups' 28- or
    // 364-day chunks), and every answer stays the same.
    progress('maintenance: one more week into the compressed archive');
    const next = await maintain(owner, new Date(cutoff.getTime() + WEEK_MS));
    const nextBoundary = next.moves[0]?.boundary.toISOString() ?? '?';
    if ((await totals(owner, true)) !== totalsBefore) {
      throw new Error('rows lost or duplicated by the second archive run');
    }
    const nextUncompressed = (await archiveStats(owner)).filter(
      (s) => s.compressedChunks !== s.chunks,
    );
    if (nextUncompressed.length > 0) {
      throw new Error(`archive chunks left uncompressed: ${JSON.stringify(nextUncompressed)}`);
    }
    const again: string[] = [];
    for (const read of list) again.push((await ask(gw, token, read)).answer);
    checkAnswers(list, before.answers, again, 'after one more week');

    const stat = (name: string): ArchiveStats | undefined => stats.find((s) => s.relation === name);
    const hotBefore = sizesBefore.hotTransactions + sizesBefore.hotInventory;
    const hotAfter = sizesAfter.hotTransactions + sizesAfter.hotInventory;
    const archiveRaw = ['archive.transactions', 'archive.inventory_levels'];
    const archiveRollups = ['archive.sales_hourly', 'archive.sales_daily'];
    const onDisk = (name: string) => sizesAfter.archive[name] ?? 0;
    const sum = (names: string[]) => names.reduce((total, name) => total + onDisk(name), 0);
    const rawAfter = hotAfter + sum(archiveRaw);
    const withRollupsBefore = hotBefore + sizesBefore.rollups;
    const withRollupsAfter = rawAfter + sum(archiveRollups) + sizesAfter.rollups;
    const archivedBefore = hotBefore - hotAfter;
    const rate = (rows: number, s: number) => `${fmt(rows / s)} rows/s`;
    const moved = (m: Maintenance) => {
      const of = (relation: string) => m.moves.find((x) => x.relation === relation)?.moved ?? 0;
      return `${fmt(of('transactions'))} transactions + ${fmt(of('inventory_levels'))} snapshots`;
    };
    const total = (m: Maintenance) =>
      m.moveSeconds + m.refreshSeconds + m.compressSeconds + m.vacuumSeconds;
    const step = (label: string, figure: (m: Maintenance) => string) =>
      `| ${label} | ${figure(first)} | ${figure(next)} |`;

    const lines = [
      `# Compression benchmark (bench/compression.ts)`,
      ``,
      `\`npx tsx bench/compression.ts\`: the seed generator's data set on the embedded PGlite +`,
      `TimescaleDB (data in a temporary directory, as \`npm start\` keeps it; one connection); reads through the real gateway over loopback HTTP`,
      `as an analyst of the first tenant, before archiving (baseline) and after moving every row`,
      `older than ${keepDays} days before the data's end into the compressed archive, in the same`,
      `run. The archiving is the embedded gateway's maintenance sequence (\`runMaintenance\` in`,
      `src/db/database.ts), each step timed: \`archiveRowsBefore\` (a week per transaction),`,
      `\`refreshSalesRollups\`, \`compressArchive\`, \`VACUUM ANALYZE\` (retention, its last step,`,
      `has nothing to drop here and is left out); the next maintenance then moves one more week.`,
      `All reads but the last two cover days before the horizon: after the move they read the`,
      `compressed archive (rollups and raw rows) instead of the hot tables and their continuous`,
      `aggregates.`,
      `Sizes are \`hypertable_size\` (heap, indexes, TOAST, compressed chunks) after the first`,
      `maintenance's VACUUM. Timings: median of ${rounds} rounds, each round running every read`,
      `once, after one warm-up request per read.`,
      ``,
      `- data: seed 42, ${tenants} tenants × ${stores} stores × ${products} products × ${days} days up to ${END.toISOString().slice(0, 10)}: ${fmt(seed.transactions)} transactions, ${fmt(seed.inventoryRows)} inventory rows (seeded with rollup refresh in ${seed.seconds.toFixed(1)} s)`,
      `- machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}; measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; whole run ${((performance.now() - started) / 60_000).toFixed(1)} min`,
      `- code: ${codeVersion()}`,
      `- archive horizon: ${boundary} (cut-off ${cutoff.toISOString()} rounded down to a 7-day chunk boundary), then ${nextBoundary}`,
      `- answers identical to the baseline after archiving and again after one more week: yes (all ${list.length} reads); the owner's row counts and sums of transactions and snapshots (hot + archive) unchanged`,
      ``,
      `## Archiving`,
      ``,
      `| step | first maintenance (everything before the cut-off) | next maintenance (one more week) |`,
      `|---|---|---|`,
      step(
        'archiveRowsBefore (a week per transaction)',
        (m) => `${moved(m)} in ${m.moveSeconds.toFixed(1)} s = ${rate(m.rows, m.moveSeconds)}`,
      ),
      step(
        'process RSS (Node + PGlite) before / after the move',
        (m) => `${mib(m.rssBefore)} / ${mib(m.rssAfter)} MiB`,
      ),
      step('refreshSalesRollups (whole range)', (m) => `${m.refreshSeconds.toFixed(1)} s`),
      step(
        'compressArchive (chunks it compressed; of them new chunks in parentheses)',
        (m) => `${m.chunks} chunks (${m.newChunks} new) in ${m.compressSeconds.toFixed(1)} s`,
      ),
      step('VACUUM ANALYZE', (m) => `${m.vacuumSeconds.toFixed(1)} s`),
      step('**whole maintenance**', (m) => `**${total(m).toFixed(1)} s**`),
      ``,
      `## Sizes (MiB)`,
      ``,
      `| relation | before archiving | after: uncompressed | after: on disk | ratio |`,
      `|---|---|---|---|---|`,
      `| public.transactions (hot) | ${mib(sizesBefore.hotTransactions)} | | ${mib(sizesAfter.hotTransactions)} | |`,
      `| public.inventory_levels (hot) | ${mib(sizesBefore.hotInventory)} | | ${mib(sizesAfter.hotInventory)} | |`,
      ...[...archiveRaw, ...archiveRollups].map((name) => {
        const s = stat(name);
        const ratio = s && s.bytesAfter > 0 ? `${(s.bytesBefore / s.bytesAfter).toFixed(1)}×` : '';
        return `| ${name} (${s?.compressedChunks ?? 0}/${s?.chunks ?? 0} chunks compressed) | | ${mib(s?.bytesBefore ?? 0)} | ${mib(onDisk(name))} | ${ratio} |`;
      }),
      `| rollup materializations (continuous aggregates) | ${mib(sizesBefore.rollups)} | | ${mib(sizesAfter.rollups)} | |`,
      `| **transactions + snapshots, hot + archive** | ${mib(hotBefore)} | | ${mib(rawAfter)} | **${(hotBefore / rawAfter).toFixed(1)}×** |`,
      `| archived share only (hot bytes freed vs archive on disk) | ${mib(archivedBefore)} | | ${mib(sum(archiveRaw))} | ${(archivedBefore / sum(archiveRaw)).toFixed(1)}× |`,
      `| all of the above (with archived rollups and materializations) | ${mib(withRollupsBefore)} | | ${mib(withRollupsAfter)} | ${(withRollupsBefore / withRollupsAfter).toFixed(1)}× |`,
      ``,
      `## Reads (ms, median of ${rounds})`,
      ``,
      `| read | rows | before (hot) | after (archive) | after / before | runs before | runs after |`,
      `|---|---|---|---|---|---|---|`,
      ...list.map((read, i) => {
        const b = before.medians[i] ?? 0;
        const a = after.medians[i] ?? 0;
        const runs = (r: number[][]) => (r[i] ?? []).map((m) => m.toFixed(0)).join(', ');
        return `| ${read.name} | ${after.sizes[i] ?? 0} | ${b.toFixed(1)} | ${a.toFixed(1)} | ${(a / b).toFixed(2)} | ${runs(before.runs)} | ${runs(after.runs)} |`;
      }),
      ``,
    ];
    const report = lines.join('\n');
    process.stdout.write(report);
    await writeFile(RESULTS, report);
  } finally {
    await gw.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
