import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { CLUSTER, SERVER_URL, TSDB_SERVER_URL, WITH_SERVER, type BackendKind } from './backends.js';
import { createTemplate, dropTemplate } from './templates.js';

/**
 * The gateway's roles are shared by every database of a server; create them once here, on each
 * server the tests use, so test files migrating their own databases in parallel never race on
 * CREATE ROLE. Then one migrated database per backend, which the files copy rather than each
 * migrating its own (dropped at the end of the run).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await createRoles(SERVER_URL, 'TEST_PG_URL');
  if (TSDB_SERVER_URL) await createRoles(TSDB_SERVER_URL, 'TSDB_URL');
  else {
    process.stdout.write(
      'TimescaleDB server suite skipped: TSDB_URL is not set (scripts/timescaledb-server start prints one)\n',
    );
  }
  const kinds: BackendKind[] = [...WITH_SERVER, ...CLUSTER];
  const made = await Promise.allSettled(kinds.map((kind) => createTemplate(kind)));
  const templates: Partial<Record<BackendKind, string>> = {};
  kinds.forEach((kind, i) => {
    const outcome = made[i];
    if (outcome?.status === 'fulfilled') templates[kind] = outcome.value;
  });
  const failed = made.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    await dropTemplates(templates);
    throw failed.reason;
  }
  project.provide('migratedTemplates', templates);
  return () => dropTemplates(templates);
}

async function dropTemplates(templates: Partial<Record<BackendKind, string>>): Promise<void> {
  for (const [kind, template] of Object.entries(templates) as [BackendKind, string][]) {
    await dropTemplate(kind, template);
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
