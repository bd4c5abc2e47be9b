/**
 * Basket benchmark: the demo's data set (two tenants, 6 stores and 40 products each) seeded
 * over one year, then, for its largest tenant over that year, boughtTogether (the product on
 * most receipts, first 10) and receiptSizes (maxUnits 20) as the gateway runs them (its role,
 * the tenant's settings, the security-barrier views), interleaved in the same run with the raw
 * SQL of the same computation as the owner on the tables. The guarantee is under 1 s for each.
 * receiptSummary by store, sellThrough of every pair and productClasses per store are timed
 * beside them. Plain PostgreSQL with DATABASE_URL (a database of its own, seeded by the first
 * run and measured as it is afterwards), embedded TimescaleDB otherwise; figures go to
 * bench/results/baskets.<backend>.md.
 *   createdb -h 127.0.0.1 -U postgres baskets_bench
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/baskets_bench npx tsx bench/baskets.ts [--runs 9]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import sql from 'sql-template-tag';
import { boughtTogether, receiptSizes, receiptSummary } from '../src/baskets/basket-store.js';
import { RequestDb } from '../src/db/request-db.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { productClasses } from '../src/sales/product-classes.js';
import { ROUTE } from '../src/sales/sales-store.js';
import { sellThrough } from '../src/sales/sell-through.js';
import { DEMO_SEED_OPTIONS, seedDatabase } from '../src/seed/index.js';
import { median, openBenchDatabase } from './support.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const runs = Number(args.runs);
const END = new Date('2026-06-01T00:00:00Z');
const YEAR = { from: new Date(END.getTime() - 365 * 86_400_000), to: END };

async function main() {
  const { database } = await openBenchDatabase();
  const owner = database.pool;
  try {
    const seeded = await owner.query(`SELECT FROM customers LIMIT 1`);
    if (seeded.rowCount === 0) {
      await seedDatabase(owner, database.backend, {
        ...DEMO_SEED_OPTIONS,
        days: 365,
        endDate: END,
      });
      await refreshSalesRollups(owner, database.backend, null, null);
    }
    const largest = await owner.query<{ customerId: string; lines: string; receipts: string }>(
      `SELECT customer_id AS "customerId", count(*)::text AS lines,
              count(DISTINCT (store_id, receipt_id))::text AS receipts
       FROM transactions WHERE time >= $1 AND time < $2
       GROUP BY customer_id ORDER BY count(*) DESC LIMIT 1`,
      [YEAR.from, YEAR.to],
    );
    const tenant = largest.rows[0];
    if (!tenant) throw new Error('no seeded tenant');
    const top = await owner.query<{ productId: string; sku: string }>(
      `SELECT t.product_id AS "productId", min(p.sku) AS sku
       FROM transactions t JOIN products p ON p.customer_id = t.customer_id AND p.id = t.product_id
       WHERE t.customer_id = $1 AND t.time >= $2 AND t.time < $3 AND t.quantity > 0
       GROUP BY t.product_id ORDER BY count(DISTINCT (t.store_id, t.receipt_id)) DESC, 2 LIMIT 1`,
      [tenant.customerId, YEAR.from, YEAR.to],
    );
    const anchor = top.rows[0];
    if (!anchor) throw new Error('no product sold');

    const gateway = async (work: (db: RequestDb) => Promise<unknown>) => {
      const db = new RequestDb(owner, {
        customerId: tenant.customerId,
        role: 'analyst',
        storeIds: null,
        statementTimeoutMs: 600_000,
      });
      const started = performance.now();
      try {
        const answer = await work(db);
        return { ms: performance.now() - started, answer };
      } finally {
        await db.finish('rollback');
      }
    };
    const rawly = async (statement: ReturnType<typeof sql>) => {
      const started = performance.now();
      const { rows } = await owner.query(statement.text, statement.values);
      return { ms: performance.now() - started, answer: rows };
    };

    const c = tenant.customerId;
    const rawTogether = sql`/* raw boughtTogether */
      WITH baskets AS MATERIALIZED (
        SELECT array_agg(DISTINCT t.product_id) AS ps FROM transactions t
        WHERE t.customer_id = ${c}::uuid AND t.time >= ${YEAR.from}::timestamptz
          AND t.time < ${YEAR.to}::timestamptz AND t.receipt_id IS NOT NULL AND t.quantity > 0
        GROUP BY t.store_id, t.receipt_id
      ), counts AS (
        SELECT count(*) AS n, count(*) FILTER (WHERE ${anchor.productId}::uuid = ANY (ps)) AS a
        FROM baskets
      ), together AS (
        SELECT q AS product_id, count(*) AS k FROM baskets b, unnest(b.ps) q
        WHERE ${anchor.productId}::uuid = ANY (b.ps) AND q <> ${anchor.productId}::uuid GROUP BY q
      ), ranked AS (
        SELECT t.product_id, t.k, p.sku FROM together t
        JOIN products p ON p.customer_id = ${c}::uuid AND p.id = t.product_id
        ORDER BY t.k DESC, p.sku LIMIT 10
      ), alone AS (
        SELECT q AS product_id, count(*) AS b FROM baskets b, unnest(b.ps) q
        WHERE q IN (SELECT product_id FROM ranked) GROUP BY q
      )
      SELECT r.sku, r.k, l.b, round(r.k::numeric / c.n, 6) AS support,
             round(r.k::numeric / c.a, 6) AS confidence,
             round((r.k * c.n)::numeric / (c.a * l.b), 6) AS lift
      FROM ranked r JOIN alone l USING (product_id) CROSS JOIN counts c
      ORDER BY r.k DESC, r.sku`;
    const rawSizes = sql`/* raw receiptSizes */
      SELECT least(s.units, 21) AS units, count(*) AS receipts, sum(s.units) AS total
      FROM (SELECT sum(t.quantity) AS units FROM transactions t
            WHERE t.customer_id = ${c}::uuid AND t.time >= ${YEAR.from}::timestamptz
              AND t.time < ${YEAR.to}::timestamptz AND t.receipt_id IS NOT NULL AND t.quantity > 0
            GROUP BY t.store_id, t.receipt_id) s
      GROUP BY 1 ORDER BY 1`;

    const cases = {
      boughtTogether: () =>
        gateway((db) =>
          boughtTogether(db, {
            range: YEAR,
            storeIds: null,
            productId: anchor.productId,
            first: 10,
          }),
        ),
      'raw boughtTogether': () => rawly(rawTogether),
      receiptSizes: () =>
        gateway((db) => receiptSizes(db, { range: YEAR, storeIds: null, maxUnits: 20 })),
      'raw receiptSizes': () => rawly(rawSizes),
      'receiptSummary by STORE': () =>
        gateway((db) =>
          receiptSummary(db, {
            range: YEAR,
            group: 'store',
            filters: { storeIds: null, productIds: null },
          }),
        ),
      'sellThrough (every pair)': () =>
        gateway((db) => sellThrough(db, { range: YEAR, storeIds: null, productIds: null }, ROUTE)),
      'productClasses REVENUE per store': () =>
        gateway((db) =>
          productClasses(
            db,
            {
              range: YEAR,
              by: 'revenue',
              thresholds: [0.8, 0.95],
              perStore: true,
              filters: { storeIds: null, productIds: null, categories: null },
            },
            ROUTE,
          ),
        ),
    };
    const names = Object.keys(cases) as (keyof typeof cases)[];
    const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<
      keyof typeof cases,
      number[]
    >;
    for (const name of names) await cases[name]();
    for (let i = 0; i < runs; i += 1) {
      for (const name of names) times[name].push((await cases[name]()).ms);
    }
    const ratio = (a: keyof typeof cases, b: keyof typeof cases) =>
      (median(times[a]) / median(times[b])).toFixed(2);
    const load = (await import('node:os')).loadavg()[0]?.toFixed(1);
    const report = [
      `# Basket benchmark (bench/baskets.ts)`,
      ``,
      `${new Date().toISOString()}; load average ${load} at the end.`,
      ``,
      `- backend: ${database.backend}${database.embedded ? ' (embedded PGlite + TimescaleDB)' : ' (PostgreSQL server)'}`,
      `- data: the demo (2 tenants × 6 stores × 40 products) seeded over 365 days ending ${END.toISOString()}; the largest tenant has ${tenant.lines} sale lines on ${tenant.receipts} receipts in the year`,
      `- boughtTogether anchor: ${anchor.sku} (the product on most receipts), first 10; receiptSizes maxUnits 20; range: the whole year`,
      ``,
      `| statement | median ms (${runs} runs) | runs ms |`,
      `|---|---|---|`,
      ...names.map(
        (n) =>
          `| ${n} | ${median(times[n]).toFixed(1)} | ${times[n].map((m) => m.toFixed(0)).join(', ')} |`,
      ),
      ``,
      `Same run, gateway ÷ raw SQL of the same computation: boughtTogether **${ratio('boughtTogether', 'raw boughtTogether')}×**, receiptSizes **${ratio('receiptSizes', 'raw receiptSizes')}×**. Guarantee: each under 1 000 ms.`,
      ``,
    ].join('\n');
    process.stdout.write(report);
    await writeFile(new URL(`./results/baskets.${database.backend}.md`, import.meta.url), report);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
