import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_TENANT, OPERATOR } from '../src/auth/viewer.js';
import type { JobRun } from '../src/db/maintenance.js';
import { chooseBackend, migrateUp, migrationStatus } from '../src/db/migrate.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import type { OperatorReport } from '../src/operator/desk.js';
import {
  createScratchDatabase,
  TSDB_SERVER_URL,
  type ScratchDatabase,
} from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { insertSales, insertTenants, salesTenant, type SaleRow } from './support/sales-data.js';

// What only a TimescaleDB server does: its job runner (the embedded build runs no job), jobs
// that outlive the gateway, and a database that must keep the variant it was migrated as.
// The other suites run on this server too where their backend list includes it (WITH_SERVER).

const DAY = 86_400_000;

interface ReadyBody {
  ready: boolean;
  maintenance: {
    mode: string;
    tasks: { task: string; consecutiveFailures: number; lastError: string | null }[];
    jobs: JobRun[];
    failingJobs: JobRun[];
  };
}

/** The database's jobs (TimescaleDB's own are below 1000) with what TimescaleDB recorded. */
async function recordedJobs(owner: Pool) {
  const { rows } = await owner.query<{
    id: number;
    proc: string;
    config: Record<string, unknown> | null;
    scheduled: boolean;
    status: string | null;
    runs: number;
    error: string | null;
    code: string | null;
  }>(
    `SELECT j.job_id AS id, j.proc_schema || '.' || j.proc_name AS proc, j.config, j.scheduled,
            s.last_run_status AS status, coalesce(s.total_runs, 0)::int AS runs,
            e.err_message AS error, e.sqlerrcode AS code
     FROM timescaledb_information.jobs j
     LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
     LEFT JOIN LATERAL (SELECT err_message, sqlerrcode FROM timescaledb_information.job_errors x
                        WHERE x.job_id = j.job_id ORDER BY finish_time DESC LIMIT 1) e ON true
     WHERE j.job_id >= 1000 ORDER BY j.job_id`,
  );
  return rows;
}

/**
 * Has the job runner start the matching jobs now and waits until each has finished a run that
 * started after this call.
 */
