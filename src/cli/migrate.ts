import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { startEmbeddedDatabase } from '../db/embedded.js';
import { migrateDown, migrateUp, migrationStatus } from '../db/migrate.js';
import { createPool } from '../db/pool.js';

// Applies or reverts the versioned migrations in sql/: npm run migrate -- up | down [--count N]
// | status. Uses DATABASE_URL, or the embedded database in EMBEDDED_DATA_DIR when it is unset.

const USAGE = 'usage: npm run migrate -- up | down [--count N] | status';

function fail(problems: string[]): never {
  process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { count: { type: 'string', default: '1' } },
    });
  } catch (error) {
    fail([error instanceof Error ? error.message : String(error)]);
  }
  const [command, ...extra] = parsed.positionals;
  const count = Number(parsed.values.count);
  const problems: string[] = [];
  if (command !== 'up' && command !== 'down' && command !== 'status') {
    problems.push('a command is required: up, down or status');
  }
  if (extra.length > 0) problems.push(`unexpected arguments: ${extra.join(' ')}`);
  if (!Number.isInteger(count) || count < 1) problems.push('--count: a positive integer');
  let config: Config | null = null;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !config) fail(problems);

  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedDatabase({ dataDir: config.embeddedDataDir, reset: false });
  const pool = createPool(embedded ?? config.databaseUrl ?? '', 1);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const options = { timescaledb: config.timescaledb, log: out };
    if (command === 'up') {
      const applied = await migrateUp(pool, options);
      out(applied.length ? `applied ${applied.join(', ')}` : 'already up to date');
    } else if (command === 'down') {
      const reverted = await migrateDown(pool, { ...options, count });
      out(reverted.length ? `reverted ${reverted.join(', ')}` : 'nothing to revert');
    } else {
      const status = await migrationStatus(pool, config.timescaledb);
      out(`backend: ${status.backend}`);
      out(`applied: ${status.applied.join(', ') || 'none'}`);
      out(`pending: ${status.pending.join(', ') || 'none'}`);
    }
  } finally {
    await pool.end();
    await embedded?.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `migrate failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
