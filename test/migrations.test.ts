import { afterEach, describe, expect, it } from 'vitest';
import {
  loadMigrations,
  migrateDown,
  migrateUp,
  migrationStatus,
  type Backend,
} from '../src/db/migrate.js';
import { variantOf, WITH_CLUSTER } from './support/backends.js';
import {
  openEmptyDatabase,
  openMigratedDatabase,
  type FoundationDb,
} from './support/foundation-db.js';

const AUTO = { timescaledb: 'auto' } as const;

// On the cluster every DDL statement reaches three nodes and 32 shards per table: minutes.
describe.each(WITH_CLUSTER)('migrations on %s', { timeout: 240_000 }, (kind) => {
  let db: FoundationDb | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('applies every version, reverts them all, and applies them again', async () => {
    db = await openEmptyDatabase(kind);
    const backend: Backend = variantOf(kind);
    const versions = (await loadMigrations(backend)).map((m) => m.version);

    expect(await migrateUp(db.owner, AUTO)).toEqual(versions);
    expect(await migrateUp(db.owner, AUTO)).toEqual([]);
    expect(await migrationStatus(db.owner, 'auto')).toEqual({
      backend,
      applied: versions,
      pending: [],
    });

    const reverted = await migrateDown(db.owner, { ...AUTO, count: versions.length });
    expect(reverted).toEqual([...versions].reverse());
    const { rows: left } = await db.owner.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('public', 'rollup', 'app') AND c.relkind IN ('r', 'v', 'm', 'p')
         AND c.relname <> 'shelfops_migrations'
         AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')`,
    );
    expect(left).toEqual([]);
    expect((await migrationStatus(db.owner, 'auto')).pending).toEqual(versions);

    expect(await migrateUp(db.owner, AUTO)).toEqual(versions);
    expect((await migrationStatus(db.owner, 'auto')).pending).toEqual([]);
  });

  it(`uses the ${variantOf(kind)} variant of the time-series schema`, async () => {
    // A copy of the run's database of the backend, which migrateUp with the same options made
    // from an empty one (the test above shows a second migrateUp finds nothing to do).
    db = await openMigratedDatabase(kind);
    const { rows: ledger } = await db.owner.query<{ variant: string | null }>(
      `SELECT DISTINCT variant FROM shelfops_migrations WHERE variant IS NOT NULL`,
    );
    const { rows: rollups } = await db.owner.query<{ name: string; kind: string }>(
      `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'rollup' AND c.relname IN ('sales_hourly', 'sales_daily') ORDER BY 1`,
    );
    if (kind === 'citus') {
      // The plain-PostgreSQL schema, distributed by tenant: the catalog of tenants on every
      // node, every other tenant table (rollups included) by customer_id in one colocation group.
      expect(ledger).toEqual([{ variant: 'citus' }]);
      const { rows: tables } = await db.owner.query<{ name: string; method: string }>(
        `SELECT logicalrelid::text AS name, partmethod::text AS method FROM pg_dist_partition
         ORDER BY 1`,
      );
      expect(tables).toEqual(
        expect.arrayContaining([
          { name: 'customers', method: 'n' },
          ...[
            'stores',
            'products',
            'product_costs',
            'transactions',
            'inventory_levels',
            'alerts',
            'sale_keys',
            'rollup.sales_daily_totals',
            'rollup.store_sales_daily',
          ].map((name) => ({ name, method: 'h' })),
        ]),
      );
      const { rows: groups } = await db.owner.query<{ n: number }>(
        `SELECT count(DISTINCT colocationid)::int AS n FROM pg_dist_partition
         WHERE partmethod = 'h'`,
      );
      expect(groups).toEqual([{ n: 1 }]);
      const { rows: keys } = await db.owner.query<{ name: string }>(
        `SELECT DISTINCT c.conrelid::regclass::text AS name FROM pg_constraint c
         JOIN pg_dist_partition p ON p.logicalrelid = c.conrelid AND p.partmethod = 'h'
         WHERE c.contype IN ('p', 'u') AND NOT EXISTS (
           SELECT FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attname = 'customer_id'
             AND a.attnum = ANY (c.conkey))`,
      );
      expect(keys).toEqual([]);
      return;
    }
    if (kind === 'postgres') {
      expect(ledger).toEqual([{ variant: 'native' }]);
      expect(rollups).toEqual([
        { name: 'sales_daily', kind: 'v' },
        { name: 'sales_hourly', kind: 'v' },
      ]);
      return;
    }
    expect(ledger).toEqual([{ variant: 'timescale' }]);
    const { rows: hypertables } = await db.owner.query<{ name: string }>(
      `SELECT hypertable_name AS name FROM timescaledb_information.hypertables
       WHERE hypertable_schema = 'public' ORDER BY 1`,
    );
    expect(hypertables.map((h) => h.name)).toEqual(
      expect.arrayContaining(['forecasts', 'inventory_levels', 'transactions']),
    );
    const { rows: aggregates } = await db.owner.query<{ name: string; materializedOnly: boolean }>(
      `SELECT view_name AS name, materialized_only AS "materializedOnly"
       FROM timescaledb_information.continuous_aggregates
       WHERE view_schema = 'rollup' ORDER BY 1`,
    );
    expect(aggregates).toEqual([
      { name: 'sales_daily', materializedOnly: false },
      { name: 'sales_hourly', materializedOnly: false },
      { name: 'store_sales_daily', materializedOnly: false },
      { name: 'store_sales_hourly', materializedOnly: false },
    ]);
  });

  it.runIf(kind !== 'timescale')(
    'lets two instances migrate at once: both succeed, each version is applied once',
    async () => {
      db = await openEmptyDatabase(kind);
      const versions = (await loadMigrations(variantOf(kind))).map((m) => m.version);
      const [first, second] = await Promise.all([
        migrateUp(db.connect(2), AUTO),
        migrateUp(db.connect(2), AUTO),
      ]);
      expect([...(first ?? []), ...(second ?? [])].sort((a, b) => a - b)).toEqual(versions);
      expect([first, second]).toContainEqual([]);
      const { rows } = await db.owner.query<{ version: number; times: string }>(
        `SELECT version, count(*)::text AS times FROM shelfops_migrations GROUP BY version ORDER BY version`,
      );
      expect(rows).toEqual(versions.map((version) => ({ version, times: '1' })));
      expect((await migrationStatus(db.owner, 'auto')).pending).toEqual([]);
    },
  );
});
