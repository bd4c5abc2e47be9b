import { Gauge, register, type Registry } from 'prom-client';
import { lagSeconds, type MaintenanceStatus } from '../db/maintenance.js';

const NAMES = [
  'shelfops_maintenance_last_success_timestamp_seconds',
  'shelfops_maintenance_lag_seconds',
  'shelfops_maintenance_consecutive_failures',
  'shelfops_timescaledb_failing_jobs',
] as const;

/**
 * Exposes the upkeep's status on `/metrics`, read from `status` at each scrape: when each task
 * last succeeded, how far behind it is, its failures in a row, and the TimescaleDB jobs that
 * keep failing. A gateway created again in the same process replaces the previous gauges.
 */
export function registerMaintenanceMetrics(
  status: () => MaintenanceStatus,
  registry: Registry = register,
): void {
  for (const name of NAMES) registry.removeSingleMetric(name);
  const [lastSuccess, lag, failures, failingJobs] = NAMES;
  new Gauge({
    name: lastSuccess,
    help: 'Unix time of the last successful run of each maintenance task',
    labelNames: ['task'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of status().tasks) {
        if (t.lastSuccessAt) this.set({ task: t.task }, t.lastSuccessAt.getTime() / 1000);
      }
    },
  });
  new Gauge({
    name: lag,
    help: 'Seconds since the last successful run of each maintenance task',
    labelNames: ['task'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of status().tasks) {
        const seconds = lagSeconds(t);
        if (seconds !== null) this.set({ task: t.task }, seconds);
      }
    },
  });
  new Gauge({
    name: failures,
    help: 'Failed runs in a row of each maintenance task',
    labelNames: ['task'],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of status().tasks) this.set({ task: t.task }, t.consecutiveFailures);
    },
  });
  new Gauge({
    name: failingJobs,
    help: 'TimescaleDB jobs whose last run failed and that have not succeeded for two periods',
    registers: [registry],
    collect() {
      this.set(status().failingJobs.length);
    },
  });
}
