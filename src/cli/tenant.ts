import { parseArgs } from 'node:util';
import { developmentSecret } from '../auth/development-secret.js';
import { mintToken } from '../auth/tokens.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../logger.js';
import {
  createTenant,
  listTenants,
  updateTenant,
  type TenantRow,
} from '../tenants/tenant-store.js';

// Operator commands for tenants, on DATABASE_URL or the embedded data (stop the gateway first:
// the embedded database serves one process):
//   npm run tenant -- create --name "Acme Retail" [--expires 30d]   prints the id and an admin token
//   npm run tenant -- list
//   npm run tenant -- rename --tenant <uuid> --name "New name"
//   npm run tenant -- disable --tenant <uuid>    (enable undoes it)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMMANDS = ['create', 'list', 'rename', 'disable', 'enable'] as const;
type Command = (typeof COMMANDS)[number];
const USAGE = `usage: npm run tenant -- create --name <name> [--expires 30d]
       npm run tenant -- list
       npm run tenant -- rename --tenant <uuid> --name <name>
       npm run tenant -- disable|enable --tenant <uuid>`;

function fail(problems: string[]): never {
  process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
  process.exit(2);
}

interface Invocation {
  command: Command;
  name: string | undefined;
  tenant: string | undefined;
  expires: string;
}

function parse(): Invocation {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        tenant: { type: 'string' },
        expires: { type: 'string', default: '30d' },
      },
    });
  } catch (error) {
    fail([error instanceof Error ? error.message : String(error)]);
  }
  const { values, positionals } = parsed;
  const command = positionals[0] as Command | undefined;
  const problems: string[] = [];
  if (!command || !COMMANDS.includes(command) || positionals.length > 1) {
    problems.push(`a command: one of ${COMMANDS.join(', ')}`);
  }
  const name = values.name?.trim();
  if ((command === 'create' || command === 'rename') && (!name || name.length > 200)) {
    problems.push('--name: 1 to 200 characters');
  }
  if (command && !['create', 'list'].includes(command) && !UUID.test(values.tenant ?? '')) {
    problems.push('--tenant: the tenant UUID');
  }
  if (problems.length > 0 || !command) fail(problems);
  return { command, name, tenant: values.tenant?.toLowerCase(), expires: values.expires };
}

function show(t: TenantRow): string {
  return `${t.id}  ${t.status.padEnd(8)}  ${t.createdAt.toISOString()}  ${t.name}`;
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
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const database = await openDatabase(config, logger);
  try {
    const pool = database.pool;
    if (run.command === 'list') {
      for (const t of await listTenants(pool)) out(show(t));
      return;
    }
    if (run.command === 'create') {
      const secret = await developmentSecret(config, database);
      if (secret === null) {
        fail(['JWT_SECRET: set it to the gateway’s HS256 secret, so the admin token is accepted']);
      }
      const tenant = await createTenant(pool, run.name ?? '');
      const token = await mintToken({
        secret,
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        customerId: tenant.id,
        role: 'admin',
        expiresIn: run.expires,
      });
      out(`tenant ${tenant.id} created: ${tenant.name}`);
      out(`admin token (expires in ${run.expires}):`);
      out(token);
      return;
    }
    const change =
      run.command === 'rename'
        ? { name: run.name ?? '' }
        : { status: run.command === 'disable' ? ('disabled' as const) : ('active' as const) };
    const tenant = await updateTenant(pool, run.tenant ?? '', change);
    if (!tenant) {
      process.stderr.write(`no tenant ${run.tenant}\n`);
      process.exitCode = 1;
      return;
    }
    out(show(tenant));
  } finally {
    await database.close();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
