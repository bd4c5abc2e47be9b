import type { Logger } from '../logger.js';
import { archiveOlderThan, compressArchive, ensureArchiveJob } from './archive.js';
import { refreshStaleRollups } from './freshness.js';
import type { Backend } from './migrate.js';
import type { Pool, Queryable } from './pool.js';
import {
  applyRetention,
  ensureRetentionPolicies,
  refreshSalesRollups,
  type RetentionOutcome,
} from './rollups.js';

/** The upkeep the database needs, each reported on its own. */
export type MaintenanceTask = 'refresh' | 'archive' | 'compress' | 'retention';

/**
 * Who runs the upkeep: the gateway itself (its maintenance loop), or TimescaleDB's job
 * runner. The embedded database and plain PostgreSQL have no job runner: always the gateway.
 */
export type MaintenanceMode = 'gateway' | 'jobs';

/** One task's record: when it last succeeded and failed, and how long ago it succeeded. */
export interface TaskStatus {
  task: MaintenanceTask;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastError: string | null;
  consecutiveFailures: number;
  lastDurationMs: number | null;
}

/**
 * How a TimescaleDB job's last run ended, as far as its work goes: `done-recorded-failed` is a
 * run that did its work and was then recorded Failed by TimescaleDB's job runner ("cannot drop
 * portal", SQLSTATE 24000: every run of a background worker on PostgreSQL 15.20 with TimescaleDB
 * 2.23 and 2.28.3). PostgreSQL 15.20 refuses to drop a portal that was never started, and the
 * runner drops the empty portal it made for the job after the job's transaction has committed;
 * `CALL run_job(id)` runs in its caller's portal and makes none.
 */
export type JobOutcome = 'not-run' | 'succeeded' | 'done-recorded-failed' | 'failed';

/** One TimescaleDB job of the database and its last run. */
export interface JobRun {
  jobId: number;
  name: string;
  /** Paused jobs (the gateway runs the upkeep) keep the record of their last run. */
  scheduled: boolean;
  /** Its period, as PostgreSQL writes an interval (`00:05:00`). */
  schedule: string;
  /** When the job runner starts it next; null while it is paused. */
  nextStart: Date | null;
  outcome: JobOutcome;
  /** What TimescaleDB recorded: Success, Failed, or null before the first run. */
  lastRunStatus: string | null;
  lastRunAt: Date | null;
  /** The last run that did its work (a success, or a run recorded failed after the work). */
  lastDoneAt: Date | null;
  /** The error TimescaleDB recorded for the last run when it failed. */
  lastErrorCode: string | null;
  lastError: string | null;
  totalRuns: number;
  totalFailures: number;
}

/** A job whose work has not been done for two of its periods, its last run failed. */
export type FailingJob = JobRun;

/** What `/ready` and `/metrics` report of the upkeep. */
export interface MaintenanceStatus {
  mode: MaintenanceMode;
  tasks: TaskStatus[];
  /** Every TimescaleDB job of the database with how its last run ended. */
  jobs: JobRun[];
  failingJobs: FailingJob[];
}

export interface MaintenanceOptions {
  backend: Backend;
  embedded: boolean;
  mode: MaintenanceMode;
  /** null: nothing is archived or compressed. */
  compressAfter: string | null;
  /** RETENTION: the horizon a tenant without one of its own takes. */
  retention: string;
  logger: Logger;
}

// Any constant works; the same for every replica, other than the migration lock's.
const MAINTENANCE_LOCK_KEY = 7_305_112_021;

/** Seconds since the task last succeeded at `now`; null when it never has. */
export function lagSeconds(status: TaskStatus, now = Date.now()): number | null {
  return status.lastSuccessAt ? Math.max(0, (now - status.lastSuccessAt.getTime()) / 1000) : null;
}

/** A job's run as reported, without the failing flag the status keeps apart. */
const withoutFailing = ({ failing: _, ...job }: JobRun & { failing: boolean }): JobRun => job;

/** The database's upkeep: run by the gateway or left to TimescaleDB's jobs, and reported. */
export class Maintenance {
  private snapshot: MaintenanceStatus;
  /** What this process's retention runs deleted, for `/metrics`. */
  readonly retentionDeleted = { lines: 0, keys: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly options: MaintenanceOptions,
  ) {
    this.snapshot = { mode: this.mode, tasks: [], jobs: [], failingJobs: [] };
  }

  /** Where no job runner exists the gateway runs everything, whatever the setting says. */
  get mode(): MaintenanceMode {
    const { backend, embedded, mode } = this.options;
    return backend === 'timescale' && !embedded ? mode : 'gateway';
  }

  /** The tasks this database needs. */
  get tasks(): MaintenanceTask[] {
    if (this.options.backend !== 'timescale') return ['refresh', 'retention'];
    return this.options.compressAfter === null
      ? ['refresh', 'retention']
      : ['archive', 'refresh', 'compress', 'retention'];
  }

  /** The last status read from the database (refreshed by every `run`). */
  get status(): MaintenanceStatus {
    return this.snapshot;
  }

