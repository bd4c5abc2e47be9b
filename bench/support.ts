import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';

/** The middle value of a run's timings (the upper one of an even count). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/**
 * A benchmark's database: DATABASE_URL when set, else an embedded one in memory with no demo,
 * statements unbounded in time; `settings` adds to or overrides these.
 */
export async function openBenchDatabase(
  settings: Record<string, string> = {},
): Promise<{ config: Config; database: Database }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-01',
    EMBEDDED_DATA_DIR: 'memory',
    SEED_DEMO: 'false',
    STATEMENT_TIMEOUT_MS: '600000',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...settings,
  });
  return { config, database: await openDatabase(config, createLogger('silent')) };
}

/** The local PostgreSQL server the benchmarks create their scratch databases on. */
export const SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** A new empty database on the local server, and how to drop it. */
export async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `shelfops_bench_${randomBytes(6).toString('hex')}`;
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

/** The first tenant of a seeded database (by name) and the day of its newest line. */
export async function firstTenant(url: string): Promise<{ customerId: string; end: Date }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ id: string; end: Date }>(
    `SELECT (SELECT id FROM customers ORDER BY name, id LIMIT 1) AS id,
            date_trunc('day', max(time)) AS end FROM transactions`,
  );
  await client.end();
  const row = rows[0];
  if (!row) throw new Error(`no tenant in ${url}`);
  return { customerId: row.id, end: row.end };
}
