/**
 * Plain-PostgreSQL rollup tables against raw rows: salesTrend by store over a seeded database
 * (npm run seed into a scratch database first), the routed statement (rollup tables + raw
 * edges) and the raw-only statement of the same question, same tenant context, same run,
 * runs alternated. Also explains the retention delete on that data.
 *   DATABASE_URL=postgres://…/scratch TIMESCALEDB=off npx tsx bench/native-rollups.ts [--runs 7]
 * Figures go to bench/results/native-rollups.md.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { RequestDb } from '../src/db/request-db.js';
import { createLogger } from '../src/logger.js';
import {
  planTrend,
  ROUTE,
  salesTrend,
  type TrendInput,
  type TrendOptions,
} from '../src/sales/sales-store.js';
import { median } from './support.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(args.runs);
const DAY = 86_400_000;

async function main() {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-01',
    STATEMENT_TIMEOUT_MS: '600000',
    MIGRATE_ON_START: 'false',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  if (!config.databaseUrl)
    throw new Error('set DATABASE_URL to a seeded plain PostgreSQL database');
  const database = await openDatabase(config, createLogger('silent'));
  if (database.backend !== 'native') throw new Error('run with TIMESCALEDB=off (plain PostgreSQL)');
  const owner = database.pool;
  const lines: string[] = [];
  const print = (line = '') => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  try {
    const { rows: facts } = await owner.query<{
      customerId: string;
      storeId: string;
      end: Date;
      lines: string;
      tenantLines: string;
      stores: number;
      products: number;
      tables: string;
    }>(
      `WITH t AS (SELECT id FROM customers ORDER BY name, id LIMIT 1)
       SELECT t.id AS "customerId",
              (SELECT s.id FROM stores s WHERE s.customer_id = t.id ORDER BY s.code LIMIT 1) AS "storeId",
              (SELECT date_trunc('day', max(time)) + interval '1 day' FROM transactions) AS end,
              (SELECT count(*) FROM transactions)::text AS lines,
              (SELECT count(*) FROM transactions x WHERE x.customer_id = t.id)::text AS "tenantLines",
              (SELECT count(*)::int FROM stores s WHERE s.customer_id = t.id) AS stores,
              (SELECT count(*)::int FROM products p WHERE p.customer_id = t.id) AS products,
              (SELECT string_agg(format('%s %s', relname, n_live_tup), ', ' ORDER BY relname)
               FROM pg_stat_user_tables WHERE schemaname = 'rollup') AS tables
       FROM t`,
    );
    const fact = facts[0];
    if (!fact) throw new Error('the database holds no tenant: npm run seed first');
    const end = fact.end.getTime();
    const byStore = { store: true, product: false, category: false };
    const question = (from: number, granularity: TrendInput['granularity']): TrendInput => ({
      range: { from: new Date(from), to: new Date(end) },
      granularity,
      zone: { kind: 'fixed', zone: 'UTC' },
      filters: { storeIds: null, productIds: null, categories: null },
      groupBy: byStore,
      fillGaps: false,
      gapGroups: { kind: 'present' },
    });
    const questions: [string, TrendInput][] = [
      ['365-day MONTH trend by store', question(end - 365 * DAY, 'MONTH')],
      ['90-day DAY trend by store', question(end - 90 * DAY, 'DAY')],
      [
        '90-day DAY trend by store, edges at 05:17 and 21:47 (hourly rollups and raw minutes)',
        {
          ...question(end - 90 * DAY + 5 * 3_600_000 + 17 * 60_000, 'DAY'),
          range: {
            from: new Date(end - 90 * DAY + 5 * 3_600_000 + 17 * 60_000),
            to: new Date(end - DAY + 21 * 3_600_000 + 47 * 60_000),
          },
        },
      ],
      [
        '91-day WEEK trend by product of one store (per-product daily table)',
        {
          ...question(end - 91 * DAY, 'WEEK'),
          filters: { storeIds: [fact.storeId], productIds: null, categories: null },
          groupBy: { store: false, product: true, category: false },
        },
      ],
    ];
    const time = async (input: TrendInput, options: TrendOptions) => {
      const db = new RequestDb(owner, {
        customerId: fact.customerId,
        role: 'analyst',
        storeIds: null,
        statementTimeoutMs: 600_000,
      });
      const started = performance.now();
      try {
        const rows = await salesTrend(db, input, options);
        return { ms: performance.now() - started, rows };
      } finally {
        await db.finish('rollback');
      }
    };

    print('# Exact rollup tables on plain PostgreSQL (bench/native-rollups.ts)');
    print('');
    print(
      `- data: \`npm run seed -- --tenants 3 --stores 20 --products 200 --days 365\` into a scratch ` +
        `database on the local PostgreSQL 15 server (TIMESCALEDB=off): ${fact.lines} sale lines, ` +
        `${fact.tenantLines} of the tenant asked about (${fact.stores} stores, ${fact.products} products)`,
    );
    print(`- rollup tables (live rows): ${fact.tables}`);
    print(
      `- each statement run ${runs} times per path, alternated, in a transaction under the tenant ` +
        `context as the gateway's role; "raw" is the same question over transactions only ` +
        `(forceRaw), "routed" is what the gateway runs (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    );
    print('');
    print(
      '| question | routed segments | buckets | routed median ms | raw median ms | speed-up | same answer |',
    );
    print('| --- | --- | --- | --- | --- | --- | --- |');
    for (const [name, input] of questions) {
      const routed = ROUTE;
      const segments = planTrend(input, routed)
        .map((s) => s.source)
        .join(' + ');
      await time(input, routed);
      await time(input, { forceRaw: true });
      const routedMs: number[] = [];
      const rawMs: number[] = [];
      let same = true;
      let buckets = 0;
      for (let run = 0; run < runs; run += 1) {
        const a = await time(input, routed);
        const b = await time(input, { forceRaw: true });
        routedMs.push(a.ms);
        rawMs.push(b.ms);
        same &&= JSON.stringify(a.rows) === JSON.stringify(b.rows);
        buckets = a.rows.length;
      }
      const speedUp = median(rawMs) / median(routedMs);
      print(
        `| ${name} | ${segments} | ${buckets} | ${median(routedMs).toFixed(1)} | ${median(rawMs).toFixed(1)} | ` +
          `**${speedUp.toFixed(1)}×** | ${same ? 'yes' : 'NO'} |`,
      );
    }
    print('');
    const client = await owner.connect();
    try {
      // Rolled back: EXPLAIN ANALYZE runs the delete.
      await client.query('BEGIN');
      const { rows: tenants } = await client.query<{ id: string }>(
        'SELECT id FROM customers ORDER BY id LIMIT 1',
      );
      // The delete app.apply_retention runs for each tenant (sql/0016_tenant_retention).
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
         DELETE FROM public.transactions x WHERE x.customer_id = $1 AND x.time < $2`,
        [tenants[0]?.id, new Date(end - 730 * DAY)],
      );
      print(
        'Retention delete of one tenant’s transactions (cutoff 2 years back: the every-minute case), EXPLAIN ANALYZE:',
      );
      print('');
      print('```');
      for (const row of rows) print(row['QUERY PLAN']);
      print('```');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    await writeFile(
      new URL('./results/native-rollups.md', import.meta.url),
      `${lines.join('\n')}\n`,
    );
  } finally {
    await database.close();
  }
}

await main();
