import { keepJob, withJobsLock } from './jobs.js';
import { inTransaction, type Queryable } from './pool.js';
import type { Backend } from './migrate.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Brings the sales rollups up to date for `[from, to)`. TimescaleDB keeps back-dated rows out
 * of an already materialized range until it is refreshed; the plain-PostgreSQL rollups are
 * tables kept exact by triggers in the writing transaction. Runs outside any transaction, on
 * the maintenance pool.
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
  await pool.query(
    `/* refreshSalesHourly */ CALL refresh_continuous_aggregate('rollup.sales_hourly', $1::timestamptz, $2::timestamptz)`,
    [hourFrom, hourTo],
  );
  await pool.query(
    `/* refreshSalesDaily */ CALL refresh_continuous_aggregate('rollup.sales_daily', $1::timestamptz, $2::timestamptz)`,
    [dayFrom, dayTo],
  );
}

// The raw time-series hypertables, hot and archived; the rollups keep their history.
const RAW_HYPERTABLES = `SELECT format('%I.%I', hypertable_schema, hypertable_name)
  FROM timescaledb_information.hypertables
  WHERE hypertable_schema = 'public'
     OR (hypertable_schema = 'archive' AND hypertable_name IN ('transactions', 'inventory_levels'))`;

/**
 * Plain PostgreSQL's retention deletes ($1: every tenant id, $2: the cutoff instant): a range
 * of each tenant in the (customer_id, time) indexes rather than a scan of the whole table. The
 * cutoff is a value, not `now() - interval`, so the planner sees how few rows it reaches. The
 * idempotency keys of the deleted lines go too: ingest refuses lines that old, so no key older
 * than the cutoff can decide a duplicate again.
 */
export const NATIVE_RETENTION_DELETES = [
  `/* deleteOldTransactions */ DELETE FROM transactions
   WHERE customer_id = ANY($1::uuid[]) AND time < $2::timestamptz`,
  `/* deleteOldInventory */ DELETE FROM inventory_levels
   WHERE customer_id = ANY($1::uuid[]) AND time < $2::timestamptz`,
  `/* deleteOldForecasts */ DELETE FROM forecasts
   WHERE customer_id = ANY($1::uuid[]) AND time < $2::timestamptz`,
  `/* deleteOldSaleKeys */ DELETE FROM sale_keys
   WHERE customer_id = ANY($1::uuid[]) AND time < $2::timestamptz`,
];

/**
 * Drops raw time-series rows older than `retention` (a PostgreSQL interval), and the sale
 * lines' idempotency keys with them. The rollups keep their history on both backends: on plain
 * PostgreSQL the delete is flagged (`app.retention_delete`) so the rollup triggers leave the
 * totals alone, as TimescaleDB's drop_chunks leaves the continuous aggregates. On TimescaleDB
 * the keys go by app.prune_sale_keys, which keeps those of lines left in a chunk that reaches
 * past the cutoff (sql/0012_sale_key_retention.timescale.up.sql).
 */
export async function applyRetention(pool: Queryable, backend: Backend, retention: string) {
  if (backend === 'timescale') {
    await pool.query(
      `/* dropOldChunks */ SELECT drop_chunks(h.format::regclass, older_than => $1::interval)
       FROM (${RAW_HYPERTABLES}) h`,
      [retention],
    );
    await pool.query(
      `/* pruneSaleKeys */ CALL app.prune_sale_keys(NULL, jsonb_build_object('retention', $1::text))`,
      [retention],
    );
    return;
  }
  await inTransaction(pool, async (client) => {
    await client.query(
      `/* flagRetentionDelete */ SELECT set_config('app.retention_delete', 'on', true)`,
    );
    const { rows } = await client.query<{ tenants: string[]; cutoff: Date }>(
      `/* retentionCutoff */ SELECT ARRAY(SELECT id FROM customers) AS tenants,
              now() - $1::interval AS cutoff`,
      [retention],
    );
    const { tenants, cutoff } = rows[0] ?? { tenants: [], cutoff: new Date(0) };
    for (const statement of NATIVE_RETENTION_DELETES) {
      await client.query(statement, [tenants, cutoff]);
    }
  });
}

/**
 * Keeps TimescaleDB's retention jobs at the configured interval (servers with a job runner),
 * with the job that prunes the idempotency keys of the dropped lines. Jobs that exist keep
 * their ids and history; a changed interval is altered in place.
 */
export async function ensureRetentionPolicies(pool: Queryable, retention: string): Promise<void> {
  await withJobsLock(pool, async (client) => {
    await client.query(
      `/* alignRetentionPolicies */
       SELECT alter_job(j.job_id,
                        config => jsonb_set(j.config, '{drop_after}', to_jsonb($1::interval::text)))
       FROM timescaledb_information.jobs j
       JOIN (${RAW_HYPERTABLES}) h ON h.format = format('%I.%I', j.hypertable_schema, j.hypertable_name)
       WHERE j.proc_name = 'policy_retention'
         AND (j.config->>'drop_after')::interval IS DISTINCT FROM $1::interval`,
      [retention],
    );
    await client.query(
      `/* addRetentionPolicies */
       SELECT add_retention_policy(h.format::regclass, drop_after => $1::interval, if_not_exists => true)
       FROM (${RAW_HYPERTABLES}) h`,
      [retention],
    );
    await keepJob(client, 'app.prune_sale_keys', '1 hour', { retention });
  });
}
