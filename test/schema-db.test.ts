import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { asGateway, openMigratedDatabase, type FoundationDb } from './support/foundation-db.js';

const [a, b] = twinTenants();
const STORE = uuid(1, 1);
const PRODUCT = uuid(2, 1);
const TENANT_TABLES = [
  'customers',
  'stores',
  'products',
  'transactions',
  'inventory_levels',
  'forecasts',
  'reorder_points',
  'alerts',
  'anomalies',
  'sales_hourly',
  'sales_daily',
];
// The gateway holds no grant on a hypertable: it reads them through views.
const HYPERTABLES = ['transactions', 'inventory_levels', 'forecasts'];
const READ_THROUGH: Record<string, string> = {
  transactions: 'sale_lines',
  inventory_levels: 'gateway.inventory_levels',
  forecasts: 'gateway.forecasts',
};
const READABLE = TENANT_TABLES.map((t) => READ_THROUGH[t] ?? t);

describe.each(BACKENDS)('database schema on %s', (kind) => {
  let db: FoundationDb;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    await insertTenant(db.owner, a);
    await insertTenant(db.owner, b);
    for (const tenant of [a, b]) {
      await db.owner.query(
        `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id,
                                   quantity, unit_price, revenue)
         VALUES ($1, gen_random_uuid(), '2025-01-02T10:00:00Z', $2, $3, 2, 1.25, 2.50)`,
        [tenant.customerId, STORE, PRODUCT],
      );
      await db.owner.query(
        `INSERT INTO alerts (customer_id, id, store_id, product_id, type, severity, message)
         VALUES ($1, $4, $2, $3, 'LOW_STOCK', 'WARNING', 'low')`,
        [tenant.customerId, STORE, PRODUCT, uuid(tenant === a ? 0xa1 : 0xb1, 1)],
      );
    }
  });
  afterAll(() => db?.close());

  const insertStock = (onHand: number, allocated: number, time = '2025-01-02T08:00:00Z') =>
    db.owner.query(
      `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING available`,
      [a.customerId, STORE, PRODUCT, time, onHand, allocated],
    );

  it('rejects negative stock and allocations beyond stock on hand, by constraint name', async () => {
    // A negative on hand breaks both checks; PostgreSQL reports whichever it tests first.
    await expect(insertStock(-1, 0)).rejects.toMatchObject({
      code: '23514',
      constraint: expect.stringMatching(
        /^inventory_(on_hand_non_negative|allocated_within_on_hand)$/,
      ),
    });
    await expect(insertStock(5, 6)).rejects.toMatchObject({
      code: '23514',
      constraint: 'inventory_allocated_within_on_hand',
    });
  });

  it('computes available as on hand minus allocated and refuses to have it written', async () => {
    const { rows } = await insertStock(10, 3, '2025-01-03T08:00:00Z');
    expect(rows).toEqual([{ available: 7 }]);
    await expect(
      db.owner.query(
        `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, available)
         VALUES ($1, $2, $3, '2025-01-04T08:00:00Z', 1, 1)`,
        [a.customerId, STORE, PRODUCT],
      ),
    ).rejects.toMatchObject({ code: '428C9' });
  });

  it('allows one current reorder point per store/product', async () => {
    const insert = () =>
      db.owner.query(
        `INSERT INTO reorder_points (customer_id, store_id, product_id, reorder_point, reorder_quantity)
         VALUES ($1, $2, $3, 5, 20)`,
        [a.customerId, STORE, uuid(2, 2)],
      );
    await insert();
    await expect(insert()).rejects.toMatchObject({
      code: '23505',
      constraint: 'reorder_points_one_current_idx',
    });
    await db.owner.query(
      `UPDATE reorder_points SET valid_to = now() WHERE customer_id = $1 AND product_id = $2`,
      [a.customerId, uuid(2, 2)],
    );
    await expect(insert()).resolves.toMatchObject({ rowCount: 1 });
  });

  it('allows one unresolved alert per store/product/type', async () => {
    const raise = () =>
      db.owner.query(
        `INSERT INTO alerts (customer_id, store_id, product_id, type, severity, status, message)
         VALUES ($1, $2, $3, 'STOCKOUT', 'CRITICAL', 'ACKNOWLEDGED', 'out')`,
        [a.customerId, STORE, uuid(2, 3)],
      );
    await raise();
    await expect(raise()).rejects.toMatchObject({
      code: '23505',
      constraint: 'alerts_one_open_idx',
    });
    await db.owner.query(
      `UPDATE alerts SET status = 'RESOLVED', resolved_at = now()
       WHERE customer_id = $1 AND product_id = $2`,
      [a.customerId, uuid(2, 3)],
    );
    await expect(raise()).resolves.toMatchObject({ rowCount: 1 });
  });

  it('keeps SKUs unique within a tenant only', async () => {
    const insert = (customerId: string, n: number) =>
      db.owner.query(
        `INSERT INTO products (customer_id, id, sku, name, category, unit_price)
         VALUES ($1, $2, 'SKU-DUP', 'Duplicate', 'Dairy', 1.00)`,
        [customerId, uuid(3, n)],
      );
    await insert(a.customerId, 1);
    await expect(insert(a.customerId, 2)).rejects.toMatchObject({ code: '23505' });
    await expect(insert(b.customerId, 1)).resolves.toMatchObject({ rowCount: 1 });
  });

  it('forces row-level security on every tenant table; the gateway role owns and bypasses nothing', async () => {
    const { rows: tables } = await db.owner.query<{
      name: string;
      enabled: boolean;
      forced: boolean;
    }>(
      `SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         AND (c.relname = 'customers' OR EXISTS (
           SELECT FROM pg_attribute at WHERE at.attrelid = c.oid AND at.attname = 'customer_id'
             AND NOT at.attisdropped))
       ORDER BY 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(TENANT_TABLES.filter((t) => !t.startsWith('sales_'))),
    );
    expect(tables.filter((t) => !t.enabled || !t.forced)).toEqual([]);
    const { rows: role } = await db.owner.query(
      `SELECT r.rolsuper AS super, r.rolbypassrls AS bypass, r.rolcreaterole AS "createRole",
              (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid)::int AS owns,
              (SELECT count(*) FROM pg_namespace n WHERE n.nspowner = r.oid)::int AS "ownsSchemas"
       FROM pg_roles r WHERE r.rolname = 'shelfops_gateway'`,
    );
    expect(role).toEqual([
      { super: false, bypass: false, createRole: false, owns: 0, ownsSchemas: 0 },
    ]);
  });

  it('shows nothing to the gateway role when the tenant is unset or malformed', async () => {
    const unset: Record<string, string> = {};
    for (const settings of [unset, { 'app.customer_id': 'not-a-uuid', 'app.store_ids': '*' }]) {
      const counts = await asGateway(db.owner, settings, async (query) => {
        const result: Record<string, string> = {};
        for (const relation of READABLE) {
          const rows = await query<{ n: string }>(`SELECT count(*)::text AS n FROM ${relation}`);
          result[relation] = rows[0]?.n ?? '?';
        }
        return result;
      });
      expect(counts).toEqual(Object.fromEntries(READABLE.map((t) => [t, '0'])));
    }
  });

  it('never lets a tenant read or write another tenant’s rows', async () => {
    const settings = { 'app.customer_id': a.customerId, 'app.store_ids': '*', 'app.role': 'admin' };
    await asGateway(db.owner, settings, async (query) => {
      for (const relation of READABLE.filter((t) => t !== 'customers')) {
        const rows = await query<{ tenant: string }>(
          `SELECT DISTINCT customer_id::text AS tenant FROM ${relation}`,
        );
        expect(rows.filter((r) => r.tenant !== a.customerId)).toEqual([]);
      }
      expect(await query(`SELECT id::text FROM customers`)).toEqual([{ id: a.customerId }]);
      expect(await query<{ n: string }>(`SELECT count(*)::text AS n FROM sale_lines`)).toEqual([
        { n: '1' },
      ]);
      for (const table of HYPERTABLES) {
        await expect(query(`SELECT 1 FROM ${table} LIMIT 1`), table).rejects.toMatchObject({
          code: '42501',
        });
      }
      await expect(
        query(
          `INSERT INTO gateway.inventory_levels (customer_id, store_id, product_id, time, on_hand)
           VALUES ($1, $2, $3, '2025-02-01T08:00:00Z', 4)`,
          [b.customerId, STORE, PRODUCT],
        ),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(
        query(
          `INSERT INTO gateway.transactions (customer_id, transaction_id, time, store_id,
                                             product_id, quantity, unit_price, revenue)
           VALUES ($1, gen_random_uuid(), now(), $2, $3, 1, 1, 1)`,
          [b.customerId, STORE, PRODUCT],
        ),
      ).rejects.toMatchObject({ code: '42501' });
      const updated = await query(
        `UPDATE alerts SET status = 'RESOLVED' WHERE customer_id = $1 RETURNING id`,
        [b.customerId],
      );
      expect(updated).toEqual([]);
      await expect(
        query(`UPDATE alerts SET customer_id = $1 WHERE customer_id = $2`, [
          b.customerId,
          a.customerId,
        ]),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(query(`DELETE FROM stores`)).rejects.toMatchObject({ code: '42501' });
    });
    const { rows } = await db.owner.query(
      `SELECT status FROM alerts WHERE customer_id = $1 AND type = 'LOW_STOCK'`,
      [b.customerId],
    );
    expect(rows).toEqual([{ status: 'OPEN' }]);
  });
});
