/**
 * Latest-inventory benchmark, on both backends: the SQL strategy the gateway uses for
 * latestInventory (a LATERAL primary-key probe per store/product pair) against DISTINCT ON over
 * the snapshots (the baseline), measured in the same run on the same data; and the statement counts and
 * latency of a page of N stores with their inventory and open alerts (N = 1, 10, 100).
 *
 * Run: npx tsx bench/inventory-latest.ts
 */
import { performance } from 'node:perf_hooks';
import { BACKENDS, type BackendKind } from '../test/support/backends.js';
import { startTestGateway, type TestGateway } from '../test/support/gateway.js';

const STORES = 100;
const PRODUCTS = 200;
const SNAPSHOTS_PER_PAIR = 15;
const RUNS = 15;
const CUSTOMER = '0000000c-0000-4000-8000-000000000000';

async function seed(gw: TestGateway): Promise<void> {
  const q = (text: string) => gw.owner.query(text, [CUSTOMER]);
  await q(`INSERT INTO customers (id, name) VALUES ($1, 'Bench')`);
  await q(`INSERT INTO stores (customer_id, id, code, name, region)
           SELECT $1, ('00000003-0000-4000-8000-' || lpad(to_hex(s), 12, '0'))::uuid, 'S' || s, 'Store ' || s, 'North'
           FROM generate_series(1, ${STORES}) s`);
  await q(`INSERT INTO products (customer_id, id, sku, name, category, unit_price)
           SELECT $1, ('00000004-0000-4000-8000-' || lpad(to_hex(p), 12, '0'))::uuid, 'P' || p, 'Product ' || p, 'C', 1
           FROM generate_series(1, ${PRODUCTS}) p`);
  await q(`INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
           SELECT $1, s.id, p.id, now() - make_interval(hours => k * 7), 10 + k, 0
           FROM stores s, products p, generate_series(1, ${SNAPSHOTS_PER_PAIR}) k
           WHERE s.customer_id = $1 AND p.customer_id = $1`);
  await q(`INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
           SELECT $1, gen_random_uuid(), now() - make_interval(days => d), s.id, p.id, 1 + (d % 3), 1, 1 + (d % 3)
           FROM stores s, products p, generate_series(0, 6) d
           WHERE s.customer_id = $1 AND p.customer_id = $1 AND (d + length(p.sku)) % 2 = 0`);
  await q(`INSERT INTO alerts (customer_id, store_id, product_id, type, severity, message)
           SELECT $1, s.id, p.id, 'LOW_STOCK', 'WARNING', 'low'
           FROM stores s, products p WHERE s.customer_id = $1 AND p.customer_id = $1 AND p.sku IN ('P1', 'P2', 'P3')`);
  await gw.owner.query('ANALYZE');
}

async function timeOwner(gw: TestGateway, text: string): Promise<number> {
  await gw.owner.query(text, [CUSTOMER]);
  const start = performance.now();
  for (let i = 0; i < RUNS; i += 1) await gw.owner.query(text, [CUSTOMER]);
  return (performance.now() - start) / RUNS;
}

async function timeGraphql(gw: TestGateway, query: string, variables: Record<string, unknown>) {
  const token = await gw.token(CUSTOMER);
  const first = await gw.graphql(query, variables, token);
  if (first.errors) throw new Error(JSON.stringify(first.errors));
  const start = performance.now();
  for (let i = 0; i < RUNS; i += 1) await gw.graphql(query, variables, token);
  return {
    ms: (performance.now() - start) / RUNS,
    statements: Number(first.extensions?.sqlStatements),
  };
}

const DISTINCT_ON = `/* latestDistinctOn */
  SELECT * FROM (
    SELECT DISTINCT ON (l.store_id, l.product_id) l.store_id, l.product_id, l.time, l.available
    FROM inventory_levels l WHERE l.customer_id = $1
    ORDER BY l.store_id, l.product_id, l.time DESC) l
  ORDER BY l.store_id, l.product_id LIMIT 501`;
const LATERAL = `/* latestLateral */
  SELECT s.id, p.id, l.time, l.available
  FROM stores s CROSS JOIN products p
  CROSS JOIN LATERAL (
    SELECT i.time, i.available FROM inventory_levels i
    WHERE i.customer_id = $1 AND i.store_id = s.id AND i.product_id = p.id
    ORDER BY i.time DESC LIMIT 1) l
  WHERE s.customer_id = $1 AND p.customer_id = $1
  ORDER BY s.id, p.id LIMIT 501`;
const STORE_PAGE = `query($n: Int!) { stores(first: $n) { edges { node { id
  inventory(first: 3) { available daysOfCover store { code } product { sku } }
  openAlerts(first: 5) { id store { code } product { sku } } } } } }`;

async function run(kind: BackendKind): Promise<string[]> {
  const gw = await startTestGateway(kind);
  try {
    await seed(gw);
    const lines = [
      `### ${kind} (${STORES} stores × ${PRODUCTS} products × ${SNAPSHOTS_PER_PAIR} snapshots = ${STORES * PRODUCTS * SNAPSHOTS_PER_PAIR} rows)`,
      '',
    ];
    const distinctOn = await timeOwner(gw, DISTINCT_ON);
    const lateral = await timeOwner(gw, LATERAL);
    lines.push(
      '| first page of 501 latest positions (SQL only) | ms | vs DISTINCT ON baseline |',
      '|---|---|---|',
      `| DISTINCT ON (store, product) ORDER BY time DESC (baseline) | ${distinctOn.toFixed(2)} | 1.00 |`,
      `| stores × products, LATERAL latest snapshot LIMIT 1 (used) | ${lateral.toFixed(2)} | ${(lateral / distinctOn).toFixed(3)} |`,
      '',
    );
    lines.push('| GraphQL request | statements | ms | ms vs N = 1 |', '|---|---|---|---|');
    let base = 0;
    for (const n of [1, 10, 100]) {
      const r = await timeGraphql(gw, STORE_PAGE, { n });
      base ||= r.ms;
      lines.push(
        `| stores(first: ${n}) { inventory(first: 3) openAlerts(first: 5) } | ${r.statements} | ${r.ms.toFixed(1)} | ${(r.ms / base).toFixed(2)} |`,
      );
    }
    const latest = await timeGraphql(
      gw,
      `query { latestInventory(first: 300) { edges { node { available daysOfCover store { code } product { sku } } } } }`,
      {},
    );
    lines.push(
      `| latestInventory(first: 300) with daysOfCover, store, product | ${latest.statements} | ${latest.ms.toFixed(1)} | |`,
      '',
    );
    return lines;
  } finally {
    await gw.close();
  }
}

const output = [
  `# inventory-latest benchmark (${new Date().toISOString()}, ${RUNS} runs each)`,
  '',
];
process.stdout.write(`${output.join('\n')}\n`);
for (const kind of BACKENDS) process.stdout.write(`${(await run(kind)).join('\n')}\n`);
