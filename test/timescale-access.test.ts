import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sql from 'sql-template-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRowsBefore, compressArchive } from '../src/db/archive.js';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { migrateUp } from '../src/db/migrate.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { RequestDb } from '../src/db/request-db.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import {
  createScratchDatabase,
  serverOf,
  TIMESCALE_KINDS,
  variantOf,
  WITH_SERVER,
} from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { openMigratedDatabase, type FoundationDb } from './support/foundation-db.js';

const [a, b] = twinTenants();
const DAY = 86_400_000;
// Tenant B's lines carry a price no line of A has: seeing it anywhere is seeing B.
const B_PRICE = '4321.09';

/** Sale lines of both tenants: recent ones and ones old enough to be archived. */
async function insertSales(owner: Pool, now: number): Promise<void> {
  for (const [tenant, price] of [
    [a, '2.50'],
    [b, B_PRICE],
  ] as const) {
    for (const daysAgo of [1, 2, 3, 45, 46, 60]) {
      for (const [s, p] of [
        [1, 1],
        [2, 3],
      ] as const) {
        await owner.query(
          `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id,
                                     quantity, unit_price, revenue)
           VALUES ($1, $2, $3, $4, $5, 2, $6, 2 * $6::numeric)`,
          [
            tenant.customerId,
            randomUUID(),
            new Date(now - daysAgo * DAY),
            uuid(1, s),
            uuid(2, p),
            price,
          ],
        );
      }
    }
    await owner.query(
      `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
       VALUES ($1, $2, $3, $4, 40, 5)`,
      [tenant.customerId, uuid(1, 1), uuid(2, 1), new Date(now - DAY)],
    );
    await owner.query(
      `INSERT INTO forecasts (customer_id, store_id, product_id, time, model_version, units,
                              units_lower, units_upper)
       VALUES ($1, $2, $3, $4, 'v1', 10, 8, 12)`,
      [tenant.customerId, uuid(1, 1), uuid(2, 1), new Date(now + DAY)],
    );
  }
}

/** Tenant A, admin, every store: the settings of a gateway request. */
const TENANT_A = {
  customerId: a.customerId,
  role: 'admin',
  storeIds: null,
  statementTimeoutMs: 10_000,
};

/** A database whose every session starts cold: nothing of an earlier session is cached. */
interface ColdDatabase {
  /** A new session (the embedded database reopened, or a new server connection). */
  open(): Promise<{ pool: Pool; close(): Promise<void> }>;
  dispose(): Promise<void>;
}

async function coldDatabase(kind: 'timescale' | 'timescale-server'): Promise<ColdDatabase> {
  const server = serverOf(kind);
  if (server) {
    const scratch = await createScratchDatabase(server);
    return {
      async open() {
        const pool = createPool(scratch.url, 1);
        return { pool, close: () => pool.end() };
      },
      dispose: () => scratch.drop(),
    };
  }
  const dataDir = join(await mkdtemp(join(tmpdir(), 'shelfops-cold-')), 'data');
  return {
    async open() {
      const embedded = await startEmbeddedDatabase({ dataDir });
      const pool = createPool(embedded, 1);
      return {
        pool,
        async close() {
          await pool.end();
          await embedded.close();
        },
      };
    },
    dispose: () => rm(join(dataDir, '..'), { recursive: true, force: true }),
  };
}

