/**
 * Retail calendar and freshness benchmark: a year of a 20-store tenant from the seed generator
 * (NRF 4-5-4 calendar, weeks from Sunday), salesTrend by STORE over 13 retail weeks
 * (1 March – 31 May 2026) as DAY, WEEK (Monday), RETAIL_WEEK, RETAIL_MONTH and RETAIL_WEEK with
 * compareTo: PREVIOUS_YEAR, and the per-request freshness read, interleaved in the same run.
 * Plain PostgreSQL with DATABASE_URL, embedded TimescaleDB otherwise; figures go to
 * bench/results/calendar-freshness.<backend>.md.
 *   npx tsx bench/calendar-freshness.ts [--stores 20] [--products 200] [--days 365] [--runs 15]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import sql from 'sql-template-tag';
import type { TenantCalendar } from '../src/analytics/calendar.js';
import { readRequestFacts } from '../src/analytics/data-freshness.js';
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
    runs: { type: 'string', default: '15' },
  },
});
const runs = Number(args.runs);
const END = new Date('2026-06-01T00:00:00Z');
const NRF: TenantCalendar = { weekStart: 'SUNDAY', retail: { kind: 'NRF_454', fiscalYearEnd: 1 } };

async function main() {
  const { config, database } = await openBenchDatabase();
  try {
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
    const base = storeDayTrend(
      { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-05-31T00:00:00Z') },
      { calendar: NRF },
    );
    const questions: Array<[string, TrendInput]> = [
      ['DAY', base],
      [
        'WEEK (ISO, Monday)',
        { ...base, granularity: 'WEEK', calendar: { ...NRF, weekStart: 'MONDAY' } },
      ],
      ['WEEK (Sunday)', { ...base, granularity: 'WEEK' }],
      ['RETAIL_WEEK', { ...base, granularity: 'RETAIL_WEEK' }],
      ['RETAIL_MONTH', { ...base, granularity: 'RETAIL_MONTH' }],
      [
        'RETAIL_WEEK, compareTo: PREVIOUS_YEAR',
        {
          ...base,
          granularity: 'RETAIL_WEEK',
          compare: { to: 'PREVIOUS_YEAR', horizon: retentionHorizon(config.retention, END) },
        },
      ],
    ];
    const request = () =>
      new RequestDb(database.pool, {
        customerId,
        role: 'analyst',
        storeIds: null,
        statementTimeoutMs: 600_000,
      });
    const trend = async (input: TrendInput) => {
      const db = request();
      const started = performance.now();
      try {
        const rows = await salesTrend(db, input, ROUTE);
        return { ms: performance.now() - started, rows: rows.length, statements: db.statements };
      } finally {
        await db.finish('rollback');
      }
    };
    // The freshness read alone, on a transaction already open (as a request's second statement).
    const facts = async () => {
      const db = request();
      try {
        await db.query(sql`SELECT 1`);
        const started = performance.now();
        await readRequestFacts(db, database.backend);
        return performance.now() - started;
      } finally {
        await db.finish('rollback');
      }
    };
    const shape = new Map<string, { rows: number; statements: number }>();
    for (const [name, q] of questions) {
      const warm = await trend(q);
      shape.set(name, { rows: warm.rows, statements: warm.statements });
    }
    await facts();
    const times = new Map<string, number[]>(questions.map(([name]) => [name, []]));
    const factMs: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      for (const [name, q] of questions) times.get(name)?.push((await trend(q)).ms);
      factMs.push(await facts());
    }
    const day = median(times.get('DAY') ?? []);
    const report = [
      `# Retail calendar and freshness benchmark (bench/calendar-freshness.ts)`,
      ``,
      `- backend: ${database.backend}${database.embedded ? ' (embedded PGlite + TimescaleDB)' : ' (PostgreSQL server)'}`,
      `- data: seed --stores ${args.stores} --products ${args.products} --days ${args.days}: ${lines.rows[0]?.n ?? 0} sale lines, ending ${END.toISOString()}`,
      `- query: salesTrend by STORE, UTC, 2026-03-01 to 2026-05-31 (13 NRF weeks of fiscal 2026), same run, interleaved; the compared fiscal 2025 weeks lie before the seeded year (the rollups' index finds nothing there)`,
      ``,
      `| question | rows | statements | median ms (${runs} runs) | ÷ DAY |`,
      `|---|---|---|---|---|`,
      ...questions.map(([name]) => {
        const ms = median(times.get(name) ?? []);
        const s = shape.get(name);
        return `| ${name} | ${s?.rows} | ${s?.statements} | ${ms.toFixed(1)} | ${(ms / day).toFixed(2)}× |`;
      }),
      `| freshness and calendars read (once per request) | 1 | 1 (side) | ${median(factMs).toFixed(2)} | ${(median(factMs) / day).toFixed(2)}× |`,
      ``,
    ].join('\n');
    process.stdout.write(report);
    const suffix = database.backend === 'timescale' ? 'timescale' : 'native';
    await writeFile(new URL(`./results/calendar-freshness.${suffix}.md`, import.meta.url), report);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
