/**
 * The Citus cluster against plain PostgreSQL, same run, same data: the single-tenant salesTrend
 * (90-day DAY trend by store, as the gateway routes it), a page of latestInventory (each
 * position's newest snapshot, its reorder point) and ingest (recordSales' statement in
 * batches), each as the gateway runs it (RequestDb, tenant context, its role), runs alternated;
 * and the tasks each statement takes on the cluster (EXPLAIN: 1 = routed to one shard). The
 * cluster's workers share this machine's cores: the point is routing and correctness.
 *   CITUS_URL=… npx tsx bench/citus.ts [--runs 7] [--days 90] [--batch 1000]
 * Scratch databases on both servers, dropped at the end. Figures go to bench/results/citus.md.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Sql } from 'sql-template-tag';
import sql from 'sql-template-tag';
import { migrateUp } from '../src/db/migrate.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { RequestDb } from '../src/db/request-db.js';
import { latestInventorySql, listLatestInventory } from '../src/inventory/inventory-store.js';
import { insertSales, type SaleInput } from '../src/sales/ingest.js';
import { ROUTE, salesTrend, trendStatement } from '../src/sales/sales-store.js';
import { seedDatabase, type SeedResult } from '../src/seed/index.js';
import {
  CITUS_SERVER_URL,
  createScratchDatabase,
  SERVER_URL,
  type ScratchDatabase,
} from '../test/support/backends.js';
import { median } from './support.js';
import { storeDayTrend } from '../test/support/trend-input.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    days: { type: 'string', default: '90' },
    batch: { type: 'string', default: '1000' },
  },
});
const runs = Number(args.runs);
const days = Number(args.days);
const batch = Number(args.batch);
const DAY = 86_400_000;
const END = new Date(Math.floor(Date.now() / DAY) * DAY);

interface Side {
  name: 'plain PostgreSQL' | 'Citus';
  scratch: ScratchDatabase;
  pool: Pool;
  seed: SeedResult;
}

async function open(name: Side['name'], server: string): Promise<Side> {
  const scratch = await createScratchDatabase(server);
  const pool = createPool(scratch.url, 4);
  pool.on('error', () => undefined);
  await migrateUp(pool, { timescaledb: 'off' });
  const seed = await seedDatabase(pool, name === 'Citus' ? 'citus' : 'native', {
    tenants: 2,
    storesPerTenant: 10,
    productsPerTenant: 50,
    days,
    seed: 23,
    endDate: END,
  });
  return { name, scratch, pool, seed };
}

/** Runs `work` as the gateway would for the side's first tenant, then rolls back or commits. */
async function asGateway<T>(
  side: Side,
  outcome: 'commit' | 'rollback',
  work: (db: RequestDb) => Promise<T>,
): Promise<T> {
  const tenant = side.seed.tenants[0];
  if (!tenant) throw new Error('the seed made no tenant');
  const db = new RequestDb(side.pool, {
    customerId: tenant.customerId,
    role: 'admin',
    storeIds: null,
    statementTimeoutMs: 600_000,
  });
  try {
    return await work(db);
  } finally {
    await db.finish(outcome);
  }
}

/** The tasks of each distributed step of a statement's plan on the cluster. */
async function tasks(side: Side, statement: Sql): Promise<number[]> {
  const plan = await asGateway(side, 'rollback', (db) =>
    db.query<{ 'QUERY PLAN': string }>(sql`EXPLAIN ${statement}`),
  );
  return taskCounts(plan);
}

function taskCounts(plan: { 'QUERY PLAN': string }[]): number[] {
  return plan.flatMap((r) =>
    [...r['QUERY PLAN'].matchAll(/Task Count: (\d+)/g)].map((m) => Number(m[1])),
  );
}

