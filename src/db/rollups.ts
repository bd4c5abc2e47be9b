import { keepJob, retryWhileJobRuns, withJobsLock } from './jobs.js';
import type { Queryable } from './pool.js';
import type { Backend } from './migrate.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// A refresh that meets the job runner's refresh of the same aggregate tries again, for about
// 10 s at most.
const REFRESH_ATTEMPTS = 40;
const REFRESH_PAUSE_MS = 250;

/**
 * Brings the sales rollups up to date for `[from, to)`: the per-product aggregates, then the
 * per-store ones built on them. TimescaleDB keeps back-dated rows out of an already
 * materialized range until it is refreshed; the plain-PostgreSQL rollups are tables kept exact
 * by triggers in the writing transaction. Runs outside any transaction, on the maintenance pool.
 */
export async function refreshSalesRollups(
  pool: Queryable,
  backend: Backend,
  from: Date | null,
  to: Date | null,
): Promise<void> {
  if (backend !== 'timescale') return;
  const hourFrom = from && new Date(Math.floor(from.getTime() / HOUR) * HOUR);
  const hourTo = to && new Date(Math.ceil(to.getTime() / HOUR) * HOUR);
  const dayFrom = from && new Date(Math.floor(from.getTime() / DAY) * DAY);
  const dayTo = to && new Date(Math.ceil(to.getTime() / DAY) * DAY);
  const hours = [hourFrom, hourTo] as const;
  const days = [dayFrom, dayTo] as const;
  for (const [tag, view, [a, b]] of [
    ['refreshSalesHourly', 'sales_hourly', hours],
    ['refreshStoreSalesHourly', 'store_sales_hourly', hours],
    ['refreshSalesDaily', 'sales_daily', days],
    ['refreshStoreSalesDaily', 'store_sales_daily', days],
  ] as const) {
    await retryWhileJobRuns(
      () =>
        pool.query(
          `/* ${tag} */ CALL refresh_continuous_aggregate('rollup.${view}', $1::timestamptz, $2::timestamptz)`,
          [a, b],
        ),
      REFRESH_ATTEMPTS,
      () => REFRESH_PAUSE_MS,
    );
  }
}

// The raw time-series hypertables, hot and archived; the rollups keep their history.
const RAW_HYPERTABLES = `SELECT format('%I.%I', hypertable_schema, hypertable_name)
  FROM timescaledb_information.hypertables
  WHERE hypertable_schema = 'public'
     OR (hypertable_schema = 'archive' AND hypertable_name IN ('transactions', 'inventory_levels'))`;

/** What one retention run deleted of one tenant. */
export interface RetentionOutcome {
  customerId: string;
  /** The tenant's horizon, e.g. "2 years". */
  retention: string;
  /** Rows older than this went. */
  cutoff: Date;
  /** Sale lines deleted (hot and archived). */
  lines: number;
  /** Idempotency keys deleted with them. */
  keys: number;
}

/**
 * Deletes every tenant's raw time-series rows older than its own horizon (`customers.retention`;
 * a tenant without one first takes `defaultRetention`, the RETENTION setting), and the sale
 * lines' idempotency keys at the same cutoff, in one transaction (sql/0016_tenant_retention).
 * On plain PostgreSQL the delete is flagged so the rollup tables keep their history. On
 * TimescaleDB whole chunks older than every tenant's cutoff are dropped, which the continuous
 * aggregates do not see; lines of a tenant with a shorter horizon than another's are deleted as
 * rows, which a continuous aggregate does see once it refreshes their range (with compression
 * on, lines that old are in the archive, whose rollups a delete leaves alone).
 */
export async function applyRetention(
  pool: Queryable,
  defaultRetention: string,
): Promise<RetentionOutcome[]> {
  const { rows } = await pool.query<RetentionOutcome & { lines: string; keys: string }>(
    `/* applyRetention */ SELECT r.customer_id AS "customerId", r.retention AS "retention",
            r.cutoff AS "cutoff", r.lines::text AS "lines", r.keys::text AS "keys"
     FROM app.apply_retention($1) r`,
    [defaultRetention],
  );
  return rows.map((r) => ({ ...r, lines: Number(r.lines), keys: Number(r.keys) }));
}

/**
 * Where TimescaleDB's job runner applies retention: one job running the same per-tenant
 * retention as the gateway, in place of the per-hypertable policies, which know one interval.
 * The job keeps its id and history across starts; a changed default is altered in place.
 */
export async function ensureRetentionPolicies(pool: Queryable, retention: string): Promise<void> {
  await withJobsLock(pool, async (client) => {
    await client.query(
      `/* removeRetentionPolicies */
       SELECT remove_retention_policy(h.format::regclass, if_exists => true)
       FROM (${RAW_HYPERTABLES}) h`,
    );
    await keepJob(client, 'app.retention_job', '1 hour', { retention });
  });
}
