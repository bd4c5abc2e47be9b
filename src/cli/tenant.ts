import { parseArgs } from 'node:util';
import { MONTHS, type MonthName } from '../analytics/calendar.js';
import { developmentSecret } from '../auth/development-secret.js';
import { mintToken } from '../auth/tokens.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import type { Pool } from '../db/pool.js';
import { RequestDb } from '../db/request-db.js';
import { createLogger } from '../logger.js';
import { normalRetention } from '../sales/retention.js';
import {
  createTenant,
  listTenants,
  setTenantCalendar,
  setTenantRetention,
  tenantStatus,
  type CalendarChange,
  updateTenant,
  type TenantRow,
} from '../tenants/tenant-store.js';

// Operator commands for tenants, on DATABASE_URL or the embedded data (stop the gateway first:
// the embedded database serves one process):
//   npm run tenant -- create --name "Acme Retail" [--expires 30d] [--retention "2 years"]
//                                                 prints the id and an admin token
//   npm run tenant -- list
//   npm run tenant -- rename --tenant <uuid> --name "New name"
//   npm run tenant -- set --tenant <uuid> --retention "20 years" [--yes]
//                                                 --yes: a horizon that deletes stored lines
//   npm run tenant -- set --tenant <uuid> --week-start SUNDAY --calendar NRF_454 --fiscal-year-end JANUARY
//                                                 calendars (--calendar NONE removes the retail one)
//   npm run tenant -- set --tenant <uuid> --time-zone Europe/London
//                                                 the reporting zone (its dashboard's days)
//   npm run tenant -- disable --tenant <uuid>    (enable undoes it)
// A new tenant keeps sale lines for RETENTION (default 2 years) unless --retention says otherwise.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMMANDS = ['create', 'list', 'rename', 'set', 'disable', 'enable'] as const;
type Command = (typeof COMMANDS)[number];
const USAGE = `usage: npm run tenant -- create --name <name> [--expires 30d] [--retention "2 years"]
       npm run tenant -- list
       npm run tenant -- rename --tenant <uuid> --name <name>
       npm run tenant -- set --tenant <uuid> [--retention "20 years" [--yes]]
                 [--week-start MONDAY|SUNDAY] [--calendar NRF_454|NONE] [--fiscal-year-end JANUARY]
                 [--time-zone Europe/London]
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
  retention: string | null;
  yes: boolean;
  calendar: CalendarChange | null;
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
        retention: { type: 'string' },
        yes: { type: 'boolean', default: false },
        'week-start': { type: 'string' },
        calendar: { type: 'string' },
        'fiscal-year-end': { type: 'string' },
        'time-zone': { type: 'string' },
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
  const retention = values.retention === undefined ? null : normalRetention(values.retention);
  if (values.retention !== undefined && retention === null) {
    problems.push(
      '--retention: a count of minutes, hours, days, weeks, months or years, e.g. "20 years"',
    );
  }
  const calendar = calendarChange(values, problems);
  if (command === 'set' && values.retention === undefined && calendar === null) {
    problems.push(
      'set: --retention and/or --week-start, --calendar, --fiscal-year-end, --time-zone',
    );
  }
  if (problems.length > 0 || !command) fail(problems);
  return {
    command,
    name,
    tenant: values.tenant?.toLowerCase(),
    expires: values.expires,
    retention,
    yes: values.yes,
    calendar,
  };
}

/** The calendar options of `set`, or null when none is given; problems are pushed. */
function calendarChange(
  values: {
    'week-start'?: string;
    calendar?: string;
    'fiscal-year-end'?: string;
    'time-zone'?: string;
  },
  problems: string[],
): CalendarChange | null {
  const change: CalendarChange = {};
  const zone = values['time-zone'];
  if (zone !== undefined) {
    if (knownZone(zone)) change.timeZone = zone;
    else problems.push('--time-zone: an IANA time zone, e.g. Europe/London');
  }
  const weekStart = values['week-start']?.toUpperCase();
  if (weekStart !== undefined) {
    if (weekStart === 'MONDAY' || weekStart === 'SUNDAY') change.weekStart = weekStart;
    else problems.push('--week-start: MONDAY or SUNDAY');
  }
  const kind = values.calendar?.toUpperCase();
  const month = values['fiscal-year-end']?.toUpperCase();
  const monthNumber = month === undefined ? 1 : MONTHS.indexOf(month as MonthName) + 1;
  if (month !== undefined && monthNumber === 0) {
    problems.push(`--fiscal-year-end: a month, ${MONTHS.join(', ')}`);
  }
  if (kind === 'NONE') {
    if (month !== undefined) problems.push('--fiscal-year-end: not with --calendar NONE');
    change.retail = null;
  } else if (kind === 'NRF_454') {
    change.retail = { kind, fiscalYearEnd: monthNumber };
  } else if (kind !== undefined) {
    problems.push('--calendar: NRF_454 or NONE');
  } else if (month !== undefined) {
    problems.push('--fiscal-year-end: with --calendar NRF_454');
  }
  return Object.keys(change).length > 0 ? change : null;
}

/** Whether the runtime's zone database knows `zone` (as the TimeZone scalar checks it). */
function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

function show(t: TenantRow, defaultRetention: string): string {
  const retention = t.retention ?? `${defaultRetention}*`;
  return `${t.id}  ${t.status.padEnd(8)}  ${t.createdAt.toISOString()}  ${retention.padEnd(10)}  ${t.name}`;
}

/**
 * Sets the tenant's horizon and calendars as its admin would (the same row-level policy
 * decides), in one transaction: a refused horizon changes nothing.
 */
async function setSettings(pool: Pool, run: Invocation, config: Config): Promise<boolean> {
  const db = new RequestDb(pool, {
    customerId: run.tenant ?? '',
    role: 'admin',
    storeIds: null,
    statementTimeoutMs: config.statementTimeoutMs,
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const change = run.retention ? await setTenantRetention(db, run.retention, run.yes) : null;
    if (change && !change.changed) {
      await db.finish('rollback');
      process.stderr.write(
        `retention "${change.retention}" would delete ${change.linesOlder} stored sale lines older than it; add --yes to delete them\n`,
      );
      return false;
    }
    const calendar = run.calendar ? await setTenantCalendar(db, run.calendar) : null;
    await db.finish('commit');
    if (change) {
      out(`tenant ${run.tenant} keeps sale lines for ${change.retention}`);
      if (change.linesOlder > 0) {
        out(`${change.linesOlder} sale lines older than that go at the next retention run`);
      }
    }
    if (calendar) {
      const retail = calendar.retail
        ? `${calendar.retail.kind}, fiscal year ending in ${MONTHS[calendar.retail.fiscalYearEnd - 1]}`
        : 'no retail calendar';
      out(
        `tenant ${run.tenant} reports in ${calendar.timeZone}; weeks start on ${calendar.weekStart}; ${retail}`,
      );
    }
    return true;
  } catch (error) {
    await db.finish('rollback');
    throw error;
  }
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
  const database = await openDatabase(config, logger, 'migrate');
  try {
    const pool = database.pool;
    if (run.command === 'list') {
      for (const t of await listTenants(pool)) out(show(t, config.retention));
      return;
    }
    if (run.command === 'create') {
      const secret = await developmentSecret(config);
      if (secret === null) {
        fail(['JWT_SECRET: set it to the gateway’s HS256 secret, so the admin token is accepted']);
      }
      const tenant = await createTenant(pool, run.name ?? '', run.retention ?? config.retention);
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
      out(`keeps sale lines for ${tenant.retention ?? config.retention}`);
      return;
    }
    if (run.command === 'set') {
      if ((await tenantStatus(pool, run.tenant ?? '')) === null) {
        process.stderr.write(`no tenant ${run.tenant}\n`);
        process.exitCode = 1;
      } else if (!(await setSettings(pool, run, config))) {
        process.exitCode = 1;
      }
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
    out(show(tenant, config.retention));
  } finally {
    await database.close();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
