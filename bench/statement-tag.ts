/**
 * Cost of tagging each request's statements with its operation and tenant (application_name,
 * set in the statement that already sets the tenant context): a request's transaction (BEGIN,
 * the context statement, one small query, COMMIT) with the tag against the same without it,
 * on one connection, rounds alternated, same run.
 *   npx tsx bench/statement-tag.ts [--backend postgres|embedded|both] [--transactions 3000] [--rounds 5]
 * postgres: a new database on TEST_PG_URL (default postgres://postgres@127.0.0.1:5432).
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { GATEWAY_ROLE } from '../src/db/request-db.js';
import { statementTag } from '../src/db/statement-tag.js';
import { createLogger } from '../src/logger.js';
import { median } from './support.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    transactions: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '5' },
  },
});
const SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const CUSTOMER = '0000000a-0000-4000-8000-000000000000';
const transactions = Number(args.transactions);
const rounds = Number(args.rounds);

const settings = (tagged: boolean) =>
  JSON.stringify({
    role: GATEWAY_ROLE,
    'app.customer_id': CUSTOMER,
    'app.role': 'analyst',
    'app.store_ids': '*',
    statement_timeout: '10000',
    search_path: 'public',
    ...(tagged ? { application_name: statementTag(CUSTOMER, 'StoreList') } : {}),
  });

async function run(backend: 'postgres' | 'embedded'): Promise<string> {
  let databaseUrl: string | undefined;
  const name = `shelfops_bench_${randomBytes(6).toString('hex')}`;
  if (backend === 'postgres') {
    const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    databaseUrl = `${SERVER_URL}/${name}`;
  }
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    EMBEDDED_DATA_DIR: 'memory',
    SEED_DEMO: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const database = await openDatabase(config, createLogger('silent'));
  const client = await database.pool.connect();
  const round = async (tagged: boolean) => {
    const text = settings(tagged);
    const started = performance.now();
    for (let i = 0; i < transactions; i += 1) {
      await client.query('BEGIN');
      await client.query(
        '/* setRequestContext */ SELECT set_config(key, value, true) FROM json_each_text($1::json)',
        [text],
      );
      await client.query('SELECT count(*) FROM stores');
      await client.query('COMMIT');
    }
    return ((performance.now() - started) * 1000) / transactions;
  };
  const results: Record<'tagged' | 'untagged', number[]> = { tagged: [], untagged: [] };
  try {
    await round(true);
    await round(false);
    for (let r = 0; r < rounds; r += 1) {
      for (const tagged of r % 2 === 0 ? [true, false] : [false, true]) {
        results[tagged ? 'tagged' : 'untagged'].push(await round(tagged));
      }
    }
  } finally {
    client.release();
    await database.close();
    if (databaseUrl) {
      const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
  const tagged = median(results.tagged);
  const untagged = median(results.untagged);
  return [
    `### ${backend === 'postgres' ? 'PostgreSQL server' : 'embedded PGlite + TimescaleDB'}`,
    '',
    '| variant | µs per transaction (median) | per round |',
    '| --- | --- | --- |',
    `| tagged (application_name) | ${tagged.toFixed(1)} | ${results.tagged.map((x) => x.toFixed(1)).join(', ')} |`,
    `| untagged | ${untagged.toFixed(1)} | ${results.untagged.map((x) => x.toFixed(1)).join(', ')} |`,
    '',
    `Ratio tagged/untagged: **${(tagged / untagged).toFixed(3)}** (${(tagged - untagged).toFixed(1)} µs per request).`,
    '',
  ].join('\n');
}

const backends =
  args.backend === 'both' ? (['postgres', 'embedded'] as const) : [args.backend as 'postgres'];
const sections: string[] = [];
for (const backend of backends) sections.push(await run(backend));
const report = [
  '# Statement tag cost',
  '',
  `\`npx tsx bench/statement-tag.ts\` — one connection, ${transactions} request transactions per round (BEGIN, the tenant-context statement, \`SELECT count(*) FROM stores\`, COMMIT), ${rounds} alternated rounds per variant after a warm-up. "Tagged" adds \`application_name = shelfops/<tenant>/<operation>\` to the context statement (as the gateway does); "untagged" leaves it out. Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
  '',
  ...sections,
].join('\n');
await writeFile('bench/results/statement-tag.md', report);
process.stdout.write(report);
