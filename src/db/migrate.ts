import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { retryWhileJobRuns } from './jobs.js';
import type { Pool, PoolClient } from './pool.js';

/**
 * Which flavour of the versioned migrations a database gets: TimescaleDB, plain PostgreSQL, or
 * plain PostgreSQL distributed by tenant on Citus (which runs as plain PostgreSQL otherwise).
 */
export type Backend = 'timescale' | 'native' | 'citus';

/**
 * The files a backend takes for one version, first match wins: its own variant, then (Citus)
 * the plain-PostgreSQL one, then the file for every backend. So a migration needs a `.citus.`
 * file only where the plain-PostgreSQL one cannot run on Citus; a version with none of these
 * (a TimescaleDB-only one) does not exist for that backend.
 */
const VARIANT_ORDER: Record<Backend, readonly Backend[]> = {
  timescale: ['timescale'],
  native: ['native'],
  citus: ['citus', 'native'],
};

export interface Migration {
  version: number;
  name: string;
  /** The variant whose files the backend takes (see VARIANT_ORDER); null: the common files. */
  variant: Backend | null;
  up: string;
  down: string;
}

export interface MigrationStatus {
  backend: Backend;
  applied: number[];
  pending: number[];
}

const FILE = /^(\d{4})_([a-z0-9_]+?)(?:\.(timescale|native|citus))?\.(up|down)\.sql$/;
const NO_TRANSACTION = /^-- shelfops: no-transaction$/m;
const STEP = /^-- step$/m;
// Any constant works; it only has to be the same for every instance of the gateway.
const LOCK_KEY = 7_305_112_020;

export const migrationsDir = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Reads `sql/` and returns the migrations meant for this backend, in version order. */
export async function loadMigrations(backend: Backend, dir = migrationsDir): Promise<Migration[]> {
  const files = await readdir(dir);
  // Every version's files by variant ('' for the common ones).
  const found = new Map<number, Map<string, Migration>>();
  for (const file of files.sort()) {
    const match = FILE.exec(file);
    if (!match) continue;
    const [, versionText, name, variant = '', direction] = match;
    const version = Number(versionText);
    const variants = found.get(version) ?? new Map<string, Migration>();
    const migration = variants.get(variant) ?? {
      version,
      name: name ?? '',
      variant: (variant || null) as Backend | null,
      up: '',
      down: '',
    };
    migration[direction === 'up' ? 'up' : 'down'] = await readFile(join(dir, file), 'utf8');
    variants.set(variant, migration);
    found.set(version, variants);
  }
  const migrations: Migration[] = [];
  for (const variants of found.values()) {
    const chosen = [...VARIANT_ORDER[backend], ''].find((v) => variants.has(v));
    if (chosen !== undefined) migrations.push(variants.get(chosen) as Migration);
  }
  migrations.sort((a, b) => a.version - b.version);
  for (const m of migrations) {
    if (!m.up || !m.down)
      throw new Error(`migration ${m.version}_${m.name} needs an up and a down`);
  }
  return migrations;
}

/** True when the database is part of a Citus cluster (its operator created the extension). */
async function citusInstalled(client: PoolClient | Pool): Promise<boolean> {
  const { rows } = await client.query<{ installed: boolean }>(
    `/* citusInstalled */ SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS installed`,
  );
  return rows[0]?.installed ?? false;
}

/**
 * Tells what this database can run: Citus when the extension is in the database (a cluster's
 * coordinator, set up by its operator), else TimescaleDB when the server offers it.
 */
export async function detectBackend(
  client: PoolClient | Pool,
  mode: 'auto' | 'on' | 'off',
): Promise<Backend> {
  if (await citusInstalled(client)) {
    if (mode === 'on') throw new Error('TIMESCALEDB=on, but this database is a Citus cluster');
    return 'citus';
  }
  if (mode === 'off') return 'native';
  const { rows } = await client.query<{ available: boolean }>(
    `/* timescaleAvailable */ SELECT EXISTS (
       SELECT FROM pg_available_extensions WHERE name = 'timescaledb') AS available`,
  );
  if (rows[0]?.available) return 'timescale';
  if (mode === 'on') throw new Error('TIMESCALEDB=on but the server has no timescaledb extension');
  return 'native';
}

