import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRowsBefore } from '../src/db/archive.js';
import { latestInventorySql } from '../src/inventory/inventory-store.js';
import type { PoolClient } from '../src/db/pool.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { DAY_MS, todayStartMs } from './support/inventory-fixtures.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** The plan as indented lines: node, direction, index; chunk names normalised. */
function outline(node: PlanNode, depth = 0): string[] {
  const chunk = (name: string) =>
    name.replace(/_hyper_\d+_\d+_chunk/g, '<chunk>').replace(/^\d+_\d+_/, '<chunk>_');
  const parts = [
    node['Node Type'],
    node['Scan Direction'] && node['Scan Direction'] !== 'NoMovement' ? node['Scan Direction'] : '',
    node['Index Name'] ? `using ${chunk(node['Index Name'])}` : '',
    node['Relation Name'] ? `on ${chunk(node['Relation Name'])}` : '',
    node['Actual Loops'] === 0 ? '(never executed)' : `(rows=${node['Actual Rows']})`,
  ];
  return [
    `${'  '.repeat(depth)}${parts.filter(Boolean).join(' ')}`,
    ...(node.Plans ?? []).flatMap((child) => outline(child, depth + 1)),
  ];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

describe.each(BACKENDS)('latest snapshot per position on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();
  const [store] = a.stores;
  const [product] = a.products;
  if (!store || !product) throw new Error('the twin tenants have no store or product');
  const DAYS = 120;

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    for (const t of [a, b]) {
      await insertTenant(gw.owner, t);
      // A catalog of 99 positions (3 stores, 33 products), so that a position's key probe is
      // cheaper than reading the chunk's time index: with the fixture's few positions the
      // planner took either on TimescaleDB, by the day's place in the chunks.
      await gw.owner.query(
        `INSERT INTO products (customer_id, id, sku, name, category, unit_price)
         SELECT $1, ('00000009-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
                'EXTRA-' || n, 'Extra ' || n, 'Dairy', 1.00
         FROM generate_series(1, 29) n`,
        [t.customerId],
      );
      // A long daily history for every position of both tenants.
      await gw.owner.query(
        `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
         SELECT $1, s.id, p.id, to_timestamp($2::float8 / 1000) - make_interval(days => d), d % 50, 0
         FROM stores s, products p, generate_series(0, $3 - 1) d
         WHERE s.customer_id = $1 AND p.customer_id = $1`,
        [t.customerId, todayStartMs(), DAYS],
      );
    }
    if (kind === 'timescale') {
      await archiveRowsBefore(gw.owner, new Date(todayStartMs() - 60 * DAY_MS));
    }
    await gw.owner.query('ANALYZE');
  }, 240_000);
  afterAll(() => gw?.close());

  /**
   * EXPLAIN ANALYZE of latestInventory's page statement as the gateway's role under tenant A's
   * context: the views are expanded in the plan, so it shows how each position is read.
   */
  async function pagePlan(client: PoolClient): Promise<PlanNode> {
    const statement = latestInventorySql({
      customerId: a.customerId,
      limit: 5,
      after: null,
      storeIds: null,
      productIds: null,
      belowReorderPoint: null,
    });
    await client.query('BEGIN');
    try {
      await client.query(
        `SELECT set_config('role', 'shelfops_gateway', true), set_config('app.customer_id', $1, true),
                set_config('app.store_ids', '*', true), set_config('app.role', 'admin', true)`,
        [a.customerId],
      );
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ${statement.text}`,
        statement.values,
      );
      const root = rows[0]?.['QUERY PLAN'][0].Plan;
      if (!root) throw new Error('no plan');
      return root;
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it('reads each position by a backward primary-key probe of one row: no sort, whatever the history', async () => {
    const client = await gw.owner.connect();
    try {
      const plan = await pagePlan(client);
      // On TimescaleDB the plan lists one scan per chunk, and how many chunks the history spans
      // depends on the day the test runs: the plain server's plan is kept whole for review.
      if (kind === 'postgres') {
        await expect(`${outline(plan).join('\n')}\n`).toMatchFileSnapshot(
          '__snapshots__/inventory-sql/latest-inventory.native.plan',
        );
      }
      const nodes = flatten(plan).filter((n) => n['Actual Loops'] !== 0);
      // Every snapshot read stops at one row: a backward probe of a primary key, or, in the
      // newest chunk of a hypertable (a week at most, whatever the history), its time index,
      // which the planner may take while that chunk holds a few rows per position.
      const reads = nodes.filter((n) =>
        /inventory_levels_(pkey|time_idx)$/.test(n['Index Name'] ?? ''),
      );
      // The older chunks, planned even where the newest answered, are probed by their keys.
      const probes = flatten(plan).filter((n) =>
        n['Index Name']?.endsWith('inventory_levels_pkey'),
      );
      expect(probes.length).toBeGreaterThan(0);
      for (const probe of probes) expect(probe['Scan Direction']).toBe('Backward');
      for (const read of reads) expect(read['Actual Rows']).toBeLessThanOrEqual(1);
      if (kind === 'postgres') expect(reads.every((n) => probes.includes(n))).toBe(true);
      // No sort above any of them: the index order answers each position's LIMIT 1.
      for (const sort of nodes.filter((n) => n['Node Type'] === 'Sort')) {
        const below = flatten(sort).map((n) => n['Relation Name'] ?? '');
        expect(below.filter((r) => r.includes('inventory_levels') || r.includes('chunk'))).toEqual(
          [],
        );
      }
    } finally {
      client.release();
    }
  });

  it('answers latestInventory with each position’s newest snapshot, and nothing of the other tenant', async () => {
    const { rows: expected } = await gw.owner.query<{ s: string; p: string; t: Date; n: number }>(
      `SELECT DISTINCT ON (store_id, product_id) store_id AS s, product_id AS p, time AS t, on_hand AS n
       FROM inventory_levels WHERE customer_id = $1
       ORDER BY store_id, product_id, time DESC`,
      [a.customerId],
    );
    const token = await gw.token(a.customerId);
    const answer = await gw.graphql<{
      latestInventory: {
        edges: {
          node: {
            store: { id: string };
            product: { id: string };
            observedAt: string;
            onHand: number;
          };
        }[];
      };
    }>(
      `{ latestInventory(first: 100) { edges { node { store { id } product { id } observedAt onHand } } } }`,
      {},
      token,
    );
    expect(answer.errors).toBeUndefined();
    expect(
      answer.data?.latestInventory.edges.map(({ node }) => [
        node.store.id,
        node.product.id,
        node.observedAt,
        node.onHand,
      ]),
    ).toEqual(expected.map((r) => [r.s, r.p, r.t.toISOString(), r.n]));
  });

  it.runIf(kind === 'timescale')(
    'finds the newest archived snapshot when the hot table has none of the position',
    async () => {
      const client = await gw.owner.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `DELETE FROM inventory_levels WHERE customer_id = $1 AND store_id = $2 AND product_id = $3`,
          [a.customerId, store.id, product.id],
        );
        const { rows: archived } = await client.query<{ t: Date }>(
          `SELECT max(time) AS t FROM archive.inventory_levels
         WHERE customer_id = $1 AND store_id = $2 AND product_id = $3`,
          [a.customerId, store.id, product.id],
        );
        await client.query(
          `SELECT set_config('role', 'shelfops_gateway', true), set_config('app.customer_id', $1, true),
                set_config('app.store_ids', '*', true)`,
          [a.customerId],
        );
        const { rows } = await client.query<{ time: Date }>(
          'SELECT time FROM gateway.latest_inventory WHERE store_id = $1 AND product_id = $2',
          [store.id, product.id],
        );
        expect(archived[0]?.t).toBeInstanceOf(Date);
        expect(rows.map((r) => r.time.toISOString())).toEqual([archived[0]?.t.toISOString()]);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    },
  );
});
