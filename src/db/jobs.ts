import { inTransaction, type Queryable } from './pool.js';

// TimescaleDB 2.28 refuses a continuous-aggregate refresh that overlaps one its job runner is
// doing on the same aggregate (SQLSTATE 55P03, lock not available) instead of waiting for it.
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Whether `error` says a job of TimescaleDB's runner had what the work needs: a lock (55P03),
 * or the catalog row of a job that the runner updated while the work dropped it ("tuple
 * concurrently deleted", an internal error, met when a migration drops an aggregate whose
 * policy is running).
 */
function metRunningJob(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === LOCK_NOT_AVAILABLE ||
    (code === 'XX000' && typeof message === 'string' && message.includes('concurrently'))
  );
}

/**
 * Runs `work`, again while TimescaleDB's job runner holds what it needs (metRunningJob), after
 * `pauseMs(attempt)`, `attempts` times at most; any other error at once.
 */
export async function retryWhileJobRuns<T>(
  work: () => Promise<T>,
  attempts: number,
  pauseMs: (attempt: number) => number,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!metRunningJob(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs(attempt)));
    }
  }
}

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
