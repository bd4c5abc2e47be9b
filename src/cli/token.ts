import { parseArgs } from 'node:util';
import { developmentSecretFile, existingSecret } from '../auth/development-secret.js';
import { durationSeconds, mintToken } from '../auth/tokens.js';
import { NO_TENANT, OPERATOR, ROLES, type Role } from '../auth/viewer.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { DataDirInUseError } from '../db/data-dir-lock.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../logger.js';
import { tenantStatus } from '../tenants/tenant-store.js';

// Mints an HS256 token: npm run token -- --customer <uuid> [--role analyst|partner|admin]
// [--stores <uuid>,<uuid>] [--expires 12h] [--subject name], or --operator [--expires 1h] for
// the operator (no tenant: statistics only, operatorReport and npm run doctor). JWT_SECRET, JWT_ISSUER and
// JWT_AUDIENCE come from the environment, as for the gateway; without JWT_SECRET a development
// gateway's generated secret is used (.shelfops/data/shelfops-jwt-secret beside the embedded
// data). The tenant must exist and be active: asked of the database (DATABASE_URL, or the
// embedded data), or, while a gateway holds the embedded data, of that gateway (HOST, PORT).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USAGE =
  'usage: npm run token -- --customer <uuid> [--role analyst|partner|admin] ' +
  '[--stores <uuid>,<uuid>] [--expires 12h] [--subject <name>]\n' +
  '       npm run token -- --operator [--expires 12h] [--subject <name>]';

function fail(problems: string[]): never {
  process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        customer: { type: 'string' },
        role: { type: 'string', default: 'analyst' },
        stores: { type: 'string' },
        expires: { type: 'string', default: '12h' },
        subject: { type: 'string' },
        operator: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    fail([error instanceof Error ? error.message : String(error)]);
  }
  const problems: string[] = [];
  let config: Config | null = null;
  try {
    config = loadConfig();
  } catch (error) {
    problems.push(...(error instanceof ConfigError ? error.problems : [String(error)]));
  }
  const secret = config ? await existingSecret(config) : null;
  if (config && !secret) {
    const file = developmentSecretFile(config);
    problems.push(
      file
        ? `JWT_SECRET: set it to the gateway’s HS256 secret (a development gateway started without one keeps it in ${file}, which does not exist yet: start the gateway once)`
        : 'JWT_SECRET: set it to the gateway’s HS256 secret',
    );
  }
  if (values.operator) {
    if (values.customer || values.stores)
      problems.push('--operator: takes no --customer or --stores');
    if (durationSeconds(values.expires) === null) {
      problems.push('--expires: a duration such as 30m, 12h, 7d');
    }
    if (problems.length > 0 || !config || !secret) fail(problems);
    const token = await mintToken({
      secret,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      customerId: NO_TENANT,
      role: OPERATOR,
      expiresIn: values.expires,
      ...(values.subject ? { subject: values.subject } : {}),
    });
    process.stdout.write(`${token}\n`);
    return;
  }
  if (!values.customer || !UUID.test(values.customer)) {
    problems.push('--customer: the tenant UUID is required');
  }
  if (!(ROLES as readonly string[]).includes(values.role)) {
    problems.push(`--role: one of ${ROLES.join(', ')}`);
  }
  const stores = values.stores?.split(',').map((s) => s.trim().toLowerCase());
  if (stores && (stores.length === 0 || !stores.every((s) => UUID.test(s)))) {
    problems.push('--stores: a comma-separated list of store UUIDs');
  }
  if (durationSeconds(values.expires) === null)
    problems.push('--expires: a duration such as 30m, 12h, 7d');
  if (problems.length > 0 || !config || !secret || !values.customer) fail(problems);
  const customerId = values.customer.toLowerCase();
  const mint = (role: Role, expiresIn: string, subject?: string) =>
    mintToken({
      secret,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      customerId,
      role,
      ...(stores ? { storeIds: stores } : {}),
      ...(subject ? { subject } : {}),
      expiresIn,
    });
  const status = await knownTenantStatus(config, customerId, () => mint('analyst', '1m'));
  if (status !== 'active') {
    fail([
      status === null
        ? `--customer: no tenant ${customerId} (npm run tenant -- list shows them)`
        : `--customer: tenant ${customerId} is disabled`,
    ]);
  }
  const token = await mint(values.role as Role, values.expires, values.subject);
  process.stdout.write(`${token}\n`);
}

// The gateway refuses tokens of unknown or disabled tenants; minting one would only mislead.
async function knownTenantStatus(
  config: Config,
  customerId: string,
  probeToken: () => Promise<string>,
): Promise<'active' | 'disabled' | null> {
  let database;
  try {
    database = await openDatabase(
      { ...config, migrateOnStart: true, seedDemo: false },
      createLogger('warn'),
      'migrate',
    );
  } catch (error) {
    // The embedded database serves one process: the gateway holding it answers instead.
    if (error instanceof DataDirInUseError) return askRunningGateway(config, await probeToken());
    throw error;
  }
  try {
    return await tenantStatus(database.pool, customerId);
  } finally {
    await database.close();
  }
}

/**
 * The tenant's status as the running gateway sees it: a short-lived analyst token of the
 * tenant is admitted (active), or refused with 401 saying the tenant does not exist or is
 * disabled.
 */
async function askRunningGateway(config: Config, probe: string) {
  const host = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/graphql`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${probe}` },
      body: JSON.stringify({ query: '{ viewer { customerId } }' }),
    });
  } catch (error) {
    throw new Error(
      `the embedded data is held by another process and no gateway answers at ${url} ` +
        `(${error instanceof Error ? error.message : String(error)}): set HOST and PORT as for the gateway, or stop it`,
    );
  }
  if (response.ok) return 'active';
  const body = (await response.json().catch(() => null)) as {
    errors?: { message?: string }[];
  } | null;
  const message = body?.errors?.[0]?.message ?? `HTTP ${response.status}`;
  if (/does not exist/.test(message)) return null;
  if (/disabled/.test(message)) return 'disabled';
  throw new Error(`the gateway at ${url} refused the tenant check: ${message}`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
