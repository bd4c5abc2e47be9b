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

/**
 * A Citus cluster's coordinator (without a database name) when `CITUS_URL` names one, as
 * `scripts/citus-server start` prints it; null when the suite has none.
 */
export const CITUS_SERVER_URL = process.env.CITUS_URL
  ? withoutDatabase(process.env.CITUS_URL)
  : null;

function withoutDatabase(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '';
  return parsed.toString().replace(/\/$/, '');
}

/**
 * The backends a test can run on: the PostgreSQL server (plain), the embedded TimescaleDB
 * build, a TimescaleDB server, and a Citus cluster (plain PostgreSQL distributed by tenant).
 */
export type BackendKind = 'postgres' | 'timescale' | 'timescale-server' | 'citus';

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

/** The Citus cluster when `CITUS_URL` is set (none otherwise). */
export const CLUSTER: readonly BackendKind[] = CITUS_SERVER_URL ? ['citus'] : [];

/**
 * WITH_SERVER plus the Citus cluster when `CITUS_URL` is set: for the suites that pass there
 * with the same answers as on plain PostgreSQL (a suite on BACKENDS adds CLUSTER itself).
 */
export const WITH_CLUSTER: readonly BackendKind[] = [...WITH_SERVER, ...CLUSTER];

/** Which variant of the migrations a backend gets. */
export function variantOf(kind: BackendKind): Backend {
  if (kind === 'citus') return 'citus';
  return kind === 'postgres' ? 'native' : 'timescale';
}

/** The server a backend's scratch databases live on; null for the embedded build. */
export function serverOf(kind: BackendKind): string | null {
  if (kind === 'postgres') return SERVER_URL;
  if (kind === 'timescale') return null;
  if (kind === 'citus') {
    if (!CITUS_SERVER_URL) throw new Error('the Citus backend needs CITUS_URL');
    return CITUS_SERVER_URL;
  }
  if (!TSDB_SERVER_URL) throw new Error('the TimescaleDB server backend needs TSDB_URL');
  return TSDB_SERVER_URL;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database of its own on a PostgreSQL server (by default the plain one); on
 * the Citus cluster, on its coordinator and every worker, with the extension and the workers
 * added, as an operator sets up a database there. With `template`, a copy of that database
 * instead, on every node (a cluster's template has its extension and workers already).
 */
export async function createScratchDatabase(
  server = SERVER_URL,
  template?: string,
): Promise<ScratchDatabase> {
  const name = `shelfops_test_${randomBytes(6).toString('hex')}`;
  const workers = server === CITUS_SERVER_URL ? await citusWorkers(server) : null;
  const nodes = [server, ...(workers ?? []).map((w) => w.url)];
  if (template !== undefined) {
    for (const node of nodes) await copyDatabase(node, template, name);
  } else {
    for (const node of nodes) await adminQuery(node, `CREATE DATABASE ${name}`);
  }
  if (workers && template === undefined) {
    for (const node of nodes) await adminQuery(node, 'CREATE EXTENSION citus', name);
    const { hostname, port } = new URL(server);
    await adminQuery(server, `SELECT citus_set_coordinator_host('${hostname}', ${port})`, name);
    for (const w of workers) {
      await adminQuery(server, `SELECT citus_add_node('${w.host}', ${w.port})`, name);
    }
  }
  return {
    url: `${server}/${name}`,
    async drop() {
      for (const node of nodes.reverse()) await dropDatabase(node, name);
    },
  };
}

/**
 * Copies `template` as `name`. PostgreSQL refuses while another session copies or is
 * connected to the template, so a refusal is retried.
 */
async function copyDatabase(server: string, template: string, name: string): Promise<void> {
  for (let tries = 0; ; tries += 1) {
    try {
      await adminQuery(server, `CREATE DATABASE ${name} TEMPLATE ${template}`);
      // A copy has the template's objects but the default privileges on the database itself:
      // take back what migration 0007 revoked there (temporary objects, new schemas).
      await adminQuery(
        server,
        `REVOKE TEMPORARY, CREATE ON DATABASE ${name} FROM PUBLIC, shelfops_gateway`,
      );
      return;
    } catch (error) {
      const busy = error instanceof Error && /is being accessed by other users/.test(error.message);
      if (!busy || tries >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
    }
  }
}

/** The server and, on the Citus cluster, its workers: every node a database lives on. */
export async function clusterNodes(server: string): Promise<string[]> {
  const workers = server === CITUS_SERVER_URL ? await citusWorkers(server) : [];
  return [server, ...workers.map((w) => w.url)];
}

/** The workers of the cluster, as the coordinator's `postgres` database lists them. */
async function citusWorkers(server: string) {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    const { rows } = await client.query<{ host: string; port: number }>(
      `SELECT nodename AS host, nodeport AS port FROM pg_dist_node
       WHERE groupid <> 0 ORDER BY nodeid`,
    );
    const { username } = new URL(server);
    return rows.map((r) => ({ ...r, url: `postgres://${username}@${r.host}:${r.port}` }));
  } finally {
    await client.end();
  }
}

/** Runs one statement as the server's superuser, in `database`. */
export async function adminQuery(
  server: string,
  text: string,
  database = 'postgres',
): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/${database}` });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Drops a database, ending what still connects to it. */
export async function dropDatabase(server: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  // A pool's end() resolves before its connections have closed: wait (briefly) for them, so
  // that FORCE terminates only what is not ours (TimescaleDB's job scheduler, Citus's
  // maintenance daemon and its connections between nodes), and no closing client of a test
  // hears of its termination as an error nobody handles.
  for (let tries = 0; tries < 40; tries += 1) {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = $1 AND backend_type = 'client backend'
         AND application_name NOT LIKE 'citus%'`,
      [name],
    );
    if (rows[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    // FORCE gives the sessions it ends 5 s to go, then refuses the drop as in use (seen on the
    // loaded Citus cluster, a second after a copied database's first use): try again.
    for (let tries = 0; ; tries += 1) {
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        return;
      } catch (error) {
        const inUse = (error as { code?: string }).code === '55006';
        if (!inUse || tries >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await client.end();
  }
}