/**
 * The variant the database was migrated as: recorded with its first migration (a database
 * migrated before every row carried it has it from its first variant migration on); null
 * before the first migration.
 */
export async function recordedBackend(client: PoolClient | Pool): Promise<Backend | null> {
  if (!(await ledgerExists(client))) return null;
  const { rows } = await client.query<{ variant: Backend }>(
    `/* recordedVariant */ SELECT variant FROM shelfops_migrations
     WHERE variant IS NOT NULL ORDER BY version LIMIT 1`,
  );
  return rows[0]?.variant ?? null;
}

/**
 * The variant to use: the one the database was migrated as, whatever the server offers now
 * (a plain-PostgreSQL database stays plain when TimescaleDB becomes available), or, before the
 * first migration, what the server offers. A TIMESCALEDB setting that asks for the other
 * variant is refused: switching means a new database and an import, not migrations on top.
 */
export async function chooseBackend(
  client: PoolClient | Pool,
  mode: 'auto' | 'on' | 'off',
  log?: (message: string) => void,
): Promise<Backend> {
  const recorded = await recordedBackend(client);
  if (recorded === null) return detectBackend(client, mode);
  if (recorded === 'citus') {
    if (!(await citusInstalled(client)))
      throw new Error('this database was migrated for Citus, but it has no citus extension');
    return recorded;
  }
  if (recorded === 'native' && mode === 'on') {
    throw new Error(
      'TIMESCALEDB=on, but this database was migrated as plain PostgreSQL and is not switched ' +
        'in place: migrate a new database with TimescaleDB and import the data into it, or set ' +
        'TIMESCALEDB=auto to keep serving it as plain PostgreSQL',
    );
  }
  if (recorded === 'timescale' && mode === 'off') {
    throw new Error(
      'TIMESCALEDB=off, but this database was migrated with TimescaleDB and is not switched in ' +
        'place: migrate a new database with TIMESCALEDB=off and import the data into it, or ' +
        'set TIMESCALEDB=auto',
    );
  }
  const available = (await detectBackend(client, 'auto')) === 'timescale';
  if (recorded === 'timescale' && !available) {
    throw new Error(
      'this database was migrated with TimescaleDB, but the server has no timescaledb extension',
    );
  }
  if (recorded === 'native' && available) {
    log?.(
      'TimescaleDB is available on this server, but the database was migrated as plain PostgreSQL: it stays plain PostgreSQL',
    );
  }
  return recorded;
}

