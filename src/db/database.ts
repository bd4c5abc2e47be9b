import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.js';
import { chooseBackend, migrateUp, type Backend } from './migrate.js';
import { createPool, type Pool } from './pool.js';
import { RefreshBeforeRead, refreshStaleRollups } from './freshness.js';
import { Maintenance } from './maintenance.js';

/** The gateway's database: the pool, which backend it is, and its upkeep. */
export interface Database {
  pool: Pool;
  backend: Backend;
  embedded: EmbeddedDatabase | null;
  /** Who runs the upkeep (refresh, archive, compression, retention) and how it stands. */
  maintenance: Maintenance;
  /** Where ROLLUP_REFRESH=before-read on TimescaleDB: the refreshes that wait for reads. */
  refreshBeforeRead: RefreshBeforeRead | null;
  /** One round of upkeep where the gateway runs it; then reads back its status. */
  runMaintenance(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What opening a database may change there. `start`, a gateway's start: the embedded data
 * wiped when EMBEDDED_RESET asks, pending migrations applied (MIGRATE_ON_START), TimescaleDB's
 * jobs scheduled or paused for MAINTENANCE, rollups a previous run left stale refreshed.
 * `migrate`, a command that writes (tenant, import, seed, token): pending migrations applied,
 * nothing else. `nothing`, a diagnostic (doctor).
 */
export type OpenChanges = 'start' | 'migrate' | 'nothing';

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL + TimescaleDB when it is unset,
 * and applies pending migrations when MIGRATE_ON_START is on.
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  changes: OpenChanges = 'start',
): Promise<Database> {
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedDatabase({
        dataDir: config.embeddedDataDir,
        reset: changes === 'start' && config.embeddedReset,
      });
  const pool = createPool(embedded ?? config.databaseUrl ?? '', embedded ? 1 : config.poolMax, {
    waitMs: config.poolWaitMs,
  });
  pool.on('error', (error) => logger.error({ err: error }, 'idle database connection failed'));
  try {
    const migrate = changes !== 'nothing' && config.migrateOnStart;
    if (migrate) {
      const applied = await migrateUp(pool, {
        timescaledb: config.timescaledb,
        log: (message) => logger.info(message),
      });
      logger.info({ applied }, applied.length ? 'migrations applied' : 'migrations up to date');
    }
    // The variant the database was migrated as (migrateUp has said so already when it ran).
    const backend = await chooseBackend(
      pool,
      config.timescaledb,
      migrate ? undefined : (message) => logger.info(message),
    );
    const maintenance = new Maintenance(pool, {
      backend,
      embedded: embedded !== null,
      mode: config.maintenance,
      compressAfter: config.compressAfter,
      retention: config.retention,
      logger,
    });
    if (changes === 'start') {
      await maintenance.prepare();
      // What a previous run recorded as stale but could not refresh (a crash, an outage).
      await refreshStaleRollups(pool, backend).catch((error: unknown) =>
        logger.error({ err: error }, 'refreshing stale rollups at start failed'),
      );
    }
    return {
      pool,
      backend,
      embedded,
      maintenance,
      refreshBeforeRead:
        backend === 'timescale' && config.rollupRefresh === 'before-read'
          ? new RefreshBeforeRead(pool, backend)
          : null,
      runMaintenance: () => maintenance.run(),
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