async function runJobsNow(owner: Pool, procs: string[]): Promise<void> {
  const { rows } = await owner.query<{ ids: number[]; since: Date }>(
    `SELECT array_agg(job_id) AS ids, now() AS since FROM timescaledb_information.jobs
     WHERE job_id >= 1000 AND proc_schema || '.' || proc_name = ANY($1)`,
    [procs],
  );
  const { ids, since } = rows[0] ?? { ids: [], since: new Date() };
  expect(ids.length, procs.join()).toBeGreaterThan(0);
  await owner.query(`SELECT alter_job(id, next_start => now()) FROM unnest($1::int[]) id`, [ids]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows: done } = await owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM timescaledb_information.job_stats
       WHERE job_id = ANY($1) AND last_run_started_at >= $2 AND job_status <> 'Running'
         AND last_run_status IS NOT NULL`,
      [ids, since],
    );
    if (done[0]?.n === ids.length) return;
    if (Date.now() > deadline) throw new Error(`jobs ${procs.join()} did not run within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe.skipIf(!TSDB_SERVER_URL)('TimescaleDB server (TSDB_URL)', () => {
  let scratch: ScratchDatabase;
  let gw: TestGateway | null = null;
  const t = salesTenant(0x75, 'Jobs', 2);
  const now = Date.now();
  const sale = (n: number, ageDays: number): SaleRow => ({
    customerId: t.customerId,
    transactionId: uuid(0x750, n),
    time: now - ageDays * DAY,
    storeId: uuid(1, 1 + (n % 2)),
    productId: uuid(2, 1 + (n % 3)),
    quantity: n,
    priceCents: 250n,
  });
  // Past retention (80 days), archived and compressed (20 to 45 days), hot (1 to 3 days).
  const sales = [80, 79, 45, 44, 30, 22, 21, 20, 3, 2, 1].map((age, n) => sale(n + 1, age));
  const env = (retention: string) => ({
    MAINTENANCE: 'jobs',
    COMPRESS_AFTER: '14 days',
    RETENTION: retention,
  });

  beforeAll(async () => {
    scratch = await createScratchDatabase(TSDB_SERVER_URL ?? '');
  });
  afterAll(async () => {
    await gw?.close();
    await scratch?.drop();
  });

  const restart = async (retention: string) => {
    await gw?.close();
    gw = await startTestGateway('timescale-server', {
      DATABASE_URL: scratch.url,
      ...env(retention),
    });
    return gw;
  };

  it('keeps its jobs across gateway restarts: the same ids, a changed setting altered in place', async () => {
    const first = await restart('60 days');
    const jobs = await recordedJobs(first.owner);
    // The jobs the gateway keeps (the migrations add the compression and refresh policies).
    const count = (proc: string) => jobs.filter((j) => j.proc === proc).length;
    expect(count('_timescaledb_functions.policy_retention')).toBe(0);
    expect(count('app.retention_job')).toBe(1);
    expect(count('archive.run_job')).toBe(1);
    const again = await restart('60 days');
    const settings = (rows: typeof jobs) =>
      rows.map(({ id, proc, config }) => ({ id, proc, config }));
    expect(settings(await recordedJobs(again.owner))).toEqual(settings(jobs));
    const changed = await restart('50 days');
    const after = await recordedJobs(changed.owner);
    expect(after.map((j) => j.id)).toEqual(jobs.map((j) => j.id));
    expect(after.find((j) => j.proc === 'app.retention_job')?.config).toEqual({
      retention: '50 days',
    });
  });

  it('runs archive, compression by policy and retention as jobs; answers stay those of the raw lines', async () => {
    const g = gw ?? (await restart('50 days'));
    await insertTenants(g.owner, [t]);
    await insertSales(g.owner, sales);
    // Written behind the gateway's back into ranges the refresh policy may have materialized
    // at start: refreshed as the gateway's own writes are. TimescaleDB 2.28 refuses a refresh
    // that overlaps its job runner's (55P03) instead of waiting: try again until the runner's ends.
    for (let tries = 0; ; tries += 1) {
      try {
        await refreshSalesRollups(g.owner, 'timescale', null, null);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '55P03' || tries >= 40) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    const token = await g.token(t.customerId);
    const range = { from: new Date(now - 60 * DAY).toISOString(), to: new Date(now).toISOString() };
    const ask = async () => {
      const res = await g.graphql<{ salesTrend: { bucket: string; units: number }[] }>(
        `query($r: TimeRange!) { salesTrend(range: $r, granularity: DAY) { bucket units } }`,
        { r: range },
        token,
      );
      expect(res.errors).toBeUndefined();
      return res.data?.salesTrend ?? [];
    };
    const before = await ask();

    await runJobsNow(g.owner, ['archive.run_job']);
    await runJobsNow(g.owner, ['_timescaledb_functions.policy_compression']);
    await runJobsNow(g.owner, ['app.retention_job']);
    await runJobsNow(g.owner, ['_timescaledb_functions.policy_refresh_continuous_aggregate']);

    // The archive job moved every line older than two weeks (by whole weeks) and the
    // compression policy compressed each archive chunk that holds them.
    const { rows: chunks } = await g.owner.query<{ compressed: boolean }>(
      `SELECT is_compressed AS compressed FROM timescaledb_information.chunks
       WHERE hypertable_schema = 'archive' AND hypertable_name = 'transactions'`,
    );
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((c) => c.compressed)).toBe(true);
    const { rows: hot } = await g.owner.query<{ oldest: Date }>(
      `SELECT min(time) AS oldest FROM transactions`,
    );
    expect(hot[0]?.oldest.getTime()).toBeGreaterThan(now - 21 * DAY);

    // Retention dropped the lines past 50 days, and their keys went with them: keys and
    // stored lines (hot and archived) are the same set.
    const { rows: stored } = await g.owner.query<{ id: string; time: Date }>(
      `SELECT transaction_id::text AS id, time FROM transactions
       UNION ALL SELECT transaction_id::text, time FROM archive.transactions ORDER BY 1`,
    );
    expect(stored.every((r) => r.time.getTime() > now - 80 * DAY)).toBe(true);
    expect(stored.length).toBeLessThan(sales.length);
    const { rows: keys } = await g.owner.query<{ id: string }>(
      `SELECT transaction_id::text AS id FROM sale_keys WHERE customer_id = $1 ORDER BY 1`,
      [t.customerId],
    );
    expect(keys.map((k) => k.id)).toEqual(stored.map((r) => r.id));

    // Reads across the compressed range answer as the raw lines do.
    const kept = new Set(stored.map((r) => r.id));
    const expected = new Map<string, number>();
    for (const s of sales.filter((s) => kept.has(s.transactionId))) {
      const day = new Date(Math.floor(s.time / DAY) * DAY).toISOString();
      expected.set(day, (expected.get(day) ?? 0) + s.quantity);
    }
    const answer = await ask();
    expect(
      new Map(
        answer.filter((b) => b.units > 0).map((b) => [new Date(b.bucket).toISOString(), b.units]),
      ),
    ).toEqual(expected);
    // The same as before the jobs, less the lines past retention.
    expect(answer.filter((b) => Date.parse(b.bucket) > now - 50 * DAY)).toEqual(
      before.filter((b) => Date.parse(b.bucket) > now - 50 * DAY),
    );
  });

  it('shows each job’s runs in /ready and /metrics as what they are, and a failing job as failing', async () => {
    const g = gw ?? (await restart('50 days'));
    // A job that fails for real: its procedure raises before doing anything.
    await g.owner.query(`CREATE PROCEDURE public.broken_job(job_id int, config jsonb)
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the shelf is empty'; END $$`);
    await g.owner.query(`SELECT add_job('public.broken_job', INTERVAL '1 hour')`);
    await runJobsNow(g.owner, ['public.broken_job', 'app.retention_job']);
    await g.database.runMaintenance();
    const body = (await (await fetch(`${g.url}/ready`)).json()) as ReadyBody;
    const recorded = await recordedJobs(g.owner);
    expect(body.maintenance.mode).toBe('jobs');
    expect(body.maintenance.jobs.map((j) => j.jobId)).toEqual(recorded.map((j) => j.id));

    const broken = recorded.find((j) => j.proc === 'public.broken_job');
    expect(broken).toMatchObject({ status: 'Failed', code: 'P0001', error: 'the shelf is empty' });
    expect(body.maintenance.failingJobs).toEqual([
      expect.objectContaining({
        jobId: broken?.id,
        outcome: 'failed',
        lastErrorCode: 'P0001',
        lastError: 'the shelf is empty',
      }),
    ]);
    // Every other job did its work (the previous test checked what each changed): a run
    // TimescaleDB recorded as Success is shown so; one recorded Failed after the work
    // ("cannot drop portal", PostgreSQL 15.20) is shown as done, with the error it recorded.
    for (const job of recorded.filter((j) => j.id !== broken?.id)) {
      const shown = body.maintenance.jobs.find((j) => j.jobId === job.id);
      if (job.status === 'Success') {
        expect(shown, job.proc).toMatchObject({ outcome: 'succeeded', lastError: null });
      } else {
        expect(job, job.proc).toMatchObject({ status: 'Failed', code: '24000' });
        expect(shown, job.proc).toMatchObject({
          outcome: 'done-recorded-failed',
          lastErrorCode: '24000',
          lastError: job.error,
        });
        expect(Date.parse(String(shown?.lastDoneAt)), job.proc).toBeGreaterThan(now);
      }
    }
    // The job runner starts a failed job again after its retry period times its failures in a
    // row, up to five of its periods: the gateway put each run that did its work back on its
    // schedule, as after a success.
    const { rows: offSchedule } = await g.owner.query<{ id: number }>(
      `SELECT j.job_id AS id FROM timescaledb_information.jobs j
       JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
       WHERE j.job_id = ANY($1) AND s.next_start <> s.last_run_started_at + j.schedule_interval`,
      [
        body.maintenance.jobs
          .filter((j) => j.outcome === 'done-recorded-failed')
          .map((j) => j.jobId),
      ],
    );
    expect(offSchedule).toEqual([]);
    const metrics = await (await fetch(`${g.url}/metrics`)).text();
    expect(metrics).toContain('shelfops_timescaledb_failing_jobs 1');
    expect(metrics).toContain('shelfops_timescaledb_jobs{outcome="failed",scheduled="true"} 1');
    const counted = [...metrics.matchAll(/^shelfops_timescaledb_jobs\{[^}]*\} (\d+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    expect(counted).toBe(recorded.length);
    await g.owner.query(
      `SELECT delete_job(job_id) FROM timescaledb_information.jobs WHERE proc_name = 'broken_job'`,
    );
  });
});

describe.skipIf(!TSDB_SERVER_URL)('a fresh install on the TimescaleDB server', () => {
  let scratch: ScratchDatabase;
  let owner: Pool;

  beforeAll(async () => {
    scratch = await createScratchDatabase(TSDB_SERVER_URL ?? '');
    owner = createPool(scratch.url, 2);
  });
  afterAll(async () => {
    await owner?.end();
    await scratch?.drop();
  });

  it('adds every policy paused, so that no job has run, nor failed, when the gateway starts', async () => {
    await migrateUp(owner, { timescaledb: 'auto' });
    // The job runner starts a scheduled policy within a second of its commit: give it the time.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const jobs = await recordedJobs(owner);
    expect(jobs.map((j) => j.proc).sort()).toEqual([
      ...Array<string>(4).fill('_timescaledb_functions.policy_compression'),
      ...Array<string>(2).fill('_timescaledb_functions.policy_refresh_continuous_aggregate'),
    ]);
    for (const job of jobs) {
      expect(job, job.proc).toMatchObject({ scheduled: false, status: null, runs: 0, error: null });
    }
    // Nor did one of the jobs that later migrations dropped with their aggregates.
    const errors = `SELECT count(*)::int AS n FROM timescaledb_information.job_errors
                    WHERE job_id >= 1000`;
    expect((await owner.query<{ n: number }>(errors)).rows).toEqual([{ n: 0 }]);
    // Their procedures work: run in a session, a job runs in the session's own portal.
    for (const job of jobs) await owner.query('CALL run_job($1)', [job.id]);
    expect((await owner.query<{ n: number }>(errors)).rows).toEqual([{ n: 0 }]);

    const gw = await startTestGateway('timescale-server', { DATABASE_URL: scratch.url });
    try {
      await gw.database.runMaintenance();
      const body = (await (await fetch(`${gw.url}/ready`)).json()) as ReadyBody;
      expect(body).toMatchObject({
        ready: true,
        maintenance: { mode: 'gateway', failingJobs: [] },
      });
      for (const task of body.maintenance.tasks) {
        expect(task, task.task).toMatchObject({ consecutiveFailures: 0, lastError: null });
      }
      const expected = jobs.map((j) => ({
        jobId: j.id,
        scheduled: false,
        outcome: 'not-run',
        lastError: null,
        totalFailures: 0,
      }));
      expect(body.maintenance.jobs).toEqual(expected.map((j) => expect.objectContaining(j)));
      const operator = await gw.token(NO_TENANT, OPERATOR);
      const answer = await gw.graphql<{ operatorReport: OperatorReport }>(
        '{ operatorReport }',
        {},
        operator,
      );
      expect(answer.data?.operatorReport.upkeep).toEqual({
        mode: 'gateway',
        jobs: expected.map((j) => expect.objectContaining(j)),
      });
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toContain(
        `shelfops_timescaledb_jobs{outcome="not-run",scheduled="false"} ${jobs.length}`,
      );
    } finally {
      await gw.close();
    }
  });
});

describe.skipIf(!TSDB_SERVER_URL)(
  'the variant a database was migrated as, on the TimescaleDB server',
  () => {
    let scratch: ScratchDatabase;
    let owner: Pool;

    beforeAll(async () => {
      scratch = await createScratchDatabase(TSDB_SERVER_URL ?? '');
      owner = createPool(scratch.url, 2);
      await migrateUp(owner, { timescaledb: 'off' });
    });
    afterAll(async () => {
      await owner?.end();
      await scratch?.drop();
    });

    it('keeps a database migrated as plain PostgreSQL plain when TimescaleDB is available, and says so', async () => {
      const said: string[] = [];
      expect(await chooseBackend(owner, 'auto', (m) => said.push(m))).toBe('native');
      expect(said).toEqual([expect.stringMatching(/migrated as plain PostgreSQL: it stays plain/)]);
      expect(await migrationStatus(owner, 'auto')).toMatchObject({
        backend: 'native',
        pending: [],
      });

      const gw = await startTestGateway('timescale-server', { DATABASE_URL: scratch.url });
      try {
        expect(gw.database.backend).toBe('native');
        const { rows } = await owner.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'timescaledb'`,
        );
        expect(rows[0]?.n).toBe(0);
        const { rows: ledger } = await owner.query<{ variant: string }>(
          `SELECT DISTINCT variant FROM shelfops_migrations`,
        );
        expect(ledger).toEqual([{ variant: 'native' }]);
        const ready = (await (await fetch(`${gw.url}/ready`)).json()) as { backend: string };
        expect(ready).toMatchObject({ ready: true, backend: 'native' });
      } finally {
        await gw.close();
      }
    });

    it('refuses to switch it with TIMESCALEDB=on, saying what to do instead', async () => {
      await expect(
        startTestGateway('timescale-server', { DATABASE_URL: scratch.url, TIMESCALEDB: 'on' }),
      ).rejects.toThrow(/migrated as plain PostgreSQL and is not switched in place/);
      const { rows } = await owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'timescaledb'`,
      );
      expect(rows[0]?.n).toBe(0);
    });

    it('refuses TIMESCALEDB=off on a database migrated with TimescaleDB', async () => {
      const other = await createScratchDatabase(TSDB_SERVER_URL ?? '');
      const pool = createPool(other.url, 1);
      try {
        await migrateUp(pool, { timescaledb: 'auto' });
        await expect(migrateUp(pool, { timescaledb: 'off' })).rejects.toThrow(
          /migrated with TimescaleDB and is not switched in place/,
        );
        expect(await chooseBackend(pool, 'auto')).toBe('timescale');
      } finally {
        await pool.end();
        await other.drop();
      }
    });
  },
);
