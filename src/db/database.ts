import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.js';
import { detectBackend, migrateUp, type Backend } from './migrate.js';
import { createPool, type Pool } from './pool.js';
import { archiveOlderThan, compressArchive, ensureArchiveJob } from './archive.js';
import { refreshStaleRollups } from './freshness.js';
import { applyRetention, ensureRetentionPolicies, refreshSalesRollups } from './rollups.js';

/** The gateway's database: the pool, which backend it is, and its upkeep. */
export interface Database {
  pool: Pool;
  backend: Backend;
  embedded: EmbeddedDatabase | null;
  /**
   * Refreshes rollups, archives and compresses old rows, and applies retention where no
   * TimescaleDB job does it.
   */
  runMaintenance(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL + TimescaleDB when it is unset,
 * and applies pending migrations when MIGRATE_ON_START is on.
 */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedDatabase({ dataDir: config.embeddedDataDir, reset: config.embeddedReset });
  const url = config.databaseUrl ?? embedded?.url ?? '';
  const pool = createPool(url, embedded ? 1 : config.poolMax, { waitMs: config.poolWaitMs });
  pool.on('error', (error) => logger.error({ err: error }, 'idle database connection failed'));
  try {
    if (config.migrateOnStart) {
      const applied = await migrateUp(pool, {
        timescaledb: config.timescaledb,
        log: (message) => logger.info(message),
      });
      logger.info({ applied }, applied.length ? 'migrations applied' : 'migrations up to date');
    }
    const backend = await detectBackend(pool, config.timescaledb);
    // TimescaleDB servers run refresh and retention as background jobs; the embedded build
    // runs no background worker, and plain PostgreSQL has none.
    const selfMaintained = embedded !== null || backend === 'native';
    if (!selfMaintained) {
      await ensureRetentionPolicies(pool, config.retention);
      await ensureArchiveJob(pool, config.compressAfter);
    }
    // What a previous run recorded as stale but could not refresh (a crash, an outage).
    await refreshStaleRollups(pool, backend).catch((error: unknown) =>
      logger.error({ err: error }, 'refreshing stale rollups at start failed'),
    );
    return {
      pool,
      backend,
      embedded,
      async runMaintenance() {
        await refreshStaleRollups(pool, backend);
        if (!selfMaintained) return;
        const { compressAfter } = config;
        const moves =
          backend === 'timescale' && compressAfter !== null
            ? await archiveOlderThan(pool, compressAfter)
            : [];
        await refreshSalesRollups(pool, backend, null, null);
        if (moves.some((m) => m.moved > 0)) {
          const chunks = await compressArchive(pool);
          // The embedded database has no autovacuum: reclaim what the move and the refresh of
          // the emptied rollup ranges left behind.
          await pool.query('/* vacuumAfterArchive */ VACUUM ANALYZE');
          logger.info({ moves, chunks }, 'old rows archived');
        }
        await applyRetention(pool, backend, config.retention);
      },
      async close() {
        await pool.end();
        await embedded?.close();
      },
    };
  } catch (error) {
    await pool.end();
    await embedded?.close();
    throw error;
  }
}
