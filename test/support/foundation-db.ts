import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { migrateUp, type Backend } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import {
  createScratchDatabase,
  serverOf,
  variantOf,
  type BackendKind,
  type ScratchDatabase,
} from './backends.js';
import { copyEmbeddedTemplate, copyServerTemplate } from './templates.js';

/** A fresh, empty database of one backend with its owner pool. */
export interface FoundationDb {
  kind: BackendKind;
  backend: Backend;
  owner: Pool;
  /** A second owner pool on the same database (servers only). */
  connect(max?: number): Pool;
  close(): Promise<void>;
}

/** Opens an empty database: a new one on a server, or an in-memory embedded one. */
export async function openEmptyDatabase(kind: BackendKind): Promise<FoundationDb> {
  const server = serverOf(kind);
  if (server) return onServer(kind, await createScratchDatabase(server));
  const embedded = await startEmbeddedDatabase({ dataDir: null });
  return onEmbedded(embedded, async () => undefined);
}

/**
 * Opens a database of the backend with every migration applied: a copy of the run's migrated
 * database of the backend.
 */
export async function openMigratedDatabase(kind: BackendKind): Promise<FoundationDb> {
  const db = serverOf(kind)
    ? await onServer(kind, await copyServerTemplate(kind))
    : await openEmbeddedCopy();
  try {
    // Nothing to apply on a copy; it checks, as a gateway's start does, that none is missing.
    await migrateUp(db.owner, { timescaledb: 'auto' });
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

async function openEmbeddedCopy(): Promise<FoundationDb> {
  const copy = await copyEmbeddedTemplate();
  try {
    return onEmbedded(await startEmbeddedDatabase({ dataDir: copy.dataDir }), copy.remove);
  } catch (error) {
    await copy.remove();
    throw error;
  }
}

function onServer(kind: BackendKind, scratch: ScratchDatabase): FoundationDb {
  const pools: Pool[] = [];
  const connect = (max = 4) => {
    const pool = createPool(scratch.url, max);
    // The database is dropped WITH (FORCE) at close: a connection still ending then hears
    // of its termination as an idle-connection error, which is no failure of the test.
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };
  const owner = connect();
  return {
    kind,
    backend: variantOf(kind),
    owner,
    connect,
    async close() {
      await Promise.all(pools.map((p) => p.end()));
      await scratch.drop();
    },
  };
}

function onEmbedded(embedded: EmbeddedDatabase, remove: () => Promise<void>): FoundationDb {
  const owner = createPool(embedded, 1);
  return {
    kind: 'timescale',
    backend: 'timescale',
    owner,
    connect() {
      throw new Error('the embedded database serves one connection');
    },
    async close() {
      await owner.end();
      await embedded.close();
      await remove();
    },
  };
}

/** Runs `work` as the gateway role with the given tenant settings, then rolls back. */
export async function asGateway<T>(
  owner: Pool,
  settings: Record<string, string>,
  work: (query: <R>(text: string, values?: unknown[]) => Promise<R[]>) => Promise<T>,
): Promise<T> {
  const client = await owner.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL ROLE shelfops_gateway');
    await client.query('SELECT set_config(key, value, true) FROM json_each_text($1::json)', [
      JSON.stringify(settings),
    ]);
    return await work(async <R>(text: string, values?: unknown[]) => {
      await client.query('SAVEPOINT step');
      try {
        const result = await client.query(text, values);
        await client.query('RELEASE SAVEPOINT step');
        return result.rows as R[];
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT step');
        throw error;
      }
    });
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

const CHECKSUM_QUERIES: Record<string, string> = {
  customers: `SELECT md5(string_agg(c::text, '|' ORDER BY c.id)) FROM customers c`,
  stores: `SELECT md5(string_agg(s::text, '|' ORDER BY s.customer_id, s.id)) FROM stores s`,
  products: `SELECT md5(string_agg(p::text, '|' ORDER BY p.customer_id, p.id)) FROM products p`,
  transactions: `SELECT md5(string_agg(t::text, '|' ORDER BY t.customer_id, t.transaction_id, t.time))
                 FROM transactions t`,
  inventory: `SELECT md5(string_agg(i::text, '|' ORDER BY i.customer_id, i.store_id, i.product_id, i.time))
              FROM inventory_levels i`,
  forecasts: `SELECT md5(string_agg(f::text, '|' ORDER BY f.customer_id, f.store_id, f.product_id, f.time))
              FROM forecasts f`,
  reorderPoints: `SELECT md5(string_agg(r::text, '|' ORDER BY r.customer_id, r.id)) FROM reorder_points r`,
  alerts: `SELECT md5(string_agg(a::text, '|' ORDER BY a.customer_id, a.id)) FROM alerts a`,
  anomalies: `SELECT md5(string_agg(a::text, '|' ORDER BY a.customer_id, a.id)) FROM anomalies a`,
};

/** One md5 per seeded table over every column of every row, in key order (as the owner). */
export async function seedChecksums(owner: Pool): Promise<Record<string, string | null>> {
  const client = await owner.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL TIME ZONE 'UTC'`);
    const sums: Record<string, string | null> = {};
    for (const [table, query] of Object.entries(CHECKSUM_QUERIES)) {
      const { rows } = await client.query<{ md5: string | null }>(query);
      sums[table] = rows[0]?.md5 ?? null;
    }
    await client.query('COMMIT');
    return sums;
  } finally {
    client.release();
  }
}
