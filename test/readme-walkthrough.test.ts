import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from './support/backends.js';
import { TEST_SECRET } from './support/gateway.js';

// The README's "Your own data, step by step", run as a newcomer would: its shell block command
// by command (the outputs it shows checked line by line, `npm start` left running for the
// commands after it), then its GraphQL blocks with the token the walk-through minted, checked
// against the answers the README shows and against sums computed from the CSV itself. When the
// README changes, this follows it.

const exec = promisify(execFile);
const SECTION = '## Your own data, step by step';
const CSV = 'examples/import/online-retail-sample.csv';

/** The section's fenced blocks of one language, in order. */
function blocks(readme: string, language: string): string[] {
  const start = readme.indexOf(SECTION);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)]
    .filter((m) => m[1] === language)
    .map((m) => m[2] ?? '');
}

interface Step {
  command: string;
  /** The output lines the README shows under the command (`#   …`). */
  shown: string[];
}

/** The shell block as commands (continuation lines joined, comments cut) and their outputs. */
function steps(shell: string): Step[] {
  const result: Step[] = [];
  let pending = '';
  for (const line of shell.split('\n')) {
    const output = /^# {3}(.*)$/.exec(line);
    if (output) {
      result.at(-1)?.shown.push(output[1] ?? '');
      continue;
    }
    if (line.trim() === '' || line.startsWith('#')) continue;
    const text = line.replace(/\s+#\s.*$/, '');
    if (text.endsWith('\\')) {
      pending += `${text.slice(0, -1).trimEnd()} `;
      continue;
    }
    result.push({ command: `${pending}${text.trim()}`, shown: [] });
    pending = '';
  }
  return result;
}

/** A shown line as a pattern: `<…>` stands for any text, `…` for the rest of a word. */
function pattern(shown: string, values: Record<string, string>): RegExp {
  const escaped = shown
    .split(/(<[^>]+>|…)/)
    .map((part) => {
      if (part === '…') return '\\S*';
      const placeholder = /^<([^>]+)>$/.exec(part)?.[1];
      if (placeholder) {
        const value = values[placeholder];
        return value ? value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '(.+?)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${escaped}$`);
}

/** What a command printed (stderr, then stdout), without npm's own header lines. */
function printed(stdout: string, stderr: string): string[] {
  return `${stderr}\n${stdout}`
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !l.startsWith('> '));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Trend {
  alias: string;
  from: string;
  to: string;
  unit: 'month' | 'week' | 'day' | 'hour';
  zone: string;
  fields: (keyof Totals)[];
}

/** The salesTrend fields of a GraphQL block: alias, range, granularity, zone, selection. */
function trendsOf(query: string): Trend[] {
  const field =
    /(?:(\w+):\s*)?salesTrend\(range:\s*\{from:\s*"([^"]+)",\s*to:\s*"([^"]+)"\},\s*granularity:\s*(\w+)(?:,\s*timeZone:\s*"([^"]+)")?\)\s*\{([^}]*)\}/g;
  return [...query.matchAll(field)].map((m) => ({
    alias: m[1] ?? 'salesTrend',
    from: m[2] ?? '',
    to: m[3] ?? '',
    unit: (m[4] ?? '').toLowerCase() as Trend['unit'],
    zone: m[5] ?? 'UTC',
    fields: (m[6] ?? '').trim().split(/\s+/) as (keyof Totals)[],
  }));
}

interface Totals {
  bucket: string;
  units: number;
  revenue: string;
  returnedUnits: number;
}

/**
 * Trend totals computed from the CSV alone: its local London times and month-first dates read
 * by PostgreSQL's own functions, returns by the "C" invoice prefix, as the mapping describes.
 */
async function fromCsv(url: string, question: Trend): Promise<Totals[]> {
  const rows = parse(await readFile(CSV), { delimiter: ';', columns: true }) as Record<
    string,
    string
  >[];
  const client = new pg.Client(url);
  await client.connect();
  try {
    const { rows: totals } = await client.query<Totals>(
      `WITH raw AS (
         SELECT * FROM unnest($1::text[], $2::int[], $3::numeric[], $4::text[]) AS r(invoice, qty, price, local)
       ), line AS (
         SELECT (CASE WHEN local ~ '^\\d+/\\d+/\\d{2} ' THEN to_timestamp(local, 'MM/DD/YY HH24:MI')
                      ELSE to_timestamp(local, 'MM/DD/YYYY HH24:MI') END)::timestamp
                  AT TIME ZONE 'Europe/London' AS time,
                CASE WHEN invoice LIKE 'C%' THEN -abs(qty) ELSE qty END AS quantity, price
         FROM raw
       )
       -- ISO weeks start on Monday, as date_trunc's do.
       SELECT to_char(date_trunc($7, time AT TIME ZONE $8) AT TIME ZONE $8 AT TIME ZONE 'UTC',
                      'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS bucket,
              sum(quantity)::int AS units, sum(quantity * price)::numeric(14, 2)::text AS revenue,
              sum(greatest(-quantity, 0))::int AS "returnedUnits"
       FROM line WHERE time >= $5::timestamptz AND time < $6::timestamptz
       GROUP BY 1 ORDER BY 1`,
      [
        rows.map((r) => r['InvoiceNo']),
        rows.map((r) => r['Quantity']),
        rows.map((r) => r['UnitPrice']),
        rows.map((r) => r['InvoiceDate']),
        question.from,
        question.to,
        question.unit,
        question.zone,
      ],
    );
    return totals;
  } finally {
    await client.end();
  }
}

const readme = await readFile('README.md', 'utf8');
const shell = blocks(readme, 'sh')[0] ?? '';
const queries = blocks(readme, 'graphql');
const answers = blocks(readme, 'json');

describe.each(['embedded', 'server'] as const)('the README walk-through on %s', (where) => {
  let dir: string;
  let scratch: ScratchDatabase;
  let env: NodeJS.ProcessEnv;
  let gateway: ChildProcess | null = null;
  let gatewayOutput = '';
  let stopped = false;
  let url = '';
  const values: Record<string, string> = {};
  let analystToken = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shelfops-readme-'));
    scratch = await createScratchDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // A newcomer's shell: none of the test run's settings, only where the data lives.
    const inherited = { ...process.env };
    for (const name of [
      'DATABASE_URL',
      'JWT_SECRET',
      'NODE_ENV',
      'REDIS_URL',
      'RETENTION',
      'EMBEDDED_DATA_DIR',
      'LOG_LEVEL',
    ]) {
      delete inherited[name];
    }
    env = {
      ...inherited,
      PORT: String(port),
      ...(where === 'embedded'
        ? { EMBEDDED_DATA_DIR: join(dir, 'data') }
        : { DATABASE_URL: scratch.url, JWT_SECRET: TEST_SECRET }),
    };
  });
  afterAll(async () => {
    // Only when a failed step left the gateway of this test running.
    if (gateway?.pid && !stopped) process.kill(-gateway.pid, 'SIGKILL');
    await scratch?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the shell block as written and prints what the README shows', async () => {
    const walk = steps(shell);
    expect(walk.map((s) => s.command.split(' ').slice(0, 3).join(' '))).toContain('npm run tenant');
    for (const step of walk) {
      const command = step.command.replaceAll('<tenant id>', values['tenant id'] ?? '');
      if (command === 'npm start') {
        gateway = spawn('bash', ['-c', `exec ${command}`], { env, detached: true });
        gateway.stdout?.on('data', (chunk: Buffer) => (gatewayOutput += chunk.toString()));
        gateway.stderr?.on('data', (chunk: Buffer) => (gatewayOutput += chunk.toString()));
        const deadline = Date.now() + 180_000;
        while (!gatewayOutput.includes('ShelfOps Gateway is ready')) {
          if (Date.now() > deadline || gateway.exitCode !== null) {
            throw new Error(`npm start did not get ready:\n${gatewayOutput}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        continue;
      }
      const { stdout, stderr } = await exec('bash', ['-c', command], {
        env,
        timeout: 180_000,
      });
      const lines = printed(stdout, stderr);
      // Every line printed is one the README shows, once, and every line shown is printed.
      expect(lines.length, `${command}\n${lines.join('\n')}`).toBe(step.shown.length);
      step.shown.forEach((shown, i) => {
        const match = pattern(shown, values).exec(lines[i] ?? '');
        expect(match, `${command}: "${lines[i]}" is not "${shown}"`).not.toBeNull();
        const id = /^tenant ([0-9a-f-]{36}) created/.exec(lines[i] ?? '')?.[1];
        if (id) values['tenant id'] = id;
      });
      if (command.startsWith('npm run token')) analystToken = lines[0] ?? '';
    }
    expect(values['tenant id']).toBeDefined();
    expect(analystToken).toMatch(/^eyJ/);
  }, 600_000);

  it('answers the GraphQL blocks as the README shows, equal to sums over the CSV, after the maintenance', async () => {
    // The gateway's maintenance, retention included, has run (once before listening on the
    // embedded database, right after on a server): the imported history is still there.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const ready = (await (await fetch(`${url}/ready`)).json()) as {
        maintenance?: { tasks: { task: string; lastSuccessAt: string | null }[] };
      };
      const retention = ready.maintenance?.tasks.find((t) => t.task === 'retention');
      if (retention?.lastSuccessAt) break;
      if (Date.now() > deadline) throw new Error('the retention run did not happen');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(queries.length).toBeGreaterThan(0);
    expect(answers).toHaveLength(queries.length);
    let trendsChecked = 0;
    for (const [i, query] of queries.entries()) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${analystToken}` },
        body: JSON.stringify({ query }),
      });
      const answer = (await response.json()) as { data?: Record<string, unknown[]> };
      expect({ data: answer.data }, query).toEqual(JSON.parse(answers[i] ?? ''));
      for (const trend of trendsOf(query)) {
        const expected = await fromCsv(scratch.url, trend);
        expect(expected.length, query).toBeGreaterThan(1);
        expect(answer.data?.[trend.alias], query).toEqual(
          expected.map((row) => Object.fromEntries(trend.fields.map((f) => [f, row[f]]))),
        );
        trendsChecked += 1;
      }
    }
    // The monthly trend, and from raw lines a half-hour zone's months and unaligned hours.
    expect(trendsChecked).toBeGreaterThanOrEqual(3);
  }, 300_000);

  it('stops cleanly on Ctrl-C and leaves no lock behind', async () => {
    const running = gateway;
    if (!running?.pid) throw new Error('the walk-through did not start the gateway');
    const group = running.pid;
    process.kill(-group, 'SIGINT');
    // npm exits at once; the gateway under it drains and closes its database, then exits.
    const deadline = Date.now() + 30_000;
    const alive = () => {
      try {
        process.kill(-group, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
    stopped = true;
    if (where === 'embedded') expect(existsSync(join(dir, 'data.lock'))).toBe(false);
    expect(gatewayOutput).toContain('shutting down');
  }, 60_000);
});
