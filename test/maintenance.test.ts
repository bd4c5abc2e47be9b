import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { Maintenance } from '../src/db/maintenance.js';
import { BACKENDS } from './support/backends.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

interface ReadyBody {
  ready: boolean;
  maintenance: {
    mode: string;
    tasks: {
      task: string;
      lastSuccessAt: string | null;
      lagSeconds: number | null;
      consecutiveFailures: number;
      lastError: string | null;
    }[];
    failingJobs: { jobId: number; name: string }[];
  };
}

async function ready(gw: TestGateway): Promise<ReadyBody> {
  const response = await fetch(`${gw.url}/ready`);
  return (await response.json()) as ReadyBody;
}

describe.each(BACKENDS)('the gateway’s own maintenance on %s', (kind) => {
  let gw: TestGateway;
  const tasks =
    kind === 'timescale'
      ? ['archive', 'compress', 'refresh', 'retention']
      : ['refresh', 'retention'];

  beforeAll(async () => {
    gw = await startTestGateway(kind);
  });
  afterAll(() => gw?.close());

  it('reports each task’s last success and lag in /ready and /metrics', async () => {
    const before = Date.now();
    await gw.database.runMaintenance();
    const body = await ready(gw);
    expect(body.maintenance.mode).toBe('gateway');
    expect(body.maintenance.tasks.map((t) => t.task).sort()).toEqual(tasks);
    for (const t of body.maintenance.tasks) {
      expect(t.consecutiveFailures, t.task).toBe(0);
      expect(Date.parse(t.lastSuccessAt ?? ''), t.task).toBeGreaterThanOrEqual(before - 1000);
      expect(t.lagSeconds, t.task).toBeLessThan(60);
    }
    expect(body.maintenance.failingJobs).toEqual([]);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    for (const task of tasks) {
      expect(metrics).toMatch(
        new RegExp(`shelfops_maintenance_lag_seconds\\{task="${task}"\\} \\d`),
      );
      expect(metrics).toContain(`shelfops_maintenance_consecutive_failures{task="${task}"} 0`);
    }
    expect(metrics).toContain('shelfops_timescaledb_failing_jobs 0');
  });

  it('records a failing task with its error, counts failures in a row, and recovers', async () => {
    // Retention deletes (plain PostgreSQL) or drops chunks (TimescaleDB) of `forecasts`, for
    // each tenant at its own horizon: there must be a tenant.
    await gw.owner.query(
      `INSERT INTO customers (id, name) VALUES (gen_random_uuid(), 'Retained') ON CONFLICT DO NOTHING`,
    );
    await gw.owner.query('ALTER TABLE forecasts RENAME TO forecasts_away');
    try {
      await gw.database.runMaintenance();
      await gw.database.runMaintenance();
    } finally {
      await gw.owner.query('ALTER TABLE forecasts_away RENAME TO forecasts');
    }
    const failing = (await ready(gw)).maintenance.tasks.find((t) => t.task === 'retention');
    if (kind === 'postgres') {
      expect(failing).toMatchObject({ consecutiveFailures: 2 });
      expect(failing?.lastError).toMatch(/forecasts/);
    }
    await gw.database.runMaintenance();
    const recovered = (await ready(gw)).maintenance.tasks.find((t) => t.task === 'retention');
    expect(recovered).toMatchObject({ consecutiveFailures: 0 });
  });
});

describe('maintenance shared by replicas (PostgreSQL server)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway('postgres');
  });
  afterAll(() => gw?.close());

  it('skips the round while another replica holds the maintenance lock', async () => {
    const maintenance = new Maintenance(gw.owner, {
      backend: 'native',
      embedded: false,
      mode: 'gateway',
      compressAfter: null,
      retention: '2 years',
      logger: createLogger('silent'),
    });
    await maintenance.run();
    const first = maintenance.status.tasks[0]?.lastSuccessAt;
    expect(first).toBeInstanceOf(Date);
    const other = await gw.owner.connect();
    try {
      await other.query('SELECT pg_advisory_lock(7305112021)');
      await maintenance.run();
      expect(maintenance.status.tasks[0]?.lastSuccessAt).toEqual(first);
      await other.query('SELECT pg_advisory_unlock(7305112021)');
    } finally {
      other.release();
    }
    await maintenance.run();
    expect(maintenance.status.tasks[0]?.lastSuccessAt?.getTime()).toBeGreaterThan(
      first?.getTime() ?? Infinity,
    );
  });
});

