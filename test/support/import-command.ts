import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { TEST_SECRET, type TestGateway } from './gateway.js';

const run = promisify(execFile);

/** Runs `npm run import -- <args>` on the gateway's database server; `env` adds variables. */
export function runImportCommand(
  gw: TestGateway,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return run('npx', ['tsx', 'src/cli/import.ts', ...args], {
    // A command that hangs fails its test instead of holding the run.
    timeout: 50_000,
    env: {
      ...process.env,
      DATABASE_URL: gw.config.databaseUrl,
      JWT_SECRET: TEST_SECRET,
      NODE_ENV: 'test',
      ...env,
    },
  });
}

/** The [line number, reason] pairs of a refused-lines file, in its order. */
export async function refusedLines(file: string): Promise<string[][]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t').slice(0, 2));
}
