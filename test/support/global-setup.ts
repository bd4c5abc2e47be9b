import pg from 'pg';
import { SERVER_URL } from './backends.js';

/**
 * The gateway's roles are shared by every database of a server; create them once here so test files
 * migrating their own databases in parallel never race on CREATE ROLE.
 */
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `The tests need the PostgreSQL server at ${SERVER_URL} (set TEST_PG_URL to use another): ${String(error)}`,
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
