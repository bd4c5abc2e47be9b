import { inTransaction, type Queryable } from './pool.js';

// Any constant works; the same for every replica, other than the migration and maintenance locks'.
const JOBS_LOCK_KEY = 7_305_112_022;

/**
 * Keeps TimescaleDB's jobs as the configuration asks, one transaction under a lock shared by
 * the replicas (two starting at once do not both add a job). A job that exists keeps its id
 * and its run history: only a changed setting is altered in place.
 */
export async function withJobsLock(
  db: Queryable,
  work: (client: Queryable) => Promise<void>,
): Promise<void> {
  await inTransaction(db, async (client) => {
    await client.query('/* jobsLock */ SELECT pg_advisory_xact_lock($1)', [JOBS_LOCK_KEY]);
    await work(client);
  });
}

/**
 * Keeps one job running `proc` (schema-qualified) with `config`: added when missing, its
 * config altered when it differs, duplicates removed; every such job removed when `config` is
 * null. Returns the job's id (null when removed).
 */
export async function keepJob(
  db: Queryable,
  proc: string,
  schedule: string,
  config: Record<string, string> | null,
): Promise<number | null> {
  const [schema, name] = proc.split('.');
  const { rows } = await db.query<{ jobId: number; current: boolean }>(
    `/* findJobs */ SELECT job_id AS "jobId", config = $3::jsonb AS current
     FROM timescaledb_information.jobs WHERE proc_schema = $1 AND proc_name = $2
     ORDER BY job_id`,
    [schema, name, config],
  );
  const [kept, ...extra] = config === null ? [] : rows;
  for (const job of config === null ? rows : extra) {
    await db.query('/* deleteJob */ SELECT delete_job($1)', [job.jobId]);
  }
  if (config === null) return null;
  if (!kept) {
    const { rows: added } = await db.query<{ jobId: number }>(
      `/* addJob */ SELECT add_job($1::regproc, $2::interval, config => $3::jsonb) AS "jobId"`,
      [proc, schedule, config],
    );
    return added[0]?.jobId ?? null;
  }
  if (!kept.current) {
    await db.query('/* alterJobConfig */ SELECT alter_job($1, config => $2::jsonb)', [
      kept.jobId,
      config,
    ]);
  }
  return kept.jobId;
}