describe.each(TIMESCALE_KINDS)(
  'TimescaleDB paths as the gateway role on a cold session on %s',
  (kind) => {
    let cold: ColdDatabase;
    const now = Date.now();

    /**
     * Opens a new session and runs `work` as its first request, in a session that is the
     * gateway's from its first statement: not even the request's own context statement runs as
     * the owner, who could warm TimescaleDB's caches for it.
     */
    async function firstRequest<T>(work: (db: RequestDb) => Promise<T>): Promise<T> {
      const session = await cold.open();
      session.pool.on('connect', (client) => void client.query('SET ROLE shelfops_gateway'));
      try {
        const db = new RequestDb(session.pool, TENANT_A);
        try {
          const result = await work(db);
          await db.finish('commit');
          return result;
        } catch (error) {
          await db.finish('rollback');
          throw error;
        }
      } finally {
        await session.close();
      }
    }

    /** Runs `work` as the owner on a new session. */
    async function asOwner<T>(work: (owner: Pool) => Promise<T>): Promise<T> {
      const session = await cold.open();
      try {
        return await work(session.pool);
      } finally {
        await session.close();
      }
    }

    beforeAll(async () => {
      cold = await coldDatabase(kind);
      await asOwner(async (owner) => {
        await migrateUp(owner, { timescaledb: 'auto' });
        for (const t of [a, b]) await insertTenant(owner, t);
        await insertSales(owner, now);
        await refreshSalesRollups(owner, 'timescale', null, null);
        const moves = await archiveRowsBefore(owner, new Date(now - 30 * DAY));
        expect(moves.find((m) => m.relation === 'transactions')?.moved).toBe(12);
        expect(await compressArchive(owner)).toBeGreaterThan(0);
        await owner.query('ANALYZE');
      });
    });
    afterAll(() => cold?.dispose());

    it('reads the catalog as the first statement', async () => {
      const rows = await firstRequest((db) =>
        db.query<{ code: string }>(sql`SELECT code FROM stores ORDER BY code`),
      );
      expect(rows.map((r) => r.code)).toEqual(['S1', 'S2', 'S3']);
    });

    it('reads the continuous aggregates with real-time aggregation (watermark)', async () => {
      const rows = await firstRequest((db) =>
        db.query<{ units: string; revenue: string }>(
          sql`SELECT sum(units)::text AS units, sum(revenue)::text AS revenue FROM sales_daily`,
        ),
      );
      // The recent six lines of A (three days × two pairs), 2 units at 2.50 each.
      expect(rows).toEqual([{ units: '12', revenue: '30.00' }]);
    });

    it('reads archived rows out of compressed chunks', async () => {
      const rows = await firstRequest((db) =>
        db.query<{ n: string; revenue: string }>(
          sql`SELECT count(*)::text AS n, sum(revenue)::text AS revenue FROM sale_lines
            WHERE time < ${new Date(now - 30 * DAY)}`,
        ),
      );
      expect(rows).toEqual([{ n: '6', revenue: '30.00' }]);
    });

    it('writes into an existing chunk (invalidation trigger) and a new one', async () => {
      const times = [new Date(now - DAY + 60_000), new Date(now - 400 * DAY)];
      const inserted = await firstRequest((db) =>
        db.query(sql`
        INSERT INTO gateway.transactions (customer_id, transaction_id, time, store_id, product_id,
                                          quantity, unit_price, revenue)
        SELECT ${a.customerId}::uuid, gen_random_uuid(), t, ${uuid(1, 2)}::uuid,
               ${uuid(2, 2)}::uuid, 1, 9.99, 9.99
        FROM unnest(${times}::timestamptz[]) t
        RETURNING 1`),
      );
      expect(inserted).toHaveLength(2);
      const rows = await firstRequest((db) =>
        db.query<{ n: string }>(
          sql`SELECT count(*)::text AS n FROM sale_lines WHERE product_id = ${uuid(2, 2)}::uuid`,
        ),
      );
      expect(rows).toEqual([{ n: '2' }]);
    });

    it('writes and reads inventory snapshots and reads forecasts', async () => {
      await firstRequest((db) =>
        db.query(sql`
        INSERT INTO gateway.inventory_levels (customer_id, store_id, product_id, time, on_hand)
        VALUES (${a.customerId}::uuid, ${uuid(1, 2)}::uuid, ${uuid(2, 1)}::uuid,
                ${new Date(now - 3_600_000)}, 7)`),
      );
      const levels = await firstRequest((db) =>
        db.query<{ onHand: number }>(
          sql`SELECT on_hand AS "onHand" FROM gateway.inventory_levels ORDER BY time`,
        ),
      );
      expect(levels).toEqual([{ onHand: 40 }, { onHand: 7 }]);
      const forecasts = await firstRequest((db) =>
        db.query<{ units: string }>(sql`SELECT units::text AS units FROM gateway.forecasts`),
      );
      expect(forecasts).toEqual([{ units: '10.00' }]);
    });

    it('gives the gateway no privilege on any chunk, old or created since', async () => {
      const rows = await asOwner((owner) =>
        owner.query<{ chunk: string }>(
          // Chunks and compressed chunks: the tables of TimescaleDB's internal schema that
          // inherit from a hypertable (its own job tables there hold no tenant data).
          `SELECT format('%I.%I', n.nspname, c.relname) AS chunk
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = '_timescaledb_internal' AND c.relkind = 'r'
           AND EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = c.oid)
           AND has_table_privilege('shelfops_gateway', c.oid,
                                   'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')`,
        ),
      );
      expect(rows.rows).toEqual([]);
    });

    it('fails on a cold session without USAGE on the internal schema (the guard this test keeps)', async () => {
      await asOwner((owner) =>
        owner.query('REVOKE USAGE ON SCHEMA _timescaledb_internal FROM shelfops_gateway'),
      );
      try {
        await expect(
          firstRequest((db) => db.query(sql`SELECT count(*) FROM sales_daily`)),
        ).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      } finally {
        await asOwner((owner) =>
          owner.query('GRANT USAGE ON SCHEMA _timescaledb_internal TO shelfops_gateway'),
        );
      }
    });
  },
);

describe.each(WITH_SERVER)('statistics visible to the gateway role on %s', (kind) => {
  let db: FoundationDb;

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    for (const t of [a, b]) await insertTenant(db.owner, t);
    await insertSales(db.owner, Date.now());
    await db.owner.query('ANALYZE');
  });
  afterAll(() => db?.close());

  /** Every statistic the gateway can read, as text, with tenant A's context. */
  async function visibleStatistics(): Promise<string[]> {
    const request = new RequestDb(db.owner, TENANT_A);
    try {
      const rows = await request.query<{ stat: string }>(sql`
        SELECT concat_ws(' ', schemaname, tablename, attname, most_common_vals::text,
                         histogram_bounds::text) AS stat
        FROM pg_stats
        UNION ALL
        SELECT concat_ws(' ', schemaname, tablename, statistics_name, most_common_vals::text)
        FROM pg_stats_ext`);
      return rows.map((r) => r.stat);
    } finally {
      await request.finish('rollback');
    }
  }

  it('shows no value of another tenant in pg_stats or pg_stats_ext', async () => {
    const stats = await visibleStatistics();
    expect(stats.filter((s) => s.includes(b.customerId) || s.includes(B_PRICE))).toEqual([]);
  });

  it.runIf(variantOf(kind) === 'timescale')(
    'would show them if the gateway could read a chunk (the test sees a leak)',
    async () => {
      const { rows } = await db.owner.query<{ chunk: string }>(
        `SELECT show_chunks('public.transactions')::text AS chunk`,
      );
      for (const { chunk } of rows)
        await db.owner.query(`GRANT SELECT ON ${chunk} TO shelfops_gateway`);
      try {
        const stats = await visibleStatistics();
        expect(stats.some((s) => s.includes(B_PRICE))).toBe(true);
      } finally {
        for (const { chunk } of rows)
          await db.owner.query(`REVOKE SELECT ON ${chunk} FROM shelfops_gateway`);
      }
    },
  );
});
