import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../src/db/migrate.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { TSDB_SERVER_URL, variantOf, type BackendKind } from './support/backends.js';
import { runCli } from './support/cli.js';
import { TEST_SECRET } from './support/gateway.js';
import { asEmbeddedOwner, copyServerTemplate, filledEmbeddedCopy } from './support/templates.js';

// What the operator's commands change when they open the database themselves, whatever the
// environment they run in says a gateway's start would do (MIGRATE_ON_START, MAINTENANCE,
// EMBEDDED_RESET): npm run doctor with no gateway answering, a diagnostic, changes nothing; a
// command that writes (npm run tenant, import, seed, token) applies pending migrations and
// nothing else. Only the gateway's start wipes embedded data or schedules jobs.

const KINDS: BackendKind[] = [
  'postgres',
  ...(TSDB_SERVER_URL ? ['timescale-server' as const] : []),
];
// Nothing listens on port 9 (discard) of this host: the gateway does not answer.
const NO_GATEWAY = 'http://127.0.0.1:9/graphql';

const command = (script: string, args: string[], env: Record<string, string>) =>
  runCli(script, args, {
    env: {
      ...process.env,
      JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: 'true',
      MAINTENANCE: 'jobs',
      EMBEDDED_RESET: 'true',
      ...env,
    },
    timeout: 60_000,
  });
const doctor = (env: Record<string, string>) => command('doctor', ['--url', NO_GATEWAY], env);
const listTenants = (env: Record<string, string>) => command('tenant', ['list'], env);

/** Whether migration `version` is recorded as applied. */
async function applied(owner: Pool, version: number): Promise<boolean> {
  const { rows } = await owner.query('SELECT 1 FROM shelfops_migrations WHERE version = $1', [
    version,
  ]);
  return rows.length > 0;
}

describe.each(KINDS)('the operator commands on %s', (kind) => {
  let url: string;
  let owner: Pool;
  let drop: () => Promise<void>;
  let newest: number;

  beforeAll(async () => {
    newest = Math.max(...(await loadMigrations(variantOf(kind))).map((m) => m.version));
    const scratch = await copyServerTemplate(kind);
    url = scratch.url;
    drop = scratch.drop;
    owner = createPool(url, 2);
    // A database one migration behind, as after an upgrade of the code before its start.
    await owner.query('DELETE FROM shelfops_migrations WHERE version = $1', [newest]);
  });

  afterAll(async () => {
    await owner.end();
    await drop();
  });

  /** On the TimescaleDB server: the jobs are there and paused, as a gateway in gateway mode left them. */
  const expectJobsPaused = async () => {
    if (kind !== 'timescale-server') return;
    const { rows } = await owner.query<{ scheduled: boolean }>(
      'SELECT scheduled FROM timescaledb_information.jobs WHERE job_id >= 1000',
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((j) => j.scheduled)).toEqual([]);
  };

  it('doctor reports on the database and changes nothing there', async () => {
    await expectJobsPaused();
    const { stdout } = await doctor({ DATABASE_URL: url });
    expect(stdout).toMatch(/^ShelfOps doctor, /);
    expect(stdout).toContain(`database: ${kind === 'postgres' ? 'native' : 'timescale'}`);
    expect(await applied(owner, newest)).toBe(false);
    await expectJobsPaused();
  }, 90_000);

  it('a command that writes applies the pending migration and schedules no job', async () => {
    await expectJobsPaused();
    await listTenants({ DATABASE_URL: url });
    expect(await applied(owner, newest)).toBe(true);
    await expectJobsPaused();
  }, 90_000);
});

describe.each([
  ['doctor', doctor],
  ['tenant list', listTenants],
] as const)('npm run %s on the embedded database', (_name, run) => {
  it('keeps the data directory whatever EMBEDDED_RESET says', async () => {
    const tenant = '0d0c7a11-0000-4000-8000-000000000001';
    const copy = await filledEmbeddedCopy((owner) =>
      owner.query(`INSERT INTO customers (id, name) VALUES ($1, 'Kept')`, [tenant]),
    );
    try {
      await run({ EMBEDDED_DATA_DIR: copy.dataDir });
      const { rows } = await asEmbeddedOwner(copy.dataDir, (owner) =>
        owner.query('SELECT name FROM customers WHERE id = $1', [tenant]),
      );
      expect(rows).toEqual([{ name: 'Kept' }]);
    } finally {
      await copy.remove();
    }
  }, 90_000);
});
