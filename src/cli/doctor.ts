import { parseArgs } from 'node:util';
import { existingSecret } from '../auth/development-secret.js';
import { mintToken } from '../auth/tokens.js';
import { NO_TENANT, OPERATOR } from '../auth/viewer.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import type { Pool } from '../db/pool.js';
import { TAG_PREFIX } from '../db/statement-tag.js';
import { createLogger } from '../logger.js';
import { OperatorDesk, type OperatorReport } from '../operator/desk.js';
import { renderReport } from '../operator/render.js';

// The database's health in one page: npm run doctor [-- --json] [--cancel <pid>] [--url <graphql>].
// Asks the running gateway (HOST, PORT, or --url) with an operator token signed by JWT_SECRET,
// so its own figures (timings, slow statements with plans, last hour per tenant) are included;
// when no gateway answers, reads the database (DATABASE_URL, or the embedded data) directly,
// changing nothing there (whatever MIGRATE_ON_START, MAINTENANCE or EMBEDDED_RESET say).
// --cancel ends one of the gateway's own statements, by database process id.

const USAGE = 'usage: npm run doctor -- [--json] [--cancel <pid>] [--url <gateway /graphql URL>]';

function fail(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

function gatewayUrl(config: Config): string {
  const host = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/graphql`;
}

interface Answer<T> {
  data?: T | null;
  errors?: { message: string }[];
}

/** Asks the gateway; null when nothing listens there. */
async function askGateway<T>(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T | null> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    return null;
  }
  const body = (await response.json().catch(() => ({}))) as Answer<T>;
  if (body.errors?.length || !body.data) {
    throw new Error(
      `the gateway at ${url} refused: ${body.errors?.[0]?.message ?? response.status}`,
    );
  }
  return body.data;
}

async function fromDatabase<T>(
  config: Config,
  work: (desk: OperatorDesk, pool: Pool) => Promise<T>,
): Promise<T> {
  const logger = createLogger('warn');
  const database = await openDatabase({ ...config, seedDemo: false }, logger, 'nothing');
  try {
    const desk = new OperatorDesk(database, logger, config.slowQueryMs);
    return await work(desk, database.pool);
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        cancel: { type: 'string' },
        url: { type: 'string' },
      },
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    fail(error instanceof ConfigError ? error.problems.join('\n') : String(error));
  }
  if (values.cancel !== undefined && !/^\d+$/.test(values.cancel)) {
    fail('--cancel: the database process id (pid) of a statement the report lists');
  }
  const secret = await existingSecret(config);
  const token = secret
    ? await mintToken({
        secret,
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        customerId: NO_TENANT,
        role: OPERATOR,
        expiresIn: '5m',
        subject: 'doctor',
      })
    : null;
  const url = values.url ?? gatewayUrl(config);

  if (values.cancel !== undefined) {
    const pid = values.cancel;
    const answer = token
      ? await askGateway<{ cancelQuery: boolean }>(
          url,
          token,
          'mutation Cancel($id: String!) { cancelQuery(id: $id) }',
          { id: pid },
        )
      : null;
    const cancelled =
      answer?.cancelQuery ??
      (await fromDatabase(config, async (_desk, pool) => {
        // No gateway answered: the session user may cancel its own (the gateway's) backends.
        const { rows } = await pool.query<{ cancelled: boolean }>(
          `/* doctorCancel */ SELECT pg_cancel_backend(pid) AS cancelled FROM pg_stat_activity
           WHERE pid = $1 AND usename = session_user AND application_name LIKE $2`,
          [Number(pid), `${TAG_PREFIX}/%`],
        );
        return rows[0]?.cancelled ?? false;
      }));
    process.stdout.write(cancelled ? `cancelled ${pid}\n` : `no statement ${pid} of the gateway\n`);
    process.exitCode = cancelled ? 0 : 1;
    return;
  }

  const answer = token
    ? await askGateway<{ operatorReport: OperatorReport }>(url, token, '{ operatorReport }')
    : null;
  const report = answer?.operatorReport ?? (await fromDatabase(config, (desk) => desk.report()));
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