async function ensureLedger(client: PoolClient): Promise<void> {
  await client.query(`/* createMigrationLedger */
    CREATE TABLE IF NOT EXISTS shelfops_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      variant    text,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
}

async function ledgerExists(client: PoolClient | Pool): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(
    `/* migrationLedgerExists */ SELECT to_regclass('shelfops_migrations') IS NOT NULL AS exists`,
  );
  return rows[0]?.exists ?? false;
}

async function appliedVersions(client: PoolClient | Pool): Promise<number[]> {
  if (!(await ledgerExists(client))) return [];
  const applied = await client.query<{ version: number }>(
    `/* appliedMigrations */ SELECT version FROM shelfops_migrations ORDER BY version`,
  );
  return applied.rows.map((r) => r.version);
}

// The policies a migration adds start at once: a step may meet their first refresh.
const STEP_ATTEMPTS = 20;

/** Runs one re-runnable step, again while it finds the objects it needs locked by another. */
async function runStep(client: PoolClient, step: string): Promise<void> {
  await retryWhileJobRuns(
    () => client.query(step),
    STEP_ATTEMPTS,
    (attempt) => 100 * attempt,
  );
}

async function runScript(client: PoolClient, script: string, record: string, values: unknown[]) {
  if (NO_TRANSACTION.test(script)) {
    // TimescaleDB refuses some statements inside a transaction block: run each step alone,
    // written so that a re-run after a failure part-way through succeeds.
    for (const step of script.split(STEP)) {
      if (step.replace(/--.*$/gm, '').trim()) await runStep(client, step);
    }
    await client.query(record, values);
    return;
  }
  // Roles are the server's, shared by its databases: a database migrating at the same time
  // may update a role's catalog row that the script changes too ("tuple concurrently
  // updated", as a job's row in metRunningJob). The script is rolled back and run again.
  await retryWhileJobRuns(
    async () => {
      await client.query('BEGIN');
      try {
        // Citus sends some DDL on to the workers as the text of the query that carried it, and
        // refuses text with several statements there: its scripts send statements one by one.
        for (const step of script.split(STEP)) {
          if (step.replace(/--.*$/gm, '').trim()) await client.query(step);
        }
        await client.query(record, values);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    },
    STEP_ATTEMPTS,
    (attempt) => 100 * attempt,
  );
}

/**
 * Runs `work` holding the migration lock: a second process starting at the same time waits
 * for the first and then finds nothing left to do.
 */
async function withMigrationLock<T>(pool: Pool, work: (client: PoolClient) => Promise<T>) {
  const client = await pool.connect();
  try {
    await client.query('/* migrationLock */ SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      return await work(client);
    } finally {
      await client.query('/* migrationUnlock */ SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

export interface MigrateOptions {
  timescaledb: 'auto' | 'on' | 'off';
  log?: (message: string) => void;
}

/** Applies every pending migration; returns the versions it applied (none when up to date). */
export async function migrateUp(pool: Pool, options: MigrateOptions): Promise<number[]> {
  return withMigrationLock(pool, async (client) => {
    const backend = await chooseBackend(client, options.timescaledb, options.log);
    if (backend === 'timescale') {
      await client.query('/* createTimescale */ CREATE EXTENSION IF NOT EXISTS timescaledb');
    }
    await ensureLedger(client);
    const done = new Set(await appliedVersions(client));
    const applied: number[] = [];
    for (const m of await loadMigrations(backend)) {
      if (done.has(m.version)) continue;
      options.log?.(`migrating up ${m.version}_${m.name}${m.variant ? ` (${m.variant})` : ''}`);
      await runScript(
        client,
        m.up,
        `/* recordMigration */ INSERT INTO shelfops_migrations (version, name, variant)
         VALUES ($1, $2, $3)`,
        // Every row names the variant the database runs, from the first one on.
        [m.version, m.name, backend],
      );
      applied.push(m.version);
    }
    return applied;
  });
}

/** Reverts the newest `count` applied migrations with their down scripts. */
export async function migrateDown(
  pool: Pool,
  options: MigrateOptions & { count: number },
): Promise<number[]> {
  return withMigrationLock(pool, async (client) => {
    const { rows } = await client.query<{ version: number }>(
      `/* appliedMigrationsNewestFirst */
       SELECT version FROM shelfops_migrations ORDER BY version DESC LIMIT $1`,
      [options.count],
    );
    const backend = await chooseBackend(client, options.timescaledb, options.log);
    const byVersion = new Map((await loadMigrations(backend)).map((m) => [m.version, m]));
    const reverted: number[] = [];
    for (const { version } of rows) {
      const m = byVersion.get(version);
      if (!m) throw new Error(`migration ${version} is applied but its files are missing`);
      options.log?.(`migrating down ${m.version}_${m.name}`);
      await runScript(
        client,
        m.down,
        `/* forgetMigration */ DELETE FROM shelfops_migrations WHERE version = $1`,
        [m.version],
      );
      reverted.push(m.version);
    }
    return reverted;
  });
}

/** Applied and pending versions, for readiness checks and the CLI. */
export async function migrationStatus(
  pool: Pool,
  timescaledb: 'auto' | 'on' | 'off',
): Promise<MigrationStatus> {
  const backend = await chooseBackend(pool, timescaledb);
  const applied = await appliedVersions(pool);
  const done = new Set(applied);
  const pending = (await loadMigrations(backend)).map((m) => m.version).filter((v) => !done.has(v));
  return { backend, applied, pending };
}
