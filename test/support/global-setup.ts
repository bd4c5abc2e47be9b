import pg from 'pg';
import { SERVER_URL, TSDB_SERVER_URL } from './backends.js';

/**
 * The gateway's roles are shared by every database of a server; create them once here, on each
 * server the tests use, so test files migrating their own databases in parallel never race on
 * CREATE ROLE.
 */
export default async function setup(): Promise<void> {
  await createRoles(SERVER_URL, 'TEST_PG_URL');
  if (TSDB_SERVER_URL) await createRoles(TSDB_SERVER_URL, 'TSDB_URL');
  else {
    process.stdout.write(
      'TimescaleDB server suite skipped: TSDB_URL is not set (scripts/timescaledb-server start prints one)\n',
    );
  }
}

async function createRoles(server: string, variable: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `The tests need the PostgreSQL server at ${server} (set ${variable} to use another): ${String(error)}`,
    );
  }
  try {
    for (const role of ['shelfops_gateway', 'shelfops_access']) {
      await client.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
          CREATE ROLE ${role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
        END IF; END $$`);
    }
  } finally {
    await client.end();
  }
}