  /**
   * Sets up who runs the upkeep on a TimescaleDB server: in `jobs` mode the retention and
   * archive jobs are registered and every job of the database is scheduled; in `gateway` mode
   * they are all paused, so that the gateway's loop is the one runner.
   */
  async prepare(): Promise<void> {
    const { backend, embedded, retention, compressAfter } = this.options;
    if (backend !== 'timescale' || embedded) return;
    const jobs = this.mode === 'jobs';
    if (jobs) {
      await ensureRetentionPolicies(this.pool, retention);
      await ensureArchiveJob(this.pool, compressAfter);
    }
    // Job ids below 1000 are TimescaleDB's own (telemetry, job history).
    await this.pool.query(
      `/* scheduleJobs */ SELECT alter_job(job_id, scheduled => $1)
       FROM timescaledb_information.jobs WHERE job_id >= 1000 AND scheduled <> $1`,
      [jobs],
    );
  }

  /**
   * One round of upkeep where the gateway runs it (each task recorded on its own, a failure
   * not stopping the next), then reads back the status of every task and failing job.
   * Replicas take turns through an advisory lock: the round is skipped while another holds it.
   */
  async run(): Promise<void> {
    if (this.mode === 'gateway') {
      if (this.options.embedded) await this.runTasks(this.pool);
      else await this.withLock((client) => this.runTasks(client));
    } else {
      await this.keepJobsOnSchedule();
    }
    await this.readStatus();
  }

  /**
   * Puts each job whose last run did its work but was recorded Failed (done-recorded-failed)
   * back on its schedule, as after a success: the job runner starts a failed job again after
   * its retry period times its failures in a row, up to five of its periods, so a job ran early
   * (compression retries after an hour on a 12-hour schedule) and then up to five times late.
   */
  private async keepJobsOnSchedule(): Promise<void> {
    const late = (await this.jobRuns())
      .filter((j) => j.scheduled && j.outcome === 'done-recorded-failed')
      .map((j) => j.jobId);
    if (late.length === 0) return;
    await this.pool.query(
      `/* keepJobsOnSchedule */
       SELECT alter_job(j.job_id,
                next_start => greatest(now(), s.last_run_started_at + j.schedule_interval))
       FROM timescaledb_information.jobs j
       JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
       WHERE j.job_id = ANY($1) AND s.job_status = 'Scheduled'
         AND s.next_start <> s.last_run_started_at + j.schedule_interval`,
      [late],
    );
  }

