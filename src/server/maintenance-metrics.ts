import { lagSeconds, type MaintenanceStatus } from '../db/maintenance.js';
import type { Metrics } from './metrics.js';

/**
 * Exposes the upkeep's status on `/metrics`, read from `status` at each scrape: when each task
 * last succeeded, how far behind it is, its failures in a row, every TimescaleDB job by how
 * its last run ended, and the jobs that keep failing.
 */
export function registerMaintenanceMetrics(
  metrics: Metrics,
  status: () => MaintenanceStatus,
): void {
  metrics.gauge({
    name: 'shelfops_maintenance_last_success_timestamp_seconds',
    help: 'Unix time of the last successful run of each maintenance task',
    labelNames: ['task'],
    collect() {
      this.reset();
      for (const t of status().tasks) {
        if (t.lastSuccessAt) this.set({ task: t.task }, t.lastSuccessAt.getTime() / 1000);
      }
    },
  });
  metrics.gauge({
    name: 'shelfops_maintenance_lag_seconds',
    help: 'Seconds since the last successful run of each maintenance task',
    labelNames: ['task'],
    collect() {
      this.reset();
      for (const t of status().tasks) {
        const seconds = lagSeconds(t);
        if (seconds !== null) this.set({ task: t.task }, seconds);
      }
    },
  });
  metrics.gauge({
    name: 'shelfops_maintenance_consecutive_failures',
    help: 'Failed runs in a row of each maintenance task',
    labelNames: ['task'],
    collect() {
      this.reset();
      for (const t of status().tasks) this.set({ task: t.task }, t.consecutiveFailures);
    },
  });
  metrics.gauge({
    name: 'shelfops_timescaledb_jobs',
    help:
      'TimescaleDB jobs by how their last run ended: succeeded, failed, not-run, or ' +
      'done-recorded-failed (did its work, then recorded Failed by the job runner)',
    labelNames: ['outcome', 'scheduled'],
    collect() {
      this.reset();
      for (const job of status().jobs) {
        this.inc({ outcome: job.outcome, scheduled: String(job.scheduled) });
      }
    },
  });
  metrics.gauge({
    name: 'shelfops_timescaledb_failing_jobs',
    help: 'TimescaleDB jobs whose last run failed and that have not succeeded for two periods',
    collect() {
      this.set(status().failingJobs.length);
    },
  });
}

/** Counts on `/metrics` what this process's retention runs deleted (every tenant together). */
export function registerRetentionMetrics(
  metrics: Metrics,
  deleted: () => { lines: number; keys: number },
): void {
  metrics.counter({
    name: 'shelfops_retention_deleted_lines_total',
    help: 'Sale lines deleted by retention runs, each tenant at its own horizon',
    collect() {
      this.reset();
      this.inc(deleted().lines);
    },
  });
  metrics.counter({
    name: 'shelfops_retention_deleted_keys_total',
    help: 'Idempotency keys of sale lines deleted by retention runs',
    collect() {
      this.reset();
      this.inc(deleted().keys);
    },
  });
}
