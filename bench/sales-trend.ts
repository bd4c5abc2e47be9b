/**
 * salesTrend benchmark: the routed path (daily + hourly rollups, raw edges) against the raw-only
 * path, on the same data in the same run, every measure asked for (the receipt measures too: the
 * lines are rung up on receipts of a store's ten minutes). Embedded TimescaleDB by default, or
 * DATABASE_URL.
 *   npx tsx bench/sales-trend.ts [--rows-per-store-hour 12] [--stores 20] [--days 365] [--runs 7]
 *     [--out sales-trend.md]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readRequestFacts } from '../src/analytics/data-freshness.js';
import { RequestDb } from '../src/db/request-db.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { planTrend, ROUTE, salesTrend } from '../src/sales/sales-store.js';
import { median, openBenchDatabase } from './support.js';
import { storeDayTrend } from '../test/support/trend-input.js';

const { values: args } = parseArgs({
  options: {
    'rows-per-store-hour': { type: 'string', default: '12' },
    stores: { type: 'string', default: '20' },
    days: { type: 'string', default: '365' },
    runs: { type: 'string', default: '7' },
    out: { type: 'string', default: 'sales-trend.md' },
  },
});
const perStoreHour = Number(args['rows-per-store-hour']);
const storeCount = Number(args.stores);
const days = Number(args.days);
const runs = Number(args.runs);

const CUSTOMER = '0000000a-0000-4000-8000-000000000000';
const END = new Date('2026-06-01T00:00:00Z');
const id = (group: number, n: number) =>
  `${group.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const storeIds = Array.from({ length: storeCount }, (_, i) => id(1, i + 1));
const productIds = Array.from({ length: 50 }, (_, i) => id(2, i + 1));

async function main() {
  const { config, database } = await openBenchDatabase();
  const owner = database.pool;
  try {
    await owner.query(`DELETE FROM transactions WHERE customer_id = $1`, [CUSTOMER]);
    await owner.query(`DELETE FROM receipt_openers WHERE customer_id = $1`, [CUSTOMER]);
    await owner.query(`DELETE FROM products WHERE customer_id = $1`, [CUSTOMER]);
    await owner.query(`DELETE FROM stores WHERE customer_id = $1`, [CUSTOMER]);
    await owner.query(`DELETE FROM customers WHERE id = $1`, [CUSTOMER]);
    await owner.query(`INSERT INTO customers (id, name) VALUES ($1, 'Bench')`, [CUSTOMER]);
    await owner.query(
      `INSERT INTO stores (customer_id, id, code, name, region)
       SELECT $1, s, 'S' || n, 'Store ' || n, 'North' FROM unnest($2::uuid[]) WITH ORDINALITY AS u(s, n)`,
      [CUSTOMER, storeIds],
    );
    await owner.query(
      `INSERT INTO products (customer_id, id, sku, name, category, unit_price, cost)
       SELECT $1, p, 'SKU-' || n, 'Product ' || n, CASE WHEN n % 2 = 0 THEN 'Dairy' ELSE 'Bakery' END, 2.50, 1.50
       FROM unnest($2::uuid[]) WITH ORDINALITY AS u(p, n)`,
      [CUSTOMER, productIds],
    );
    let loaded = 0;
    const loadStarted = performance.now();
    for (let d = days; d > 0; d -= 10) {
      const from = new Date(END.getTime() - d * 86_400_000);
      const to = new Date(from.getTime() + Math.min(10, d) * 86_400_000);
      const result = await owner.query(
        `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue, unit_cost, receipt_id)
         SELECT $1::uuid, gen_random_uuid(), v.t, s.id,
                ($3::uuid[])[1 + floor(random() * cardinality($3::uuid[]))::int], q, pr, q * pr, 1.50,
                'R' || floor(extract(epoch FROM v.t) / 600)::bigint
         FROM generate_series($4::timestamptz, $5::timestamptz - interval '1 hour', interval '1 hour') h
         CROSS JOIN unnest($2::uuid[]) AS s(id)
         CROSS JOIN generate_series(1, $6::int) n
         CROSS JOIN LATERAL (SELECT 1 + floor(random() * 5)::int + n * 0 AS q,
                                    round((0.5 + random() * 20)::numeric, 2) AS pr,
                                    h + random() * interval '3599 seconds' AS t) v
         ORDER BY v.t`,
        [CUSTOMER, storeIds, productIds, from.toISOString(), to.toISOString(), perStoreHour],
      );
      loaded += result.rowCount ?? 0;
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const refreshStarted = performance.now();
    await refreshSalesRollups(owner, database.backend, null, null);
    await owner.query('ANALYZE transactions');
    const refreshSeconds = (performance.now() - refreshStarted) / 1000;

    const input = storeDayTrend({
      from: new Date(END.getTime() - 90 * 86_400_000 + 5 * 3_600_000 + 17 * 60_000),
      to: new Date(END.getTime() - 2 * 3_600_000 - 13 * 60_000),
    });
    const run = async (forceRaw: boolean) => {
      const db = new RequestDb(owner, {
        customerId: CUSTOMER,
        role: 'analyst',
        storeIds: null,
        statementTimeoutMs: 600_000,
        answersAsJson: database.embedded !== null,
      });
      // As the gateway answers a query: one snapshot, the request's facts read first.
      db.readsOneSnapshot = true;
      const started = performance.now();
      try {
        await readRequestFacts(db, database.backend);
        const rows = await salesTrend(db, input, forceRaw ? { forceRaw } : ROUTE);
        return { ms: performance.now() - started, rows };
      } finally {
        await db.finish('rollback');
      }
    };
    const routedMs: number[] = [];
    const rawMs: number[] = [];
    const first = [await run(false), await run(true)];
    if (JSON.stringify(first[0]?.rows) !== JSON.stringify(first[1]?.rows)) {
      throw new Error('the routed and the raw-only answers differ');
    }
    for (let i = 0; i < runs; i += 1) {
      routedMs.push((await run(false)).ms);
      rawMs.push((await run(true)).ms);
    }
    const routed = median(routedMs);
    const raw = median(rawMs);
    const segments = planTrend(input, ROUTE)
      .map((s) => `${s.source} [${s.from.toISOString()}, ${s.to.toISOString()})`)
      .join('; ');
    const lines = [
      `# salesTrend benchmark (bench/sales-trend.ts)`,
      ``,
      `- backend: ${database.backend}${database.embedded ? ' (embedded PGlite + TimescaleDB, one connection)' : ` (${config.databaseUrl ?? ''})`}`,
      `- data: ${loaded} transactions, ${storeCount} stores, ${productIds.length} products, ${days} days (loaded in ${loadSeconds.toFixed(1)} s, rollups refreshed in ${refreshSeconds.toFixed(1)} s)`,
      `- query: salesTrend DAY, UTC, grouped by STORE, every measure (receipts, averageReceiptValue, unitsPerReceipt, averageUnitPrice among them), ${input.range.from.toISOString()} → ${input.range.to.toISOString()} (90 days, unaligned edges), ${first[0]?.rows.length ?? 0} buckets, ${first[0]?.rows.reduce((n, r) => n + (r.receipts ?? 0), 0) ?? 0} receipts`,
      `- routed segments: ${segments}`,
      `- answers identical on both paths: yes`,
      ``,
      `| path | median ms (${runs} runs) | runs ms |`,
      `|---|---|---|`,
      `| routed (rollups + raw edges) | ${routed.toFixed(1)} | ${routedMs.map((m) => m.toFixed(0)).join(', ')} |`,
      `| raw transactions only | ${raw.toFixed(1)} | ${rawMs.map((m) => m.toFixed(0)).join(', ')} |`,
      ``,
      `Speed-up of the routed path: **${(raw / routed).toFixed(1)}×** (medians; fastest runs: ${(Math.min(...rawMs) / Math.min(...routedMs)).toFixed(1)}×)`,
      ``,
    ];
    const report = lines.join('\n');
    process.stdout.write(report);
    await writeFile(new URL(`./results/${args.out}`, import.meta.url), report);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
