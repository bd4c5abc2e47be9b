import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { variantOf, WITH_SERVER } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

describe.each(WITH_SERVER)('database guard rails on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    for (const t of [a, b]) {
      await insertTenant(gw.owner, t);
      for (const [i, store] of t.stores.entries()) {
        await gw.owner.query(
          `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
           VALUES ($1, $2, now() - make_interval(days => $3), $4, $5, 2, 1.50, 3.00)`,
          [t.customerId, randomUUID(), i * 9 + 1, store.id, uuid(2, 1)],
        );
      }
    }
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
  });
  afterAll(() => gw?.close());

  /** Runs `statement` as the gateway's role with a tenant context; returns rows or the error code. */
  async function asGateway(statement: string, customerId = a.customerId, stores = '*') {
    const client = await gw.owner.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `SELECT set_config('role', 'shelfops_gateway', true), set_config('app.customer_id', $1, true),
                set_config('app.store_ids', $2, true), set_config('app.role', 'analyst', true)`,
        [customerId, stores],
      );
      return { rows: (await client.query(statement)).rows, code: null };
    } catch (error) {
      return { rows: [], code: (error as { code?: string }).code ?? 'unknown' };
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  it('enables and forces row-level security on every tenant table', async () => {
    const { rows } = await gw.owner.query<{ table: string; enabled: boolean; forced: boolean }>(
      `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         AND (c.relname = 'customers' OR EXISTS (
           SELECT FROM pg_attribute a
           WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped))
       ORDER BY 1`,
    );
    expect(rows.map((r) => r.table)).toEqual(
      expect.arrayContaining(['alerts', 'customers', 'products', 'stores', 'transactions']),
    );
    for (const row of rows) expect(row, row.table).toMatchObject({ enabled: true, forced: true });
  });

  it('gives the gateway a role that is no superuser, cannot bypass RLS and owns nothing', async () => {
    const { rows } = await gw.owner.query(
      `SELECT r.rolsuper AS super, r.rolbypassrls AS bypass, r.rolcreaterole AS createrole,
              r.rolcreatedb AS createdb,
              (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) +
              (SELECT count(*)::int FROM pg_namespace WHERE nspowner = r.oid) +
              (SELECT count(*)::int FROM pg_proc WHERE proowner = r.oid) +
              (SELECT count(*)::int FROM pg_type WHERE typowner = r.oid) AS owned,
              has_schema_privilege(r.oid, 'public', 'CREATE') AS "createInPublic"
       FROM pg_roles r WHERE r.rolname = 'shelfops_gateway'`,
    );
    expect(rows).toEqual([
      {
        super: false,
        bypass: false,
        createrole: false,
        createdb: false,
        owned: 0,
        createInPublic: false,
      },
    ]);
  });

  it('makes every view the gateway can read a security barrier', async () => {
    // TimescaleDB's information views hold metadata, no tenant rows; the leak test probes them.
    const { rows } = await gw.owner.query<{ view: string; barrier: boolean }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS view,
              coalesce('security_barrier=true' = ANY (c.reloptions), false) AS barrier
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'v'
         AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'timescaledb_information',
                               'timescaledb_experimental')
         AND n.nspname NOT LIKE '\\_timescaledb%'
         AND has_table_privilege('shelfops_gateway', c.oid, 'SELECT')
       ORDER BY 1`,
    );
    expect(rows.map((r) => r.view)).toEqual(
      expect.arrayContaining(['public.sale_lines', 'public.sales_daily', 'public.sales_hourly']),
    );
    for (const row of rows) expect(row.barrier, row.view).toBe(true);
  });

  it('lets the gateway create nothing: no schema, table, function or temporary object', async () => {
    const { rows } = await gw.owner.query<{ schema: string }>(
      `SELECT nspname AS schema FROM pg_namespace
       WHERE has_schema_privilege('shelfops_gateway', oid, 'CREATE')`,
    );
    expect(rows).toEqual([]);
    for (const statement of [
      'CREATE TEMP TABLE scratch (id int)',
      'CREATE TABLE public.scratch (id int)',
      'CREATE SCHEMA scratch',
      `CREATE FUNCTION pg_temp.current_customer_id() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid'`,
      'CREATE VIEW app.scratch AS SELECT 1',
    ]) {
      expect((await asGateway(statement)).code, statement).toBe('42501');
    }
  });

  it('fails closed without a tenant, and limits rollup views to the tenant and store scope', async () => {
    const none = await asGateway('SELECT count(*)::int AS n FROM gateway.inventory_levels', '');
    expect(none.rows).toEqual([{ n: 0 }]);
    for (const view of [
      'sales_daily',
      'sales_daily_archived',
      'sale_lines',
      'inventory_snapshots',
    ]) {
      const noneView = await asGateway(`SELECT count(*)::int AS n FROM ${view}`, 'garbage');
      expect(noneView.rows, view).toEqual([{ n: 0 }]);
    }
    const scoped = await asGateway(
      'SELECT DISTINCT customer_id AS c, store_id AS s FROM sales_hourly UNION SELECT DISTINCT customer_id, store_id FROM sales_daily',
      a.customerId,
      uuid(1, 2),
    );
    expect(scoped.rows).toEqual([{ c: a.customerId, s: uuid(1, 2) }]);
    const { rows } = await gw.owner.query<{ n: number }>(
      'SELECT count(DISTINCT (customer_id, store_id))::int AS n FROM rollup.sales_daily',
    );
    expect(rows[0]?.n).toBe(6);
  });

  it('answers the latest snapshot per position for the tenant and store scope only', async () => {
    // Tenant B has the same store and product ids, and stock 100 higher.
    for (const [t, offset] of [
      [a, 0],
      [b, 100],
    ] as const) {
      await gw.owner.query(
        `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand)
         SELECT $1, s.id, $2, now() - make_interval(days => d), $3::int + 5 + d
         FROM stores s, generate_series(0, 2) d WHERE s.customer_id = $1`,
        [t.customerId, uuid(2, 1), offset],
      );
    }
    const latest = (store: string) =>
      `SELECT store_id AS s, on_hand AS n FROM gateway.latest_inventory
       WHERE store_id = '${store}' AND product_id = '${uuid(2, 1)}'`;
    const [ownStore, otherStore] = a.stores;
    if (!ownStore || !otherStore) throw new Error('the twin tenant has fewer than two stores');
    expect((await asGateway(latest(ownStore.id))).rows).toEqual([{ s: ownStore.id, n: 5 }]);
    // A garbage or missing tenant reads nothing, a store outside the scope nothing.
    expect((await asGateway(latest(ownStore.id), 'garbage')).rows).toEqual([]);
    expect((await asGateway(latest(ownStore.id), '')).rows).toEqual([]);
    expect((await asGateway(latest(otherStore.id), a.customerId, ownStore.id)).rows).toEqual([]);
    if (kind === 'timescale') {
      // The view's fallback for positions without a recent snapshot, callable on its own.
      const fallback = (store: string) =>
        `SELECT on_hand AS n FROM app.latest_snapshot_before_horizon('${store}', '${uuid(2, 1)}')`;
      expect((await asGateway(fallback(ownStore.id))).rows).toEqual([{ n: 5 }]);
      expect((await asGateway(fallback(ownStore.id), 'garbage')).rows).toEqual([]);
      expect((await asGateway(fallback(otherStore.id), a.customerId, ownStore.id)).rows).toEqual(
        [],
      );
    }
    const { rows } = await gw.owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM inventory_levels WHERE customer_id = $1 AND on_hand = 105`,
      [b.customerId],
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
  });

  it('denies the gateway the rollups’ own relations and the archive', async () => {
    const archive = ['transactions', 'inventory_levels', 'sales_hourly', 'sales_daily', 'horizon'];
    for (const relation of [
      'rollup.sales_hourly',
      'rollup.sales_daily',
      ...(variantOf(kind) === 'timescale' ? archive.map((t) => `archive.${t}`) : []),
    ]) {
      expect((await asGateway(`SELECT * FROM ${relation} LIMIT 1`)).code, relation).toBe('42501');
    }
  });

  it.runIf(variantOf(kind) === 'timescale')(
    'denies the gateway TimescaleDB’s chunks, compressed chunks and materialization tables',
    async () => {
      // TimescaleDB's public views name the materialization tables and the chunks; compressed
      // chunks are in no public view, so PostgreSQL's own catalog lists the tables of
      // TimescaleDB's internal schema that inherit from a hypertable.
      const { rows } = await gw.owner.query<{ relation: string; kind: string }>(
        `SELECT format('%I.%I', materialization_hypertable_schema,
                      materialization_hypertable_name) AS relation, 'materialization' AS kind
         FROM timescaledb_information.continuous_aggregates
         UNION ALL
         SELECT format('%I.%I', chunk_schema, chunk_name), 'chunk'
         FROM timescaledb_information.chunks
         UNION ALL
         SELECT format('%I.%I', n.nspname, c.relname), 'internal'
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = '_timescaledb_internal' AND c.relkind = 'r'
           AND EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid)`,
      );
      expect(rows.filter((r) => r.kind === 'materialization')).toHaveLength(4);
      expect(rows.filter((r) => r.kind === 'chunk').length).toBeGreaterThan(2);
      for (const { relation } of rows) {
        const result = await asGateway(`SELECT * FROM ${relation} LIMIT 1`);
        expect(result.code, relation).toBe('42501');
      }
    },
  );
});
