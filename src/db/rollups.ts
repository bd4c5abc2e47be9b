import type { Queryable } from './pool.js';
import type { Backend } from './migrate.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Brings the sales rollups up to date for `[from, to)`. TimescaleDB keeps back-dated rows out
 * of an already materialized range until it is refreshed; the plain-PostgreSQL rollups are
 * views and always current. Runs outside any transaction, on the maintenance pool.
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

const DELETE_OLD_ROWS = [
  `/* deleteOldTransactions */ DELETE FROM transactions WHERE time < now() - $1::interval`,
  `/* deleteOldInventory */ DELETE FROM inventory_levels WHERE time < now() - $1::interval`,
  `/* deleteOldForecasts */ DELETE FROM forecasts WHERE time < now() - $1::interval`,
];

/** Drops raw time-series rows older than `retention` (a PostgreSQL interval). */
export async function applyRetention(pool: Queryable, backend: Backend, retention: string) {
  if (backend === 'timescale') {
    await pool.query(
      `/* dropOldChunks */ SELECT drop_chunks(h.format::regclass, older_than => $1::interval)
       FROM (${RAW_HYPERTABLES}) h`,
      [retention],
    );
    return;
  }
  for (const statement of DELETE_OLD_ROWS) await pool.query(statement, [retention]);
}

/** Keeps TimescaleDB's retention jobs at the configured interval (servers with a job runner). */
export async function ensureRetentionPolicies(pool: Queryable, retention: string): Promise<void> {
  await pool.query(
    `/* resetRetentionPolicies */
     SELECT remove_retention_policy(h.format::regclass, if_exists => true),
            add_retention_policy(h.format::regclass, drop_after => $1::interval)
     FROM (${RAW_HYPERTABLES}) h`,
    [retention],
  );
}
