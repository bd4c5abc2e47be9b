import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRetentionPolicies } from '../src/db/rollups.js';
import { variantOf, WITH_SERVER } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { centsText, insertSales, insertTenants, salesTenant } from './support/sales-data.js';
import type { SaleRow } from './support/sales-data.js';
import { planNodes, type PlanNode } from './support/sales-plans.js';

// Retention prunes the sale lines' idempotency keys with the lines: a key older than the
// horizon can never decide a duplicate again (ingest refuses lines that old), while every line
// still stored keeps its key, so a re-sent id of it stays a duplicate or a CONFLICT.

const DAY = 86_400_000;
const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;
// The statement app.apply_retention runs for each tenant's keys (sql/0016_tenant_retention).
const KEY_DELETE = `DELETE FROM public.sale_keys x WHERE x.customer_id = $1 AND x.time < $2`;

describe.each(WITH_SERVER)('sale keys under retention on %s', (kind) => {
  let gw: TestGateway;
  const t = salesTenant(0x5a, 'Keys', 2);
  // A tenant with many keys and no lines: enough rows for the planner to choose by cost.
  const bulk = salesTenant(0x5b, 'Bulk', 1);
  const now = Date.now();
  const sale = (n: number, ageDays: number): SaleRow => ({
    customerId: t.customerId,
    transactionId: uuid(0x5a0, n),
    time: now - ageDays * DAY,
    storeId: uuid(1, 1 + (n % 2)),
    productId: uuid(2, 1 + (n % 4)),
    quantity: n,
    priceCents: 199n,
  });
  const sales = [sale(1, 90), sale(2, 45), sale(3, 33), sale(4, 31.5), sale(5, 10), sale(6, 2)];
  const asInput = (s: SaleRow) => ({
    transactionId: s.transactionId,
    time: new Date(s.time).toISOString(),
    storeId: s.storeId,
    productId: s.productId,
    quantity: s.quantity,
    unitPrice: centsText(s.priceCents),
  });

  const keys = async (customerId = t.customerId) =>
    (
      await gw.owner.query<{ id: string }>(
        `SELECT transaction_id::text AS id FROM sale_keys WHERE customer_id = $1 ORDER BY 1`,
        [customerId],
      )
    ).rows.map((r) => r.id);
  const lines = async () =>
    (
      await gw.owner.query<{ id: string }>(
        `SELECT transaction_id::text AS id FROM transactions WHERE customer_id = $1 ORDER BY 1`,
        [t.customerId],
      )
    ).rows.map((r) => r.id);

  beforeAll(async () => {
    gw = await startTestGateway(kind, { RETENTION: '30 days' });
    await insertTenants(gw.owner, [t, bulk]);
    await insertSales(gw.owner, sales);
    await gw.owner.query(
      `INSERT INTO sale_keys (customer_id, transaction_id, time, content)
       SELECT $1, gen_random_uuid(), now() - i * interval '1 hour', gen_random_uuid()
       FROM generate_series(1, 20000) i`,
      [bulk.customerId],
    );
    await gw.database.runMaintenance();
  }, 120_000);
  afterAll(() => gw?.close());

  it('deletes the keys older than the horizon and keeps the key of every line still stored', async () => {
    const kept = await keys();
    const ids = (rows: SaleRow[]) => rows.map((s) => s.transactionId);
    expect(kept).not.toEqual(expect.arrayContaining(ids([sale(1, 90), sale(2, 45)])));
    expect(kept).toEqual(expect.arrayContaining(ids([sale(5, 10), sale(6, 2)])));
    // Lines and keys go at the tenant's one cutoff: drop_chunks takes only whole chunks older
    // than every tenant's cutoff, and the rest of the tenant's old lines are deleted as rows.
    expect(kept).toEqual(await lines());
    expect(kept).toEqual(ids([sale(5, 10), sale(6, 2)]).sort());
    const { rows } = await gw.owner.query<{ oldest: Date }>(
      `SELECT min(time) AS oldest FROM sale_keys WHERE customer_id = $1`,
      [bulk.customerId],
    );
    expect(rows[0]?.oldest.getTime()).toBeGreaterThan(now - 38 * DAY);
    expect((await keys(bulk.customerId)).length).toBeLessThan(38 * 24);
  });

  it('a re-sent recent line is still a duplicate, or a CONFLICT with other content', async () => {
    const admin = await gw.token(t.customerId, 'admin');
    const recent = sale(6, 2);
    const same = await gw.graphql(RECORD, { s: [asInput(recent)] }, admin);
    expect(same.errors).toBeUndefined();
    expect(same.data).toEqual({ recordSales: { accepted: 0, duplicates: 1 } });
    const other = await gw.graphql(RECORD, { s: [{ ...asInput(recent), quantity: 99 }] }, admin);
    expect(other.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    // A pruned key's line is older than the horizon: refused before any key is consulted.
    const old = await gw.graphql(RECORD, { s: [asInput(sale(2, 45))] }, admin);
    expect(old.errors?.[0]?.message).toMatch(/older than the retention horizon/);
    expect(await keys()).toEqual(await lines());
  });

  it('prunes by a range of the (customer_id, time) index, never a scan of sale_keys', async () => {
    await gw.owner.query('ANALYZE sale_keys');
    const client = await gw.owner.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
        `EXPLAIN (FORMAT JSON) ${KEY_DELETE}`,
        [bulk.customerId, new Date(now - 30 * DAY)],
      );
      const nodes = planNodes(rows[0]?.['QUERY PLAN'][0]?.Plan ?? {});
      expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
      expect(nodes.some((n) => n['Index Name'] === 'sale_keys_customer_time_idx')).toBe(true);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it.runIf(variantOf(kind) === 'timescale')(
    'registers one per-tenant retention job, and no per-hypertable policy, where TimescaleDB runs retention',
    async () => {
      const jobs = async () =>
        (
          await gw.owner.query<{ proc: string; config: { retention: string } | null }>(
            `SELECT proc_name AS proc, config FROM timescaledb_information.jobs
             WHERE proc_name IN ('retention_job', 'policy_retention') ORDER BY 1`,
          )
        ).rows;
      await ensureRetentionPolicies(gw.owner, '40 days');
      await ensureRetentionPolicies(gw.owner, '30 days');
      expect(await jobs()).toEqual([{ proc: 'retention_job', config: { retention: '30 days' } }]);
    },
  );
});