async function main() {
  if (!CITUS_SERVER_URL) throw new Error('set CITUS_URL (scripts/citus-server start prints it)');
  const lines: string[] = [];
  const print = (line = '') => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  const sides: Side[] = [];
  try {
    sides.push(await open('plain PostgreSQL', SERVER_URL));
    sides.push(await open('Citus', CITUS_SERVER_URL));
    const [plain, citus] = sides as [Side, Side];
    const trend = storeDayTrend({ from: new Date(END.getTime() - 90 * DAY), to: END });
    const trendMs = new Map<string, number[]>();
    const answers = new Map<string, string>();
    for (let run = 0; run <= runs; run += 1) {
      for (const side of sides) {
        const started = performance.now();
        const rows = await asGateway(side, 'rollback', (db) => salesTrend(db, trend, ROUTE));
        const ms = performance.now() - started;
        if (run === 0) answers.set(side.name, JSON.stringify(rows));
        else trendMs.set(side.name, [...(trendMs.get(side.name) ?? []), ms]);
      }
    }
    const page = {
      limit: 100,
      after: null,
      storeIds: null,
      productIds: null,
      belowReorderPoint: null,
    };
    const latestMs = new Map<string, number[]>();
    for (let run = 0; run <= runs; run += 1) {
      for (const side of sides) {
        const started = performance.now();
        const rows = await asGateway(side, 'rollback', (db) => listLatestInventory(db, page));
        const ms = performance.now() - started;
        if (run === 0) answers.set(`${side.name} latest`, JSON.stringify(rows));
        else latestMs.set(side.name, [...(latestMs.get(side.name) ?? []), ms]);
      }
    }
    // Ingest: fresh lines of the tenant's stores and products, one batch per statement.
    const ingestMs = new Map<string, number[]>();
    let serial = 0;
    const lines0 = (side: Side): SaleInput[] => {
      const tenant = side.seed.tenants[0];
      if (!tenant) throw new Error('the seed made no tenant');
      return Array.from({ length: batch }, (_, i) => {
        serial += 1;
        const hex = serial.toString(16).padStart(12, '0');
        return {
          transactionId: `c1705000-0000-4000-8000-${hex}`,
          time: new Date(END.getTime() - DAY + (i % 86_400) * 1000),
          storeId: tenant.storeIds[i % tenant.storeIds.length] ?? '',
          productId: tenant.productIds[i % tenant.productIds.length] ?? '',
          quantity: 1 + (i % 5),
          unitPrice: '2.50',
        };
      });
    };
    for (let run = 0; run <= runs; run += 1) {
      for (const side of sides) {
        const sales = lines0(side);
        const started = performance.now();
        const outcome = await asGateway(side, 'commit', (db) => insertSales(db, sales));
        const ms = performance.now() - started;
        if (outcome.accepted !== batch)
          throw new Error(`${side.name}: ${outcome.accepted} accepted`);
        if (run > 0) ingestMs.set(side.name, [...(ingestMs.get(side.name) ?? []), ms]);
      }
    }
    const trendTasks = await tasks(
      citus,
      trendStatement(
        {
          ...trend,
          filters: { ...trend.filters, tenant: citus.seed.tenants[0]?.customerId ?? '' },
        },
        ROUTE,
      ),
    );
    const ingestTasks = await asGateway(citus, 'rollback', async (db) => {
      const recorded: Sql[] = [];
      const spy = new Proxy(db, {
        get(target, key, receiver) {
          if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
          return (statement: Sql) => {
            recorded.push(statement);
            return target.query(statement);
          };
        },
      });
      await insertSales(spy, lines0(citus));
      const first = recorded[0];
      if (!first) throw new Error('insertSales sent no statement');
      return taskCounts(await db.query<{ 'QUERY PLAN': string }>(sql`EXPLAIN ${first}`));
    });
    const latestTasks = await tasks(
      citus,
      latestInventorySql({ ...page, customerId: citus.seed.tenants[0]?.customerId ?? '' }),
    );
    const same = answers.get(plain.name) === answers.get(citus.name);
    const sameLatest = answers.get(`${plain.name} latest`) === answers.get(`${citus.name} latest`);
    const row = (what: string, ms: Map<string, number[]>, taskCounts: number[]) => {
      const p = median(ms.get(plain.name) ?? []);
      const c = median(ms.get(citus.name) ?? []);
      print(
        `| ${what} | ${p.toFixed(1)} | ${c.toFixed(1)} | **${(c / p).toFixed(2)}×** | ${taskCounts.join(', ')} |`,
      );
    };
    print('# The Citus cluster against plain PostgreSQL (bench/citus.ts)');
    print('');
    print(
      `- data: \`seedDatabase\` with 2 tenants × 10 stores × 50 products × ${days} days on both: ` +
        `${plain.seed.transactions} sale lines on plain PostgreSQL, ${citus.seed.transactions} on Citus ` +
        `(the same generator and seed)`,
    );
    print(
      '- plain PostgreSQL: the shared local server (PostgreSQL 15); Citus 13.2.2: a coordinator and two ' +
        'workers on this machine (scripts/citus-server), 32 shards per table, every node sharing the two cores',
    );
    print(
      `- each run as the gateway runs it (RequestDb: its role, the tenant context), ${runs} runs per ` +
        `side after one warm-up, alternated; ingest commits ${batch} new lines per statement ` +
        `(recordSales' INSERT of sale keys and lines) (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    );
    print(`- the trend's answers are the same on both: ${same ? 'yes' : 'NO'}`);
    print(`- the latest positions are the same on both: ${sameLatest ? 'yes' : 'NO'}`);
    print('');
    print(
      '| statement | plain PostgreSQL median ms | Citus median ms | Citus ÷ plain | tasks per step on Citus |',
    );
    print('| --- | --- | --- | --- | --- |');
    row('90-day DAY trend by store, one tenant (per-store daily rollup)', trendMs, trendTasks);
    row(
      `latestInventory, a page of ${page.limit} positions with reorder points`,
      latestMs,
      latestTasks,
    );
    row(`ingest of ${batch} lines, one statement`, ingestMs, ingestTasks);
    await writeFile(new URL('results/citus.md', import.meta.url), `${lines.join('\n')}\n`);
  } finally {
    for (const side of sides) {
      await side.pool.end();
      await side.scratch.drop();
    }
  }
}

await main();
