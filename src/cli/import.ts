import { parseArgs } from 'node:util';
import { redisDataVersions } from '../cache/data-version.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import { importFile, type ImportKind, type ImportProgress } from '../import/import-file.js';
import { loadMapping } from '../import/mapping.js';
import { createLogger } from '../logger.js';
import { closeRedis, guardRedis, openRedis, whenConnected } from '../redis/guarded-redis.js';
import { findTenant } from '../tenants/tenant-store.js';

// Imports history from a CSV file:
//   npm run import -- sales|stores|products <file.csv> --tenant <uuid> --mapping <file.json>
//                     [--refused <file>] [--batch 5000]
// on DATABASE_URL or the embedded data (stop the gateway first). Sale lines older than the
// tenant's retention horizon (npm run tenant -- list shows it) are refused. Re-running it resumes: lines
// already stored count as duplicates. With REDIS_URL, the gateways' shared response cache is told
// of every committed batch (the tenant's data version moves on), so no answer cached before it
// is served after it.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KINDS = ['sales', 'stores', 'products'] as const;
const USAGE =
  'usage: npm run import -- sales|stores|products <file.csv> --tenant <uuid> --mapping <file.json> ' +
  '[--refused <file>] [--batch 5000]';

function fail(problems: string[]): never {
  process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        mapping: { type: 'string' },
        refused: { type: 'string' },
        batch: { type: 'string', default: '5000' },
      },
    });
  } catch (error) {
    fail([error instanceof Error ? error.message : String(error)]);
  }
  const { values, positionals } = parsed;
  const [kind, file] = positionals;
  const problems: string[] = [];
  if (!KINDS.includes(kind as ImportKind))
    problems.push(`what to import: one of ${KINDS.join(', ')}`);
  if (!file || positionals.length !== 2) problems.push('one CSV file');
  if (!UUID.test(values.tenant ?? '')) problems.push('--tenant: the tenant UUID');
  if (!values.mapping) problems.push('--mapping: the mapping file (JSON)');
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 5000) problems.push('--batch: 1 to 5000');
  if (problems.length > 0 || !file || !values.mapping || !values.tenant) fail(problems);
  return {
    kind: kind as ImportKind,
    file,
    tenant: values.tenant.toLowerCase(),
    mapping: values.mapping,
    refused: values.refused ?? `${file}.refused.tsv`,
    batch,
  };
}

function progressLine(p: ImportProgress): string {
  const rate = p.elapsedMs > 0 ? (p.lines * 1000) / p.elapsedMs : 0;
  const share = p.totalBytes > 0 ? p.bytes / p.totalBytes : 1;
  const eta = share > 0 ? ((1 - share) * p.elapsedMs) / share / 1000 : 0;
  return `${p.lines} lines, ${Math.round(rate)} lines/s, ${Math.round(share * 100)} % done, ETA ${Math.ceil(eta)} s`;
}

async function main(): Promise<void> {
  const run = parse();
  let config: Config;
  try {
    config = { ...loadConfig(), migrateOnStart: true, seedDemo: false };
  } catch (error) {
    if (error instanceof ConfigError) fail(error.problems);
    throw error;
  }
  const mapping = await loadMapping(run.mapping);
  const logger = createLogger('warn');
  // Opened first: it connects while the database opens.
  const client = config.redis.url ? openRedis(config.redis.url, logger) : null;
  const redis = client ? guardRedis(client, config.redis, logger) : null;
  const versions = redis ? redisDataVersions(redis, config.redis.keyPrefix) : null;
  // A stalled or lost Redis does not stop the import: the gateways are told when it answers.
  let untold = false;
  const database = await openDatabase(config, logger, 'migrate');
  if (client) await whenConnected(client, config.redis.probeMs);
  const tty = process.stderr.isTTY;
  try {
    const tenant = await findTenant(database.pool, run.tenant);
    if (tenant?.status !== 'active') fail([`--tenant: no active tenant ${run.tenant}`]);
    const summary = await importFile({
      kind: run.kind,
      file: run.file,
      tenantId: run.tenant,
      mapping,
      pool: database.pool,
      backend: database.backend,
      retention: tenant.retention ?? config.retention,
      batchSize: run.batch,
      refusedFile: run.refused,
      progress: (p) =>
        process.stderr.write(tty ? `\r${progressLine(p)}   ` : `${progressLine(p)}\n`),
      ...(versions
        ? {
            stored: () =>
              versions.bump(run.tenant).catch(() => {
                untold = true;
              }),
          }
        : {}),
    });
    if (tty) process.stderr.write('\n');
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(
      `${summary.lines} lines read in ${(summary.elapsedMs / 1000).toFixed(1)} s: ` +
        `${summary.accepted} stored, ${summary.duplicates} already stored, ${summary.refused} refused`,
    );
    for (const r of summary.reasons) out(`  ${r.count} refused, e.g. ${r.example}`);
    if (summary.refused > 0)
      out(`refused lines with their line numbers and reasons: ${run.refused}`);
    if (untold) {
      out(
        'Redis (REDIS_URL) did not answer: the gateways may serve answers cached before this import until RESPONSE_CACHE_TTL_SECONDS has passed',
      );
    }
  } finally {
    redis?.stop();
    if (client) await closeRedis(client, config.redis.timeoutMs);
    await database.close();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
