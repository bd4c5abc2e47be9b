/**
 * Latest-inventory benchmark, on both backends: does a page of latest positions cost the same
 * whatever the history length? Two databases, alike but for their history: daily snapshots of
 * every store/product over 90 days, and over 3 years. Same run, alternated:
 * - the gateway's statements (latestInventory's page, with belowReorderPoint, and a store's
 *   nested inventory) as the gateway's role under each tenant's context;
 * - for reference, the per-pair probe through the security-barrier views the gateway used
 *   before (which sorts every snapshot of each pair);
 * - the GraphQL request latestInventory(first: 100) with store and product names.
 * The figure to read is 3 years ÷ 90 days (goal ≤ 1.2).
 *
 * Run: node --import tsx bench/inventory-latest.ts [--runs 21]
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sql, { type Sql } from 'sql-template-tag';
import { archiveRowsBefore } from '../src/db/archive.js';
import { RequestDb } from '../src/db/request-db.js';
import { listLatestInventory, inventoryByStore } from '../src/inventory/inventory-store.js';
import { LoaderCache } from '../src/loaders.js';
import { BACKENDS, type BackendKind } from '../test/support/backends.js';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '21' } } });
const RUNS = Number(args.runs);
const STORES = 20;
const PRODUCTS = 50;
const PAGE = 100;
const HISTORIES = [
  { label: '90 days', days: 90, customerId: '0000000c-0000-4000-8000-000000000090' },
  { label: '3 years', days: 1095, customerId: '0000000c-0000-4000-8000-000000001095' },
] as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function seed(gw: TestGateway, customerId: string, days: number): Promise<void> {
  const q = (text: string) => gw.owner.query(text, [customerId]);
  await q(`INSERT INTO customers (id, name) VALUES ($1, 'Bench')`);
  await q(`INSERT INTO stores (customer_id, id, code, name, region)
           SELECT $1, gen_random_uuid(), 'S' || s, 'Store ' || s, 'North'
           FROM generate_series(1, ${STORES}) s`);
  await q(`INSERT INTO products (customer_id, id, sku, name, category, unit_price)
           SELECT $1, gen_random_uuid(), 'P' || p, 'Product ' || p, 'C', 1
           FROM generate_series(1, ${PRODUCTS}) p`);
  await q(`INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
           SELECT $1, s.id, p.id, date_trunc('day', now()) - make_interval(days => d),
                  (hashtext(s.code || p.sku || d) & 63), 0
           FROM stores s, products p, generate_series(0, ${days - 1}) d
           WHERE s.customer_id = $1 AND p.customer_id = $1`);
  await q(`INSERT INTO reorder_points (customer_id, store_id, product_id, reorder_point, reorder_quantity, valid_from)
           SELECT $1, s.id, p.id, 20, 40, now() - interval '1 year'
           FROM stores s, products p WHERE s.customer_id = $1 AND p.customer_id = $1`);
}

/** The per-pair probe through the barrier views, as the gateway wrote it before. */
const viewProbe = sql`/* latestInventoryThroughViews */
  SELECT l.store_id, l.product_id, l.time, l.available
  FROM stores s CROSS JOIN products p
  CROSS JOIN LATERAL (
    (SELECT i.store_id, i.product_id, i.time, i.available
     FROM gateway.inventory_levels i
     WHERE i.store_id = s.id AND i.product_id = p.id
       AND i.time >= (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'inventory_levels')
     ORDER BY i.time DESC LIMIT 1)
    UNION ALL
    (SELECT i.store_id, i.product_id, i.time, i.available
     FROM inventory_snapshots i
     WHERE i.store_id = s.id AND i.product_id = p.id
     ORDER BY i.time DESC LIMIT 1)
    LIMIT 1) l
  ORDER BY s.id, p.id
  LIMIT ${PAGE + 1}`;

type Work = (db: RequestDb) => Promise<unknown>;

async function firstStore(gw: TestGateway, customerId: string): Promise<string> {
  const { rows } = await gw.owner.query<{ id: string }>(
    'SELECT id FROM stores WHERE customer_id = $1 ORDER BY id LIMIT 1',
    [customerId],
  );
  if (!rows[0]) throw new Error('no store');
  return rows[0].id;
}

/**
 * A database of its own holding one history, as deployed: on TimescaleDB rows older than
 * COMPRESS_AFTER's default (30 days) moved to the compressed archive, as maintenance does.
 */
async function prepare(kind: BackendKind, history: (typeof HISTORIES)[number]) {
  const gw = await startTestGateway(kind);
  const started = performance.now();
  await seed(gw, history.customerId, history.days);
  if (kind === 'timescale') {
    await archiveRowsBefore(gw.owner, new Date(Date.now() - 30 * 86_400_000));
    await gw.owner.query('SELECT archive.compress()');
  }
  await gw.owner.query('ANALYZE');
  const seconds = (performance.now() - started) / 1000;
  return { gw, seconds, store: await firstStore(gw, history.customerId) };
}

