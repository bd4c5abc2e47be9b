import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Backend } from '../../src/db/migrate.js';

/** The PostgreSQL server the tests use (without a database name). */
export const SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * A TimescaleDB server (without a database name) when `TSDB_URL` names one, as
 * `scripts/timescaledb-server start` prints it; null when the suite has none.
 */
export const TSDB_SERVER_URL = process.env.TSDB_URL ? withoutDatabase(process.env.TSDB_URL) : null;

function withoutDatabase(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '';
  return parsed.toString().replace(/\/$/, '');
}

/**
 * The backends a test can run on: the PostgreSQL server (plain), the embedded TimescaleDB
 * build, and a TimescaleDB server.
 */
export type BackendKind = 'postgres' | 'timescale' | 'timescale-server';

/** The two real backends every suite runs against. */
export const BACKENDS = ['postgres', 'timescale'] as const satisfies readonly BackendKind[];

/**
 * The two backends plus the TimescaleDB server when `TSDB_URL` is set: for the suites whose
 * answers, isolation or upkeep depend on how TimescaleDB runs as a server (each test still gets
 * a database of its own there).
 */
export const WITH_SERVER: readonly BackendKind[] = TSDB_SERVER_URL
  ? [...BACKENDS, 'timescale-server']
  : BACKENDS;

/** The TimescaleDB backends: the embedded build, and the server when `TSDB_URL` is set. */
export const TIMESCALE_KINDS = WITH_SERVER.filter(
  (kind): kind is 'timescale' | 'timescale-server' => kind !== 'postgres',
);

/** Which variant of the migrations a backend gets. */
export function variantOf(kind: BackendKind): Backend {
  return kind === 'postgres' ? 'native' : 'timescale';
}

/** The server a backend's scratch databases live on; null for the embedded build. */
export function serverOf(kind: BackendKind): string | null {
  if (kind === 'postgres') return SERVER_URL;
  if (kind === 'timescale') return null;
  if (!TSDB_SERVER_URL) throw new Error('the TimescaleDB server backend needs TSDB_URL');
  return TSDB_SERVER_URL;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database of its own on a PostgreSQL server (by default the plain one). */
export async function createScratchDatabase(server = SERVER_URL): Promise<ScratchDatabase> {
  const name = `shelfops_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${server}/${name}`,
    async drop() {
      const client = new pg.Client({ connectionString: `${server}/postgres` });
      await client.connect();
      // A pool's end() resolves before its connections have closed: wait (briefly) for them, so
      // that FORCE terminates only what is not ours (TimescaleDB's job scheduler), and no
      // closing client of a test hears of its termination as an error nobody handles.
      for (let tries = 0; tries < 40; tries += 1) {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = $1 AND backend_type = 'client backend'`,
          [name],
        );
        if (rows[0]?.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
