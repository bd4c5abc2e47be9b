/**
 * What a test file pays for a migrated database of its own: a copy of one migrated per run
 * (CREATE DATABASE ... TEMPLATE on the PostgreSQL server, cp -a of the embedded data directory,
 * then the start's migration check, which finds nothing to do) against migrating a new empty
 * one (as every file did), same run, rounds alternated. Wall time, and for the embedded build
 * (which runs in this process) CPU time too.
 *   npx tsx bench/test-databases.ts [--rounds 5]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createScratchDatabase, SERVER_URL } from '../test/support/backends.js';
import {
  createTemplate,
  dropTemplate,
  migrateEmbedded,
  migrateServerDatabase,
} from '../test/support/templates.js';
import { median } from './support.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(args.rounds);
const run = promisify(execFile);

interface Cost {
  wallMs: number;
  cpuMs: number;
}

async function measure(work: () => Promise<void>): Promise<Cost> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

async function serverDatabase(template?: string): Promise<void> {
  const scratch = await createScratchDatabase(SERVER_URL, template);
  try {
    await migrateServerDatabase(scratch.url);
  } finally {
    await scratch.drop();
  }
}

async function embeddedDatabase(template?: string): Promise<void> {
  const parent = await mkdtemp(join(tmpdir(), 'shelfops-bench-'));
  try {
    let dataDir: string | null = null;
    if (template) {
      dataDir = join(parent, 'data');
      await run('cp', ['-a', template, dataDir]);
    }
    await migrateEmbedded(dataDir);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
const loadBefore = load();
const templates = {
  postgres: await createTemplate('postgres'),
  timescale: await createTemplate('timescale'),
};
const costs: Record<string, Cost[]> = {};
const record = (label: string, cost: Cost) => (costs[label] ??= []).push(cost);
try {
  for (let round = 0; round < rounds; round += 1) {
    // Alternated within the round, and which goes first alternates between rounds.
    const order = round % 2 === 0 ? ['copy', 'migrate'] : ['migrate', 'copy'];
    for (const way of order) {
      const copy = way === 'copy';
      record(
        `postgres ${way}`,
        await measure(() => serverDatabase(copy ? templates.postgres : undefined)),
      );
      record(
        `embedded ${way}`,
        await measure(() => embeddedDatabase(copy ? templates.timescale : undefined)),
      );
    }
    process.stdout.write(`round ${round + 1}/${rounds} done (load ${load()})\n`);
  }
} finally {
  await dropTemplate('postgres', templates.postgres);
  await dropTemplate('timescale', templates.timescale);
}
const loadAfter = load();

const row = (backend: string, what: 'wallMs' | 'cpuMs') => {
  const copy = median((costs[`${backend} copy`] ?? []).map((c) => c[what]));
  const migrate = median((costs[`${backend} migrate`] ?? []).map((c) => c[what]));
  return `| ${backend} | ${what === 'wallMs' ? 'wall' : 'CPU (this process)'} | ${copy.toFixed(0)} ms | ${migrate.toFixed(0)} ms | ${(copy / migrate).toFixed(2)} |`;
};
const table = [
  '| backend | measure | copy of the run’s template | migrate an empty one | ratio |',
  '|---|---|---|---|---|',
  row('postgres', 'wallMs'),
  row('embedded', 'wallMs'),
  row('embedded', 'cpuMs'),
].join('\n');
process.stdout.write(`${table}\n`);
await writeFile(
  'bench/results/test-databases.md',
  `# A migrated database per test file: copy vs migrate

\`npx tsx bench/test-databases.ts --rounds ${rounds}\`: medians of ${rounds} alternated rounds, same run.
Load average (1 / 5 / 15 min) before: ${loadBefore}; after: ${loadAfter} (2 cores, other work beside).

${table}

Each figure is one database as a test file gets it: for the PostgreSQL server, CREATE DATABASE
(from the run's template, or empty) and the migration run (nothing to apply on a copy), then the
drop; for the embedded build, the data directory (copied with cp -a, or a new in-memory one), the
start and the migration run, then the close. The PostgreSQL server's own CPU is not counted.
`,
);