async function run(kind: BackendKind): Promise<string[]> {
  const prepared: Awaited<ReturnType<typeof prepare>>[] = [];
  try {
    for (const h of HISTORIES) prepared.push(await prepare(kind, h));
    const gws = prepared.map((p) => p.gw);
    const stores = prepared.map((p) => p.store);
    const loadSeconds = prepared.reduce((sum, p) => sum + p.seconds, 0);

    const page =
      (belowReorderPoint: boolean | null): Work =>
      (db) =>
        listLatestInventory(db, {
          limit: PAGE,
          after: null,
          storeIds: null,
          productIds: null,
          belowReorderPoint,
        });
    const statements: [string, Work | Sql][] = [
      [`latestInventory(first: ${PAGE}) page (gateway)`, page(null)],
      [`latestInventory(first: ${PAGE}, belowReorderPoint: true) page (gateway)`, page(true)],
    ];

    /** Median ms of `work` as the gateway's role under each history's tenant, alternated. */
    const time = async (work: Work | Sql | 'store') => {
      const samples: number[][] = HISTORIES.map(() => []);
      for (let r = -1; r < RUNS; r += 1) {
        for (const [i, h] of HISTORIES.entries()) {
          const gw = gws[i];
          if (!gw) throw new Error('no database for this history');
          const db = new RequestDb(gw.database.pool, {
            customerId: h.customerId,
            role: 'admin',
            storeIds: null,
            statementTimeoutMs: 600_000,
          });
          const start = performance.now();
          if (work === 'store') {
            const storeId = stores[i] ?? '';
            const context = { db, loaders: new LoaderCache() };
            await inventoryByStore(context).load({
              storeId,
              productIds: null,
              belowReorderPoint: null,
              limit: PRODUCTS,
            });
          } else if (typeof work === 'function') await work(db);
          else await db.query(work);
          const ms = performance.now() - start;
          await db.finish('rollback');
          if (r >= 0) samples[i]?.push(ms);
        }
      }
      return samples.map(median);
    };

    const lines = [
      `### ${kind}`,
      '',
      `${STORES} stores × ${PRODUCTS} products per tenant, one snapshot a day: ${HISTORIES.map((h) => `${h.label} (${STORES * PRODUCTS * h.days} rows)`).join(' and ')}, each in a database of its own${kind === 'timescale' ? ' with rows older than 30 days in the compressed archive (COMPRESS_AFTER’s default, as maintenance leaves them)' : ''}; loaded in ${loadSeconds.toFixed(0)} s. Median of ${RUNS} runs, databases alternated, each run one transaction as the gateway's role.`,
      '',
      `| statement | ${HISTORIES.map((h) => `${h.label} ms`).join(' | ')} | 3 years ÷ 90 days |`,
      '|---|---|---|---|',
    ];
    const row = (name: string, [short, long]: number[]) =>
      `| ${name} | ${short?.toFixed(2)} | ${long?.toFixed(2)} | **${((long ?? 0) / (short ?? 1)).toFixed(2)}** |`;
    for (const [name, work] of statements) lines.push(row(name, await time(work)));
    lines.push(
      row(`Store.inventory(first: ${PRODUCTS}) of one store (gateway)`, await time('store')),
    );

    const query = `{ latestInventory(first: ${PAGE}) { edges { node { available store { name } product { name } } } } }`;
    const http: number[][] = HISTORIES.map(() => []);
    const tokens = await Promise.all(HISTORIES.map((h, i) => gws[i]?.token(h.customerId)));
    for (let r = -1; r < RUNS; r += 1) {
      for (const [i, gw] of gws.entries()) {
        const start = performance.now();
        const answer = await gw.graphql(query, {}, tokens[i]);
        if (answer.errors) throw new Error(JSON.stringify(answer.errors));
        if (r >= 0) http[i]?.push(performance.now() - start);
      }
    }
    lines.push(row(`GraphQL ${query.replace(/\|/g, '\\|')}`, http.map(median)));
    // Last: it reads every snapshot of the long history, which would leave the caches cold
    // for whatever ran after it.
    lines.push(row('through the barrier views (before, reference)', await time(viewProbe)), '');
    return lines;
  } finally {
    for (const p of prepared) await p.gw.close();
  }
}

const output = [
  '# inventory-latest benchmark (bench/inventory-latest.ts)',
  '',
  `${new Date().toISOString()}; \`node --import tsx bench/inventory-latest.ts\` (a scratch database on the local PostgreSQL server, and the embedded TimescaleDB in memory).`,
  '',
];
for (const kind of BACKENDS) output.push(...(await run(kind)));
process.stdout.write(`${output.join('\n')}\n`);
await writeFile(
  new URL('./results/inventory-latest.md', import.meta.url),
  `${output.join('\n')}\n`,
);
