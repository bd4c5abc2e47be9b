import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server the tests use (without a database name). */
export const SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** The two real backends every suite runs against. */
export const BACKENDS = ['postgres', 'timescale'] as const;
export type BackendKind = (typeof BACKENDS)[number];

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database of its own on the PostgreSQL server. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `shelfops_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${SERVER_URL}/${name}`,
    async drop() {
      const client = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
