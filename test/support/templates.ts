import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type {} from 'vitest';
import { startEmbeddedDatabase } from '../../src/db/embedded.js';
import { migrateUp } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import {
  adminQuery,
  clusterNodes,
  createScratchDatabase,
  dropDatabase,
  serverOf,
  type BackendKind,
  type ScratchDatabase,
} from './backends.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * Databases migrated once per run, by backend: the name of a template database on each
     * server, the data directory of the embedded build.
     */
    migratedTemplates: Partial<Record<BackendKind, string>>;
  }
}

const run = promisify(execFile);

/**
 * The run's migrated templates (made by global-setup.ts). Outside a test run (a benchmark
 * starting a test gateway) there are none, and each copy below migrates a database instead.
 */
const vitest = process.env.VITEST ? await import('vitest') : null;
const templates = (): Partial<Record<BackendKind, string>> =>
  vitest?.inject('migratedTemplates') ?? {};

/** Applies every migration to the embedded build in `dataDir` (null: in memory), and closes it. */
export async function migrateEmbedded(dataDir: string | null): Promise<void> {
  const embedded = await startEmbeddedDatabase({ dataDir });
  const pool = createPool(embedded, 1);
  try {
    await migrateUp(pool, { timescaledb: 'auto' });
  } finally {
    await pool.end();
    await embedded.close();
  }
}

/** Applies every migration to the server database at `url`. */
export async function migrateServerDatabase(url: string): Promise<void> {
  const pool = createPool(url, 1);
  try {
    await migrateUp(pool, { timescaledb: 'auto' });
  } finally {
    await pool.end();
  }
}

/**
 * Migrates a database of `kind` once, for the files of a run to copy: a server's database is
 * then closed to connections (a copy needs its template without any, and TimescaleDB's
 * scheduler and Citus's maintenance daemon would hold one), the embedded build's data
 * directory is closed. Returns the template's name or directory.
 */
export async function createTemplate(kind: BackendKind): Promise<string> {
  const server = serverOf(kind);
  if (server === null) {
    const dataDir = await mkdtemp(join(tmpdir(), 'shelfops-template-'));
    await migrateEmbedded(dataDir);
    return dataDir;
  }
  const scratch = await createScratchDatabase(server);
  const name = new URL(scratch.url).pathname.slice(1);
  try {
    await migrateServerDatabase(scratch.url);
    for (const node of await clusterNodes(server)) {
      await adminQuery(node, `ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await endConnections(node, name);
    }
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  return name;
}

/** Drops a template made by createTemplate. */
export async function dropTemplate(kind: BackendKind, template: string): Promise<void> {
  const server = serverOf(kind);
  if (server === null) {
    await rm(template, { recursive: true, force: true });
    return;
  }
  for (const node of (await clusterNodes(server)).reverse()) await dropDatabase(node, template);
}

async function endConnections(server: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    for (let tries = 0; tries < 100; tries += 1) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
      if (rows[0]?.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`connections to the template ${name} did not end`);
  } finally {
    await client.end();
  }
}

/**
 * A migrated database of `kind`'s server: a copy of the run's template on every node (outside a
 * test run, a new database migrated).
 */
export async function copyServerTemplate(kind: BackendKind): Promise<ScratchDatabase> {
  const server = serverOf(kind);
  if (server === null) throw new Error(`the ${kind} backend has no server`);
  const template = templates()[kind];
  if (template !== undefined) return createScratchDatabase(server, template);
  const scratch = await createScratchDatabase(server);
  try {
    await migrateServerDatabase(scratch.url);
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  return scratch;
}

/** Whether the run made a migrated template for `kind`. */
export function hasTemplate(kind: BackendKind): boolean {
  return templates()[kind] !== undefined;
}

/**
 * A migrated embedded data directory of its own: a copy of the run's template (outside a test
 * run, a new directory migrated).
 */
export async function copyEmbeddedTemplate(): Promise<{
  dataDir: string;
  remove(): Promise<void>;
}> {
  const template = templates().timescale;
  const parent = await mkdtemp(join(tmpdir(), 'shelfops-embedded-'));
  const dataDir = join(parent, 'data');
  // cp(1), not fs.cp: a data directory is thousands of small files, which fs.cp copies one
  // promise at a time.
  if (template === undefined) await migrateEmbedded(dataDir);
  else await run('cp', ['-a', template, dataDir]);
  return {
    dataDir,
    remove: () => rm(parent, { recursive: true, force: true }),
  };
}

/**
 * A migrated embedded data directory of its own, with `fill` run on it as the owner before
 * anything else opens it (a gateway started on it then finds a tenant there and loads no demo).
 */
export async function filledEmbeddedCopy(
  fill: (owner: Pool) => Promise<unknown>,
): Promise<Awaited<ReturnType<typeof copyEmbeddedTemplate>>> {
  const copy = await copyEmbeddedTemplate();
  try {
    await asEmbeddedOwner(copy.dataDir, fill);
  } catch (error) {
    await copy.remove();
    throw error;
  }
  return copy;
}

/** Runs `work` as the owner of the embedded database in `dataDir`, then closes it. */
export async function asEmbeddedOwner<T>(
  dataDir: string,
  work: (owner: Pool) => Promise<T>,
): Promise<T> {
  const database = await startEmbeddedDatabase({ dataDir });
  const owner = createPool(database, 1);
  try {
    return await work(owner);
  } finally {
    await owner.end();
    await database.close();
  }
}
