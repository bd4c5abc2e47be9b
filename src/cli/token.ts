import { parseArgs } from 'node:util';
import { mintToken } from '../auth/tokens.js';
import { ROLES, type Role } from '../auth/viewer.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../logger.js';
import { tenantStatus } from '../tenants/tenant-store.js';

// Mints an HS256 development token: npm run token -- --customer <uuid> [--role analyst|partner|admin]
// [--stores <uuid>,<uuid>] [--expires 12h] [--subject name]. JWT_SECRET, JWT_ISSUER and
// JWT_AUDIENCE come from the environment, as for the gateway; the tenant must exist and be
// active in the database (DATABASE_URL, or the embedded data while the gateway is stopped).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DURATION = /^\d+\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w|week|weeks)$/;
const USAGE =
  'usage: npm run token -- --customer <uuid> [--role analyst|partner|admin] ' +
  '[--stores <uuid>,<uuid>] [--expires 12h] [--subject <name>]';

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
  if (config && !config.jwt.secret) {
    problems.push('JWT_SECRET: set it to the gateway’s HS256 secret');
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
  if (!DURATION.test(values.expires)) problems.push('--expires: a duration such as 30m, 12h, 7d');
  if (problems.length > 0 || !config?.jwt.secret || !values.customer) fail(problems);
  const customerId = values.customer.toLowerCase();
  const status = await knownTenantStatus(config, customerId);
  if (status !== 'active') {
    fail([
      status === null
        ? `--customer: no tenant ${customerId} (npm run tenant -- list shows them)`
        : `--customer: tenant ${customerId} is disabled`,
    ]);
  }
  const token = await mintToken({
    secret: config.jwt.secret,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    customerId,
    role: values.role as Role,
    ...(stores ? { storeIds: stores } : {}),
    ...(values.subject ? { subject: values.subject } : {}),
    expiresIn: values.expires,
  });
  process.stdout.write(`${token}\n`);
}

// The gateway refuses tokens of unknown or disabled tenants; minting one would only mislead.
async function knownTenantStatus(config: Config, customerId: string) {
  const database = await openDatabase(
    { ...config, migrateOnStart: true, seedDemo: false },
    createLogger('warn'),
  );
  try {
    return await tenantStatus(database.pool, customerId);
  } finally {
    await database.close();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
