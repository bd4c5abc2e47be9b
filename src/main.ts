import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sql from 'sql-template-tag';
import { developmentSecret } from './auth/development-secret.js';
import { createTokenVerifier, mintToken } from './auth/tokens.js';
import type { Role } from './auth/viewer.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DataDirInUseError } from './db/data-dir-lock.js';
import { openDatabase, type Database } from './db/database.js';
import { createLogger, type Logger } from './logger.js';
import { DEMO_SEED_OPTIONS, DEMO_TENANTS, hasNoTenants, seedDatabase } from './seed/index.js';
import { createGateway, listen } from './server/app.js';
import { drainable, type Drainer } from './server/shutdown.js';

const DEMO_TOKEN_LIFETIME = '30d';
// The compiled build (the Docker image, start:prod) has no npm scripts to run TypeScript with.
const TOKEN_COMMAND = import.meta.url.endsWith('.ts')
  ? 'npm run token --'
  : 'node dist/cli/token.js';
/** Loads the demo data set into an empty embedded database. */
async function seedDemo(config: Config, database: Database, logger: Logger): Promise<void> {
  if (!database.embedded || !config.seedDemo) return;
  if (!(await hasNoTenants(database.pool))) return;
  logger.info(DEMO_SEED_OPTIONS, 'loading the demo data set');
  const result = await seedDatabase(database.pool, database.backend, DEMO_SEED_OPTIONS);
  logger.info(
    {
      transactions: result.transactions,
      inventoryRows: result.inventoryRows,
      seconds: Number(result.seconds.toFixed(2)),
    },
    'demo data loaded',
  );
}

interface DemoTokens {
  customerId: string;
  name: string;
  tokens: Record<Role, string>;
}

/** Ready-to-use tokens for the demo tenants present in the database. */
async function demoTokens(config: Config, database: Database, secret: string) {
  const { rows } = await database.pool.query<{ id: string; name: string }>(sql`/* demoTenants */
    SELECT id::text AS "id", name AS "name" FROM customers
    WHERE id = ANY(${DEMO_TENANTS.map((t) => t.customerId)}::uuid[]) ORDER BY id`);
  const result: DemoTokens[] = [];
  for (const tenant of rows) {
    const mint = (role: Role) =>
      mintToken({
        secret,
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        customerId: tenant.id,
        role,
        subject: `demo-${role}@${tenant.id}`,
        expiresIn: DEMO_TOKEN_LIFETIME,
      });
    result.push({
      customerId: tenant.id,
      name: tenant.name,
      tokens: {
        analyst: await mint('analyst'),
        admin: await mint('admin'),
        partner: await mint('partner'),
      },
    });
  }
  return result;
}

function publicUrl(config: Config, server: Server): string {
  const { port } = server.address() as AddressInfo;
  const local = ['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost'].includes(config.host);
  const host = local ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}

/** The start-up banner: where GraphiQL is, the demo tokens and a curl example. */
function banner(
  url: string,
  database: Database,
  tenants: DemoTokens[],
  secret: string | null,
  trustedDocumentsFile: string | null,
) {
  const lines = [
    '',
    `ShelfOps Gateway is ready (${database.embedded ? 'embedded database' : 'PostgreSQL server'}, ${database.backend} backend).`,
    '',
    `  GraphiQL:  ${url}/graphql`,
    `  Dashboard: ${url}/dashboard`,
    `  Health:    ${url}/health    Ready: ${url}/ready    Metrics: ${url}/metrics`,
    '',
  ];
  if (secret === null) {
    lines.push('No HS256 secret is configured, so no demo tokens are printed.', '');
  } else if (tenants.length === 0) {
    lines.push(
      `No demo tokens are printed here: mint tokens with \`${TOKEN_COMMAND} --customer <tenant id> --role analyst\``,
      'or, as an admin, with the issueToken mutation.',
      '',
    );
  }
  for (const tenant of tenants) {
    lines.push(`${tenant.name} (customer_id ${tenant.customerId})`);
    for (const role of ['analyst', 'admin', 'partner'] as const) {
      lines.push(`  ${role.padEnd(8)} ${tenant.tokens[role]}`);
    }
    lines.push('');
  }
  const example = tenants[0];
  if (example) {
    lines.push(
      `GraphiQL is pre-filled with the ${example.name} analyst token. From a shell:`,
      '',
      `  curl -s ${url}/graphql -H 'content-type: application/json' \\`,
      `    -H 'authorization: Bearer ${example.tokens.analyst}' \\`,
      `    -d '{"query":"{ stores(first: 5) { edges { node { code name region timeZone } } } }"}'`,
      '',
      `Tokens are valid for ${DEMO_TOKEN_LIFETIME}. Partners may run trusted operations only:`,
      trustedDocumentsFile
        ? `those of ${trustedDocumentsFile}.`
        : 'start with TRUSTED_DOCUMENTS_FILE=persisted/trusted-documents.json to load the examples.',
      '',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  let server: Server | null = null;
  let drainer: Drainer | null = null;
  let gateway: ReturnType<typeof createGateway> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    if (timer) clearInterval(timer);
    const cut = await drainer?.drain(config.shutdownDrainMs);
    if (cut) logger.warn({ requests: cut }, 'drain timeout: requests still in flight were cut');
    await gateway?.dispose();
    await database.close();
    process.exit(0);
  };
  // Kept for the whole shutdown: Ctrl-C under `npm start` reaches this process twice (from the
  // terminal and relayed by tsx), and a second signal without a handler would kill it before
  // it closes the database and releases the data directory.
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
  try {
    await seedDemo(config, database, logger);
    const secret = await developmentSecret(config);
    const verifier = await createTokenVerifier({ ...config.jwt, secret: secret ?? undefined });
    // Tokens are printed by the embedded development demo only: a server's tenants are real,
    // and a production start never hands out credentials in its log.
    const demo = database.embedded !== null && config.nodeEnv !== 'production';
    const tenants = secret && demo ? await demoTokens(config, database, secret) : [];
    gateway = createGateway({
      config,
      database,
      verifier,
      logger,
      tokenSecret: secret,
      ...(tenants[0] ? { graphiqlToken: tenants[0].tokens.analyst } : {}),
    });
    // The upkeep (where the gateway runs it) and its status for /ready and /metrics: once at
    // start, so that it catches up with whatever the last run left behind, then periodically.
    // The embedded database has one connection: its first round runs before the gateway
    // listens, so that no request waits behind it (and answers 503 after DB_POOL_WAIT_MS).
    if (database.embedded) {
      await database
        .runMaintenance()
        .catch((error: unknown) => logger.error({ err: error }, 'maintenance failed'));
    }
    server = await listen(gateway, config.host, config.port);
    drainer = drainable(server);
    let running = false;
    const maintain = () => {
      if (running) return;
      running = true;
      database
        .runMaintenance()
        .catch((error: unknown) => logger.error({ err: error }, 'maintenance failed'))
        .finally(() => {
          running = false;
        });
    };
    if (!database.embedded) maintain();
    timer = setInterval(maintain, config.rollupRefreshSeconds * 1000);
    timer.unref();
    banner(
      publicUrl(config, server),
      database,
      tenants,
      secret,
      config.persisted.trustedDocumentsFile,
    );
  } catch (error) {
    await database.close();
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `shelfops-gateway failed to start: ${error instanceof DataDirInUseError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