describe('maintenance of a TimescaleDB server (run on the embedded TimescaleDB)', () => {
  let gw: TestGateway;
  const logger = createLogger('silent');

  beforeAll(async () => {
    gw = await startTestGateway('timescale');
  });
  afterAll(() => gw?.close());

  /** The server's maintenance, as a gateway on DATABASE_URL would set it up. */
  const serverMaintenance = (mode: 'gateway' | 'jobs') =>
    new Maintenance(gw.owner, {
      backend: 'timescale',
      embedded: false,
      mode,
      compressAfter: '30 days',
      retention: '2 years',
      logger,
    });

  async function jobs() {
    const { rows } = await gw.owner.query<{ name: string; scheduled: boolean }>(
      `SELECT application_name AS name, scheduled FROM timescaledb_information.jobs
       WHERE job_id >= 1000 ORDER BY job_id`,
    );
    return rows;
  }

  it('pauses TimescaleDB’s jobs when the gateway maintains, and schedules them in jobs mode', async () => {
    await serverMaintenance('jobs').prepare();
    const scheduled = await jobs();
    // Retention is one job over every tenant's own horizon, not a policy per hypertable.
    expect(scheduled.map((j) => j.name).join(' ')).toMatch(/Refresh.*User-Defined Action/);
    expect(scheduled.map((j) => j.name).join(' ')).not.toContain('Retention Policy');
    expect(scheduled.map((j) => j.name).join(' ')).toContain('User-Defined Action');
    expect(scheduled.every((j) => j.scheduled)).toBe(true);

    await serverMaintenance('gateway').prepare();
    const paused = await jobs();
    expect(paused.length).toBe(scheduled.length);
    expect(paused.some((j) => j.scheduled)).toBe(false);
  });

  it('runs every task of a server round and records each', async () => {
    const maintenance = serverMaintenance('gateway');
    await maintenance.run();
    expect(maintenance.status.tasks.map((t) => t.task)).toEqual([
      'archive',
      'refresh',
      'compress',
      'retention',
    ]);
    for (const t of maintenance.status.tasks) {
      expect(t.lastSuccessAt, t.task).toBeInstanceOf(Date);
      expect(t.consecutiveFailures, t.task).toBe(0);
    }
  });

  it('detects TimescaleDB jobs that keep failing', async () => {
    await serverMaintenance('jobs').prepare();
    const { rows } = await gw.owner.query<{ id: number }>(
      `SELECT job_id AS id FROM timescaledb_information.jobs
       WHERE application_name LIKE 'Refresh Continuous Aggregate%' ORDER BY job_id LIMIT 1`,
    );
    const job = rows[0]?.id;
    expect(job).toBeDefined();
    // What the job runner writes after a run that failed, with no success since.
    await gw.owner.query(
      `INSERT INTO _timescaledb_internal.bgw_job_stat
         (job_id, last_start, last_finish, next_start, last_successful_finish, last_run_success,
          total_runs, total_duration, total_duration_failures, total_successes, total_failures,
          total_crashes, consecutive_failures, consecutive_crashes, flags)
       VALUES ($1, now() - interval '1 hour', now() - interval '59 minutes', now() + interval '1 hour',
               now() - interval '1 day', false, 9, interval '9 s', interval '8 s', 1, 8, 0, 8, 0, 0)`,
      [job],
    );
    const maintenance = serverMaintenance('jobs');
    await maintenance.run();
    expect(maintenance.status.failingJobs).toEqual([
      expect.objectContaining({ jobId: job, lastRunStatus: 'Failed', totalFailures: 8 }),
    ]);
    await gw.owner.query('DELETE FROM _timescaledb_internal.bgw_job_stat WHERE job_id = $1', [job]);
    await serverMaintenance('gateway').prepare();
  });
});
