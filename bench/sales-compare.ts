/**
 * Comparison benchmark: a year of a 20-store tenant from the seed generator, salesTrend DAY by
 * STORE over its last 90 days with compareTo: PREVIOUS_YEAR against the same trend without it,
 * interleaved in the same run. The guarantee is a ratio of at most 1.5. Plain PostgreSQL with
 * DATABASE_URL, embedded TimescaleDB otherwise; figures go to bench/results/sales-compare.md.
 *   npx tsx bench/sales-compare.ts [--stores 20] [--products 200] [--days 365] [--runs 9]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { RequestDb } from '../src/db/request-db.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { retentionHorizon } from '../src/sales/retention.js';
import { ROUTE, salesTrend, type TrendInput } from '../src/sales/sales-store.js';
import { seedDatabase } from '../src/seed/index.js';
import { tenantIdentity } from '../src/seed/catalog.js';
import { median, openBenchDatabase } from './support.js';
import { storeDayTrend } from '../test/support/trend-input.js';

const { values: args } = parseArgs({
  options: {
    stores: { type: 'string', default: '20' },
    products: { type: 'string', default: '200' },
    days: { type: 'string', default: '365' },
    runs: { type: 'string', default: '9' },
  },
});
const runs = Number(args.runs);
const DAY_MS = 86_400_000;
const END = new Date('2026-06-01T00:00:00Z');

async function main() {
  const { config, database } = await openBenchDatabase();
  try {
    // A database seeded by an earlier run (DATABASE_URL) is measured as it is.
    const { customerId } = tenantIdentity(0);
    const existing = await database.pool.query(`SELECT FROM customers WHERE id = $1`, [customerId]);
    if (existing.rowCount === 0) {
      await seedDatabase(database.pool, database.backend, {
        tenants: 1,
        storesPerTenant: Number(args.stores),
        productsPerTenant: Number(args.products),
        days: Number(args.days),
        seed: 7,
        endDate: END,
      });
      await refreshSalesRollups(database.pool, database.backend, null, null);
    }
    const lines = await database.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM transactions WHERE customer_id = $1`,
      [customerId],
    );
    const tenant = { customerId };
    const base = storeDayTrend({ from: new Date(END.getTime() - 90 * DAY_MS), to: END });
    const compared: TrendInput = {
      ...base,
      compare: { to: 'PREVIOUS_YEAR', horizon: retentionHorizon(config.retention, END) },
    };
    const previousPeriod: TrendInput = {
      ...base,
      compare: { to: 'PREVIOUS_PERIOD', horizon: retentionHorizon(config.retention, END) },
    };
    const run = async (input: TrendInput) => {
      const db = new RequestDb(database.pool, {
        customerId: tenant.customerId,
        role: 'analyst',
        storeIds: null,
        statementTimeoutMs: 600_000,
      });
      const started = performance.now();
      try {
        const rows = await salesTrend(db, input, ROUTE);
        return { ms: performance.now() - started, rows: rows.length, statements: db.statements };
      } finally {
        await db.finish('rollback');
      }
    };
    await run(base);
    const warm = await run(compared);
    const plainMs: number[] = [];
    const comparedMs: number[] = [];
    const periodMs: number[] = [];
    await run(previousPeriod);
    for (let i = 0; i < runs; i += 1) {
      plainMs.push((await run(base)).ms);
      comparedMs.push((await run(compared)).ms);
      periodMs.push((await run(previousPeriod)).ms);
    }
    const plain = median(plainMs);
    const withCompare = median(comparedMs);
    const ratio = withCompare / plain;
    const report = [
      `# Comparison benchmark (bench/sales-compare.ts)`,
      ``,
      `- backend: ${database.backend}${database.embedded ? ' (embedded PGlite + TimescaleDB)' : ' (PostgreSQL server)'}`,
      `- data: seed --stores ${args.stores} --products ${args.products} --days ${args.days}: ${lines.rows[0]?.n ?? 0} sale lines, ending ${END.toISOString()}`,
      `- query: salesTrend DAY, UTC, grouped by STORE, the last 90 days (${warm.rows} buckets), without and with compareTo: PREVIOUS_YEAR (${warm.statements} statement${warm.statements === 1 ? '' : 's'} per request); the compared year lies before the seeded one, so it reads the rollups' index and finds nothing`,
      ``,
      `| trend | median ms (${runs} runs) | runs ms |`,
      `|---|---|---|`,
      `| without compareTo | ${plain.toFixed(1)} | ${plainMs.map((m) => m.toFixed(0)).join(', ')} |`,
      `| compareTo: PREVIOUS_YEAR | ${withCompare.toFixed(1)} | ${comparedMs.map((m) => m.toFixed(0)).join(', ')} |`,
      `| compareTo: PREVIOUS_PERIOD (the 90 seeded days before) | ${median(periodMs).toFixed(1)} | ${periodMs.map((m) => m.toFixed(0)).join(', ')} |`,
      ``,
      `Ratio with / without, same run: **${ratio.toFixed(2)}×** for PREVIOUS_YEAR (guarantee: at most 1.5×); ${(median(periodMs) / plain).toFixed(2)}× for PREVIOUS_PERIOD, whose compared days hold as many lines as the range's.`,
      ``,
    ].join('\n');
    process.stdout.write(report);
    const suffix = database.backend === 'timescale' ? 'timescale' : 'native';
    await writeFile(new URL(`./results/sales-compare.${suffix}.md`, import.meta.url), report);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
