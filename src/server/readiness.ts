import type { Plugin } from 'graphql-yoga';
import type { Database } from '../db/database.js';
import { lagSeconds, type MaintenanceStatus } from '../db/maintenance.js';
import { migrationStatus, type MigrationStatus } from '../db/migrate.js';
import { createPool, type Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';

/** The body of `/ready`; `ready` decides the status (200 or 503), other fields inform. */
export interface ReadinessReport {
  ready: boolean;
  [field: string]: unknown;
}

/** Answers `/ready` without ever waiting for the request pool. */
export interface ReadinessProbe {
  report(): Promise<ReadinessReport>;
  close(): Promise<void>;
}

export interface ReadinessOptions {
  database: Pick<Database, 'backend' | 'embedded' | 'pool'>;
  /** The server's URL; null for the embedded database. */
  databaseUrl: string | null;
  timescaledb: 'auto' | 'on' | 'off';
  /** Longest a check may take before the database counts as unreachable. */
  timeoutMs: number;
  logger: Logger;
  /** The upkeep's status, detailed in every answer. */
  maintenance?: () => MaintenanceStatus;
  /**
   * The shared cache's state (REDIS_URL), reported as `cache`; 'degraded' (answers come from
   * the database, limits are counted in memory) leaves the gateway ready.
   */
  cache?: () => 'ok' | 'degraded';
}

/** The outcome of one database check. */
export type ReadinessCheck = { status: MigrationStatus } | { unreachable: true };

/** What `/ready` says for one check: add fields here to report more. */
export function describeReadiness(backend: string, check: ReadinessCheck): ReadinessReport {
  if ('unreachable' in check) return { ready: false, backend, error: 'database unreachable' };
  const { pending } = check.status;
  return { ready: pending.length === 0, backend, pendingMigrations: pending };
}

/**
 * The upkeep as `/ready` details it: each task's last success and lag, each TimescaleDB job's
 * last run and how it ended, and the failing jobs.
 */
export function describeMaintenance(status: MaintenanceStatus) {
  return {
    mode: status.mode,
    tasks: status.tasks.map((t) => ({ ...t, lagSeconds: lagSeconds(t) })),
    jobs: status.jobs,
    failingJobs: status.failingJobs,
  };
}

/**
 * A server is checked over a dedicated one-connection pool with short timeouts, so an outage
 * shows within seconds, a recovered server is seen on the next check, and a full request pool
 * never delays the answer. Concurrent calls share one check. The embedded database lives in
 * this process and serves a single connection: its status is read once, through the gateway's
 * pool, and kept (nothing else can migrate it).
 */
export function createReadinessProbe(options: ReadinessOptions): ReadinessProbe {
  const { database, databaseUrl, timeoutMs, logger } = options;
  const pool: Pool | null =
    databaseUrl === null
      ? null
      : createPool(databaseUrl, 1, {
          waitMs: timeoutMs,
          statementTimeoutMs: timeoutMs,
          applicationName: 'shelfops-readiness',
        });
  pool?.on('error', (error) => logger.warn({ err: error }, 'readiness connection failed'));
  let running: Promise<ReadinessCheck> | null = null;
  let embeddedStatus: MigrationStatus | null = null;

  const check = async (): Promise<ReadinessCheck> => {
    if (embeddedStatus) return { status: embeddedStatus };
    try {
      const status = await migrationStatus(pool ?? database.pool, options.timescaledb);
      if (pool === null) embeddedStatus = status.pending.length === 0 ? status : null;
      return { status };
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      return { unreachable: true };
    }
  };

  return {
    async report() {
      running ??= check().finally(() => {
        running = null;
      });
      const report = describeReadiness(database.backend, await running);
      const maintenance = options.maintenance?.();
      return {
        ...report,
        ...(options.cache ? { cache: options.cache() } : {}),
        ...(maintenance ? { maintenance: describeMaintenance(maintenance) } : {}),
      };
    },
    async close() {
      await pool?.end();
    },
  };
}

/** Serves `/ready` from the probe and closes the probe with the gateway. */
export function useReadiness(probe: ReadinessProbe): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== '/ready') return;
      const report = await probe.report();
      endResponse(fetchAPI.Response.json(report, { status: report.ready ? 200 : 503 }));
    },
    onDispose: () => probe.close(),
  };
}