  private async withLock(work: (client: Queryable) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    let failed = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        '/* maintenanceLock */ SELECT pg_try_advisory_lock($1) AS locked',
        [MAINTENANCE_LOCK_KEY],
      );
      if (!rows[0]?.locked) return;
      try {
        await work(client);
      } finally {
        await client.query('/* maintenanceUnlock */ SELECT pg_advisory_unlock($1)', [
          MAINTENANCE_LOCK_KEY,
        ]);
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      client.release(failed);
    }
  }

  private async runTasks(db: Queryable): Promise<void> {
    const { backend, embedded, compressAfter, retention } = this.options;
    let moved = 0;
    const steps: Record<MaintenanceTask, () => Promise<void>> = {
      archive: async () => {
        const moves = compressAfter === null ? [] : await archiveOlderThan(db, compressAfter);
        moved = moves.reduce((sum, m) => sum + m.moved, 0);
        if (moved > 0) this.options.logger.info({ moves }, 'old rows archived');
      },
      refresh: async () => {
        await refreshStaleRollups(db, backend);
        await refreshSalesRollups(db, backend, null, null);
      },
      compress: async () => {
        const chunks = await compressArchive(db);
        // The embedded database has no autovacuum: reclaim what the move and the refresh of
        // the emptied rollup ranges left behind.
        if (embedded && moved + chunks > 0)
          await db.query('/* vacuumAfterArchive */ VACUUM ANALYZE');
      },
      retention: async () => this.logRetention(await applyRetention(db, retention)),
    };
    for (const task of this.tasks) await this.record(db, task, steps[task]);
  }

  private logRetention(outcomes: RetentionOutcome[]): void {
    for (const o of outcomes) {
      if (o.lines + o.keys === 0) continue;
      this.retentionDeleted.lines += o.lines;
      this.retentionDeleted.keys += o.keys;
      this.options.logger.info(
        {
          tenant: o.customerId,
          retention: o.retention,
          cutoff: o.cutoff,
          lines: o.lines,
          keys: o.keys,
        },
        'retention deleted old sale lines',
      );
    }
  }

  private async record(db: Queryable, task: MaintenanceTask, step: () => Promise<void>) {
    const started = Date.now();
    try {
      await step();
      await db.query(
        `/* maintenanceSucceeded */
         INSERT INTO app.maintenance_runs (task, last_success_at, consecutive_failures, last_duration_ms)
         VALUES ($1, now(), 0, $2)
         ON CONFLICT (task) DO UPDATE SET last_success_at = excluded.last_success_at,
           consecutive_failures = 0, last_duration_ms = excluded.last_duration_ms`,
        [task, Date.now() - started],
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger.error({ err: error, task }, 'maintenance task failed');
      await db.query(
        `/* maintenanceFailed */
         INSERT INTO app.maintenance_runs (task, last_failure_at, last_error, consecutive_failures, last_duration_ms)
         VALUES ($1, now(), $2, 1, $3)
         ON CONFLICT (task) DO UPDATE SET last_failure_at = excluded.last_failure_at,
           last_error = excluded.last_error, last_duration_ms = excluded.last_duration_ms,
           consecutive_failures = app.maintenance_runs.consecutive_failures + 1`,
        [task, message.slice(0, 500), Date.now() - started],
      );
    }
  }

  private async readStatus(): Promise<void> {
    const { rows } = await this.pool.query<TaskStatus>(
      `/* maintenanceStatus */
       SELECT task, last_success_at AS "lastSuccessAt", last_failure_at AS "lastFailureAt",
              last_error AS "lastError", consecutive_failures AS "consecutiveFailures",
              last_duration_ms AS "lastDurationMs"
       FROM app.maintenance_runs ORDER BY task`,
    );
    const recorded = new Map(rows.map((r) => [r.task, r]));
    const tasks = this.tasks.map(
      (task): TaskStatus =>
        recorded.get(task) ?? {
          task,
          lastSuccessAt: null,
          lastFailureAt: null,
          lastError: null,
          consecutiveFailures: 0,
          lastDurationMs: null,
        },
    );
    const jobs = await this.jobRuns();
    const failingJobs = jobs.filter((j) => j.failing).map(withoutFailing);
    for (const job of failingJobs) {
      this.options.logger.warn({ job }, 'a TimescaleDB job keeps failing');
    }
    this.snapshot = {
      mode: this.mode,
      tasks,
      jobs: jobs.map(withoutFailing),
      failingJobs,
    };
  }

  /** Every TimescaleDB job of the database with how its last run ended, read now. */
  async jobs(): Promise<JobRun[]> {
    return (await this.jobRuns()).map(withoutFailing);
  }

  /**
   * The database's jobs (ids below 1000 are TimescaleDB's own; none without TimescaleDB) and
   * their last runs, read from TimescaleDB's public views. A job is failing when its last run
   * failed and its work has not been done for two of its periods; a run recorded failed after
   * the work counts as done.
   */
  private async jobRuns(): Promise<(JobRun & { failing: boolean })[]> {
    if (this.options.backend !== 'timescale') return [];
    const { rows } = await this.pool.query<JobRun & { failing: boolean }>(
      `/* jobRuns */
       WITH last_error AS (
         SELECT DISTINCT ON (job_id) job_id, sqlerrcode, err_message
         FROM timescaledb_information.job_errors ORDER BY job_id, finish_time DESC
       ), done_despite_error AS (
         SELECT job_id, max(finish_time) AS at FROM timescaledb_information.job_errors
         WHERE sqlerrcode = '24000' AND err_message LIKE 'cannot drop portal%' GROUP BY job_id
       ), runs AS (
         SELECT j.job_id, j.application_name, j.scheduled, j.schedule_interval, s.next_start,
                s.last_run_status,
                nullif(s.last_run_started_at, '-infinity') AS last_run_at,
                CASE WHEN s.last_run_status = 'Failed' THEN e.sqlerrcode END AS error_code,
                CASE WHEN s.last_run_status = 'Failed' THEN e.err_message END AS error,
                greatest(nullif(s.last_successful_finish, '-infinity'), d.at) AS last_done_at,
                coalesce(s.total_runs, 0)::int AS total_runs,
                coalesce(s.total_failures, 0)::int AS total_failures
         FROM timescaledb_information.jobs j
         LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
         LEFT JOIN last_error e ON e.job_id = j.job_id
         LEFT JOIN done_despite_error d ON d.job_id = j.job_id
         WHERE j.job_id >= 1000
       ), judged AS (
         SELECT r.*, CASE
                  WHEN r.last_run_status IS NULL THEN 'not-run'
                  WHEN r.last_run_status = 'Success' THEN 'succeeded'
                  WHEN r.error_code = '24000' AND r.error LIKE 'cannot drop portal%'
                    THEN 'done-recorded-failed'
                  ELSE 'failed' END AS outcome
         FROM runs r
       )
       SELECT job_id AS "jobId", application_name AS "name", scheduled,
              schedule_interval::text AS schedule,
              CASE WHEN isfinite(next_start) THEN next_start END AS "nextStart",
              outcome,
              last_run_status AS "lastRunStatus", last_run_at AS "lastRunAt",
              last_done_at AS "lastDoneAt", error_code AS "lastErrorCode", error AS "lastError",
              total_runs AS "totalRuns", total_failures AS "totalFailures",
              scheduled AND outcome = 'failed'
                AND (last_done_at IS NULL OR last_done_at < now() - 2 * schedule_interval)
                AS failing
       FROM judged ORDER BY job_id`,
    );
    return rows;
  }
}
